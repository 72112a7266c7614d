#!/bin/sh
# The only job of a guest in a multi-guest run (guest-network.ts): a shell that reads its commands
# from a virtio serial port named "ctl" (qemu's stdio, driven by the test) and writes there too.
# (Not the second UART: under emulation its output stalls until input arrives.)
# Lines starting "@@EV " are events of background programs; "@@R <id> <rc>" ends a command.
grep -q '@@GUEST-UP' /init 2>/dev/null || {
  echo "guest-shell.sh runs only inside the qemu guest, never on a host" >&2
  exit 2
}
# a hard bound on the guest's life, even if the test is killed without a chance to stop it
# (the test also kills its qemu by PID; -no-reboot makes the power-off end qemu)
(sleep 900; echo o >/proc/sysrq-trigger; poweroff -f) </dev/null >/dev/null 2>&1 &
modprobe virtio_net 2>/dev/null
modprobe bridge 2>/dev/null
modprobe virtio_console 2>/dev/null
port=""
for _ in $(seq 100); do
  for f in /sys/class/virtio-ports/*/name; do
    [ -f "$f" ] && [ "$(cat "$f")" = ctl ] && port=/dev/$(basename "$(dirname "$f")")
  done
  [ -n "$port" ] && [ -c "$port" ] && break
  usleep 50000
done
[ -c "$port" ] || { echo "no virtio serial port named ctl"; exit 1; }
# a virtio serial port opens once: one descriptor, read by cat, written by the shell
exec 3<>"$port"
echo "@@SHELL t=$(cut -d' ' -f1 /proc/uptime) nics=$(ls /sys/class/net | tr '\n' ' ') port=$port" >&3
cat <&3 | sh >&3 2>&1
