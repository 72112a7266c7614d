#!/bin/bash
# run-guest.sh - boot the IPVS guest built by build-guest.sh (lvsfleet's copy), run job scripts in it,
# print their output (time-stamped from qemu start) and exit with the guests' worst rc.
#
#   run-guest.sh [options] job.sh [job.sh...]
#     -a tcg|kvm  accelerator (default: tcg, or kvm when a hardware KVM module
#                 kvm_intel/kvm_amd is loaded; kvm_pvm (Firecracker dev VMs) can NOT
#                 run a stock kernel: see README.md)
#     -m MB       guest memory (default 512)
#     -c N        vCPUs (default 2)
#     -u          share the host's /usr read-only at the guest's /usr (9p): node, etc.
#     -U          share the host's /usr read-only at /mnt/hostusr instead, leaving the guest's own
#                 /usr (busybox applets) in place for other jobs of the same boot; run a host
#                 program there with /mnt/hostusr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path
#                 /mnt/hostusr/lib/x86_64-linux-gnu /mnt/hostusr/bin/node …
#     -s DIR      share host DIR read-write at /mnt/out (9p) to pass files in and out
#     -t SECS     hard timeout (default 600)
#     -o DIR      logs (default /tmp/lvsfleet-ipvs-guest/runs/<time>): console.log (kernel), job.log
#     -i          no jobs, interactive shell on the terminal (debugging)
# The guest has NO network device at all (-nodefaults -nic none): all traffic stays
# inside its own loopback and the network namespaces its jobs make.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/lvsfleet-ipvs-guest}
ACCEL=""; MEM=""; CPUS=2; USR=0; HOSTUSR=0; SHARE=""; TMO=600; O=""; SHELLMODE=0
while getopts "a:m:c:uUs:t:o:i" opt; do
  case $opt in
    a) ACCEL=$OPTARG ;; m) MEM=$OPTARG ;; c) CPUS=$OPTARG ;; u) USR=1 ;; U) HOSTUSR=1 ;;
    s) SHARE=$(realpath "$OPTARG") ;; t) TMO=$OPTARG ;; o) O=$OPTARG ;; i) SHELLMODE=1 ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ -z "$ACCEL" ]; then
  if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then ACCEL=kvm; else ACCEL=tcg; fi
fi
MEM=${MEM:-512}
O=${O:-/tmp/lvsfleet-ipvs-guest/runs/$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$O"

# per-run cpio with the jobs, appended to the prebuilt base (the kernel unpacks both)
J=$O/jobroot; rm -rf "$J"; mkdir -p "$J/job"
i=10
for f in "$@"; do cp "$f" "$J/job/$i-$(basename "$f")"; i=$((i + 1)); done
[ $SHELLMODE = 1 ] && touch "$J/job/shell"
( cd "$J" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null ) > "$O/job.cpio"
BASE=$WORK/base.cpio
cat "$BASE" "$O/job.cpio" > "$O/initrd.cpio"

args=(-accel "$ACCEL" -m "$MEM" -smp "$CPUS" -nodefaults -no-user-config -display none
      -nic none -no-reboot -kernel "$WORK/vmlinuz" -initrd "$O/initrd.cpio"
      -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off")
[ "$ACCEL" = kvm ] && args+=(-cpu host)
[ $USR = 1 ] && args+=(-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on")
[ $HOSTUSR = 1 ] && args+=(-virtfs "local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on")
[ -n "$SHARE" ] && args+=(-virtfs "local,path=$SHARE,mount_tag=out,security_model=none")

if [ $SHELLMODE = 1 ]; then
  exec qemu-system-x86_64 "${args[@]}" -serial mon:stdio
fi
args+=(-serial "file:$O/console.log" -serial stdio)
echo "qemu-system-x86_64 ${args[*]}" > "$O/cmdline"

t0=${EPOCHREALTIME/./}
first=""; rc=99
while IFS= read -r line; do
  line=${line%$'\r'}
  ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
  printf '%7d.%03d %s\n' $((ms / 1000)) $((ms % 1000)) "$line"
  case $line in
    @@GUEST-UP*) first=$ms ;;
    @@GUEST-EXIT*) rc=${line#*rc=}; rc=${rc%% *} ;;
  esac
done < <(timeout -k 5 "$TMO" qemu-system-x86_64 "${args[@]}" </dev/null 2>"$O/qemu.stderr"; echo "@@QEMU-EXIT $?") | tee "$O/job.log"
total=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
rc=$(awk '/@@GUEST-EXIT/ {sub(/.*rc=/,""); print $1+0; f=1} END {if (!f) print 99}' "$O/job.log")
first=$(awk '/@@GUEST-UP/ {print $1; exit}' "$O/job.log")
echo "@@HOST accel=$ACCEL cpus=$CPUS mem=${MEM}M first_output_s=${first:-none} total_s=$((total / 1000)).$(printf %03d $((total % 1000))) guest_rc=$rc logs=$O"
[ -s "$O/qemu.stderr" ] && sed 's/^/qemu: /' "$O/qemu.stderr" >&2
[ -n "${KEEP_INITRD:-}" ] || rm -rf "$O/initrd.cpio" "$O/job.cpio" "$O/jobroot"   # 9-107 MB per run
exit "$rc"
