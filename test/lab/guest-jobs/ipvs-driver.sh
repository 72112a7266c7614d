#!/bin/sh
# The lvsfleet `ipvs` data plane against the real kernel IPVS, with real traffic, in the qemu
# guest of test/ipvs-guest. Run it with the guest's /usr shared (node) and the bundled driver:
#   node test/lab/guest-jobs/bundle.mjs /tmp/lvsfleet-guest-job/ipvs-driver.mjs
#   test/ipvs-guest/run-guest.sh -u test/lab/guest-jobs/ipvs-driver.sh /tmp/lvsfleet-guest-job/ipvs-driver.mjs
# The guest is the director (its root namespace, VIP 198.18.1.100 on lo); the client and two
# real servers (busybox httpd answering with their names) are namespaces behind veths:
#   ns client 198.18.1.2 --- 198.18.1.1 director 198.18.2.1 --- ns rs1 198.18.2.2
#                                                198.18.3.1 --- ns rs2 198.18.3.2
# Each real server also has the VIP on lo with ARP suppressed, so the same network serves
# LVS-NAT (-m) and LVS-DR (-g; replies come back through the director, which owns the VIP:
# accept_local=1, rp_filter=0). The node program applies plans with IpvsDataPlane and prints
# one JSON line per step after "=== ipvs-driver".
set -e
ip() { /sbin/ip "$@"; }
VIP=198.18.1.100
ip addr add $VIP/32 dev lo
ip netns add client
ip link add c0 type veth peer name c1; ip link set c1 netns client
ip addr add 198.18.1.1/24 dev c0; ip link set c0 up
ip -n client addr add 198.18.1.2/24 dev c1; ip -n client link set c1 up; ip -n client link set lo up
ip -n client route add default via 198.18.1.1
i=2
for rs in rs1 rs2; do
  ip netns add $rs
  ip link add d$rs type veth peer name e$rs; ip link set e$rs netns $rs
  ip addr add 198.18.$i.1/24 dev d$rs; ip link set d$rs up
  ip -n $rs addr add 198.18.$i.2/24 dev e$rs; ip -n $rs link set e$rs up; ip -n $rs link set lo up
  ip -n $rs route add default via 198.18.$i.1
  ip -n $rs addr add $VIP/32 dev lo
  ip netns exec $rs busybox sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  mkdir -p /www/$rs; echo "$rs" > /www/$rs/index.html
  ip netns exec $rs busybox httpd -p 80 -h /www/$rs
  i=$((i + 1))
done
for c in all default c0 drs1 drs2 lo; do sysctl -qw net.ipv4.conf.$c.accept_local=1 net.ipv4.conf.$c.rp_filter=0; done
sleep 0.2
JS=$(ls /job/*-ipvs-driver.mjs)
echo "=== ipvs-driver"
node "$JS"
