import { renderRestore } from "@lvsfleet/ipvs";
import { clientPorts } from "../../packages/ipvs/test/vectors/replay.ts";
import { REAL_SERVERS, SCENARIOS, VIPS } from "../../packages/ipvs/test/vectors/scenarios.ts";

/**
 * The guest job that runs every scheduler scenario through the real kernel: a client namespace
 * (many source addresses), the director (root namespace, VIPs on c0, LVS-NAT) and four real
 * servers in namespaces running busybox httpd that answers with its own name. Each connection
 * prints `V scenario index rsN` (or FAIL) in the "vectors" section.
 */
export function vectorsJob(): string {
  const ports = clientPorts();
  const lines = [
    "#!/bin/sh",
    "set -e",
    'ip() { /sbin/ip "$@"; }',
    "sysctl -qw net.ipv4.ip_forward=1",
    "sysctl -qw net.ipv4.vs.conntrack=0 2>/dev/null || true",
    "ipvsadm -C",
    "ip netns add client",
    "ip link add c0 type veth peer name c1; ip link set c1 netns client",
    "ip addr add 198.18.1.1/24 dev c0; ip link set c0 up",
    "ip route add 198.18.6.0/24 dev c0",
    ...VIPS.map((vip) => `ip addr add ${vip}/32 dev c0`),
    "ip -n client link set c1 up; ip -n client link set lo up",
    // one ip process for the 60 client addresses (each exec costs ~30 ms under TCG)
    "ip -n client -batch - <<'ADDRS'",
    ...Array.from({ length: 40 }, (_, i) => `addr add 198.18.1.${10 + i}/24 dev c1`),
    ...Array.from({ length: 20 }, (_, i) => `addr add 198.18.6.${10 + i}/24 dev c1`),
    "ADDRS",
    "ip -n client route add default via 198.18.1.1",
    ...Object.entries(REAL_SERVERS).flatMap(([name, address], i) => {
      const net = address.replace(/\.2$/, "");
      return [
        `ip netns add ${name}`,
        `ip link add d${name} type veth peer name e${name}; ip link set e${name} netns ${name}`,
        `ip addr add ${net}.1/24 dev d${name}; ip link set d${name} up`,
        `ip -n ${name} addr add ${address}/24 dev e${name}; ip -n ${name} link set e${name} up; ip -n ${name} link set lo up`,
        `ip -n ${name} route add default via ${net}.1`,
        `mkdir -p /www/${name}; echo ${name} > /www/${name}/index.html`,
        `ip netns exec ${name} httpd -p 80 -h /www/${name}`,
        ...(i === 3 ? ["sleep 0.3"] : []),
      ];
    }),
    'echo "=== vectors"',
  ];
  for (const s of SCENARIOS) {
    const list = ports.get(s.name) ?? [];
    let k = 0;
    for (const step of s.steps) {
      if ("ops" in step) lines.push("ipvsadm -R <<'BATCH'", renderRestore(step.ops).trimEnd(), "BATCH");
      else if ("sysctl" in step) lines.push(`echo ${step.value} > /proc/sys/net/ipv4/vs/${step.sysctl}`);
      else {
        const calls = step.connect.map((c) => {
          const index = k++;
          return `c ${s.name} ${index} ${c.from} ${c.vip ?? VIPS[0]} ${s.port} ${list[index]}`;
        });
        lines.push(
          "ip netns exec client sh -c '",
          "cur=",
          "c() {",
          '  if [ "$3" != "$cur" ]; then /sbin/ip route replace 198.18.1.96/28 dev c1 src $3; cur=$3; fi',
          '  echo "$6 $6" > /proc/sys/net/ipv4/ip_local_port_range',
          '  r=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 $4 $5 2>/dev/null | tail -n 1)',
          '  [ -n "$r" ] || r=FAIL',
          '  echo "V $1 $2 $r"',
          "}",
          ...calls,
          "'",
        );
      }
    }
  }
  lines.push('echo "=== vectors-lnc"', "ipvsadm -Lnc", 'echo "=== end"', "");
  return lines.join("\n");
}
