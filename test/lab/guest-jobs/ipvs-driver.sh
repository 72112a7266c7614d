#!/bin/sh
# The lvsfleet `ipvs` data plane against the real kernel IPVS, with real traffic, in the qemu
# guest of test/ipvs-guest. The guest tier runs it last in its one boot (test/ipvs-guest/ipvs-guest.test.ts);
# by hand, with the host's /usr shared (node) and the bundled driver:
#   node test/lab/guest-jobs/bundle.mjs /tmp/lvsfleet-guest-job/ipvs-driver.mjs
#   test/ipvs-guest/run-guest.sh -U test/lab/guest-jobs/ipvs-driver.sh /tmp/lvsfleet-guest-job/ipvs-driver.mjs
# The guest is the director (its root namespace, VIP 198.18.11.100 on lo); the client and two
# real servers (busybox httpd answering with their names) are namespaces behind veths:
#   ns ipvsd-client 198.18.11.2 --- 198.18.11.1 director 198.18.12.1 --- ns ipvsd-rs1 198.18.12.2
#                                                        198.18.13.1 --- ns ipvsd-rs2 198.18.13.2
# Names and addresses are this job's own (ipvs-driver-plan.ts has the same), so it can share a
# boot with the other guest jobs; it starts from an empty IPVS table. Each real server also has
# the VIP on lo with ARP suppressed, so the same network serves LVS-NAT (-m) and LVS-DR (-g;
# replies come back through the director, which owns the VIP: accept_local=1, rp_filter=0).
# The node program applies plans with IpvsDataPlane and prints one JSON line per step after
# "=== ipvs-driver", and exits non-zero when a check fails (with IPVS_DRIVER_SOFT=1 this script
# still exits 0: the guest tier reads the result lines itself).
#
# It changes the machine it runs on (addresses on lo, sysctls, the IPVS table): it refuses to run
# anywhere but in the guest, whose /init is test/ipvs-guest/guest-init.sh.
grep -q '@@GUEST-UP' /init 2>/dev/null || {
  echo "ipvs-driver.sh runs only inside the qemu guest (test/ipvs-guest/run-guest.sh), never on a host" >&2
  exit 2
}
set -e
VIP=198.18.11.100
ipvsadm -C
# One ip process per namespace: each exec costs tens of milliseconds under emulation.
/sbin/ip -batch - <<BATCH
netns add ipvsd-client
netns add ipvsd-rs1
netns add ipvsd-rs2
link add kc0 type veth peer name kc1 netns ipvsd-client
link add krs1 type veth peer name lrs1 netns ipvsd-rs1
link add krs2 type veth peer name lrs2 netns ipvsd-rs2
addr add $VIP/32 dev lo
addr add 198.18.11.1/24 dev kc0
addr add 198.18.12.1/24 dev krs1
addr add 198.18.13.1/24 dev krs2
link set kc0 up
link set krs1 up
link set krs2 up
BATCH
/sbin/ip -n ipvsd-client -batch - <<BATCH
addr add 198.18.11.2/24 dev kc1
link set kc1 up
link set lo up
route add default via 198.18.11.1
BATCH
i=12
for rs in rs1 rs2; do
  ns=ipvsd-$rs
  /sbin/ip -n $ns -batch - <<BATCH
addr add 198.18.$i.2/24 dev l$rs
addr add $VIP/32 dev lo
link set l$rs up
link set lo up
route add default via 198.18.$i.1
BATCH
  mkdir -p /www/$ns
  echo "$rs" >/www/$ns/index.html
  /sbin/ip netns exec $ns busybox sh -c \
    "sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 && httpd -p 80 -h /www/$ns"
  i=$((i + 1))
done
sysctl -qw $(for c in all default kc0 krs1 krs2 lo; do echo "net.ipv4.conf.$c.accept_local=1 net.ipv4.conf.$c.rp_filter=0"; done)
sleep 0.2
JS=$(ls /job/*-ipvs-driver.mjs)
# node: the host's, shared at /mnt/hostusr (run-guest.sh -U; the guest's own /usr stays), or at /usr (-u)
if [ -x /mnt/hostusr/bin/node ]; then
  node() { /mnt/hostusr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path /mnt/hostusr/lib/x86_64-linux-gnu /mnt/hostusr/bin/node "$@"; }
fi
echo "=== ipvs-driver"
set +e
node "$JS"
rc=$?
[ -n "${IPVS_DRIVER_SOFT:-}" ] && exit 0
exit $rc
