import { renderRestore } from "@lvsfleet/ipvs";
import type { Operation, VrrpState } from "@lvsfleet/model";
import { syncDaemonCommands } from "../../agents/director/src/vrrp/ipvs-sync.ts";

/**
 * The guests' side of the sync-daemon test (sync-daemon.test.ts): pure functions that write the
 * shell each guest runs. Addresses are this test's own (198.19.144.0/24, only on the emulated network).
 *
 *   guest A (director) eth0 198.19.144.1 ──┐
 *   guest B (director) eth0 198.19.144.2 ──┤ guest "switch": br0 = eth0 + eth1 + veths
 *                                          ├── ns client 198.19.144.10
 *                                          ├── ns rs1    198.19.144.11 (VIP on lo, arp_ignore=1, arp_announce=2)
 *                                          └── ns rs2    198.19.144.12 (the same)
 */
export const NET = {
  vip: "198.19.144.100",
  directors: { A: "198.19.144.1", B: "198.19.144.2" },
  client: "198.19.144.10",
  servers: { rs1: "198.19.144.11", rs2: "198.19.144.12" },
  prefix: 24,
  /** The shared network's interface in each director guest (its only NIC). */
  iface: "eth0",
  syncId: 14,
} as const;

/** The services both directors carry: one per test phase (with and without the backup daemon), LVS-DR, wrr 1:1. */
export function serviceOperations(ports: readonly number[]): Operation[] {
  const operations: Operation[] = [];
  for (const port of ports) {
    const service = {
      protocol: "tcp" as const,
      address: NET.vip,
      port,
      family: "inet" as const,
      scheduler: "wrr" as const,
      schedulerFlags: [],
    };
    operations.push({ op: "add-service", service });
    for (const address of Object.values(NET.servers))
      operations.push({
        op: "add-destination",
        service,
        destination: { address, port, forwarding: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      });
  }
  return operations;
}

const quote = (word: string) => (/^[\w.:/@=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** The agent's own ipvsadm calls for a VRRP state (syncDaemonCommands), as the guest's shell runs them:
 * a failed stop is ignored (nothing ran), a failed start fails the command, as switchSyncDaemon reports it. */
export function syncDaemonScript(state: VrrpState): string {
  const lines = ["ok=0"];
  for (const args of syncDaemonCommands(state, NET.iface, NET.syncId)) {
    const line = ["ipvsadm", ...args].map(quote).join(" ");
    lines.push(args[0] === "--start-daemon" ? `${line} || ok=1` : `${line} 2>/dev/null`);
  }
  lines.push('[ "$ok" = 0 ]');
  return lines.join("\n");
}

/** Both daemons stopped (the control phase's new holder learns nothing). */
export const stopDaemonsScript =
  "ipvsadm --stop-daemon master 2>/dev/null; ipvsadm --stop-daemon backup 2>/dev/null; true";

/** A director guest: its address on the shared network and the services (one `ipvsadm -R` batch). */
export function directorScript(name: keyof typeof NET.directors, ports: readonly number[]): string {
  return [
    "(",
    "set -e",
    `/sbin/ip addr add ${NET.directors[name]}/${NET.prefix} dev ${NET.iface}`,
    `/sbin/ip link set ${NET.iface} up`,
    "ipvsadm -C",
    "ipvsadm -R <<'BATCH'",
    renderRestore(serviceOperations(ports)).trimEnd(),
    "BATCH",
    ")",
  ].join("\n");
}

/** The VIP on a director, announced with gratuitous ARP (busybox arping -U), as keepalived does on a transition. */
export function takeVipScript(): string {
  return [
    `/sbin/ip addr add ${NET.vip}/32 dev ${NET.iface}`,
    `arping -q -U -c 2 -w 1 -I ${NET.iface} -s ${NET.vip} ${NET.vip} >/dev/null 2>&1 &`,
    "true",
  ].join("\n");
}

export function dropVipScript(): string {
  return `/sbin/ip addr del ${NET.vip}/32 dev ${NET.iface}`;
}

/** The switch guest: a bridge over both NICs, the client and the two real servers (busybox nc echo servers naming themselves). */
export function switchScript(ports: readonly number[]): string {
  const root = ["link add br0 type bridge forward_delay 0 stp_state 0"];
  const inside: string[] = [];
  const namespaces: [string, string][] = [["client", NET.client], ...Object.entries(NET.servers)];
  for (const [ns, address] of namespaces) {
    root.push(
      `netns add ${ns}`,
      `link add v-${ns} type veth peer name eth0 netns ${ns}`,
      `link set v-${ns} master br0`,
      `link set v-${ns} up`,
    );
    const server = ns in NET.servers;
    inside.push(
      `/sbin/ip -n ${ns} -batch - <<'BATCH'`,
      `addr add ${address}/${NET.prefix} dev eth0`,
      ...(server ? [`addr add ${NET.vip}/32 dev lo`] : []),
      "link set eth0 up",
      "link set lo up",
      "BATCH",
    );
    if (!server) continue;
    inside.push(
      `/sbin/ip netns exec ${ns} sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2`,
      `printf '#!/bin/sh\\nwhile read -r l; do echo "${ns} $l"; done\\n' > /tmp/echo-${ns}.sh`,
      `chmod +x /tmp/echo-${ns}.sh`,
      ...ports.map(
        (p) => `/sbin/ip netns exec ${ns} nc -ll -p ${p} -e /tmp/echo-${ns}.sh </dev/null >/dev/null 2>&1 &`,
      ),
    );
  }
  root.push(
    "link set eth0 master br0",
    "link set eth1 master br0",
    "link set eth0 up",
    "link set eth1 up",
    "link set br0 up",
  );
  return ["(", "set -e", "/sbin/ip -batch - <<'BATCH'", ...root, "BATCH", ...inside, ")"].join("\n");
}

/**
 * node from the host's /usr (shared at /mnt/hostusr), in the client namespace, in the background; its
 * PID in /tmp/client-<label>.pid. A deferred client opens its connections on SIGHUP.
 */
export function startClientScript(
  port: number,
  connections: number,
  intervalMs: number,
  label = "main",
  deferred = false,
): string {
  const node = [
    "/mnt/hostusr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "--library-path",
    "/mnt/hostusr/lib/x86_64-linux-gnu",
    "/mnt/hostusr/bin/node",
  ].join(" ");
  const args = [NET.vip, port, connections, intervalMs, label, ...(deferred ? ["deferred"] : [])].join(" ");
  return [
    `/sbin/ip netns exec client ${node} /job/sync-client.mjs ${args} 2>/tmp/client-${label}.err &`,
    `echo $! > /tmp/client-${label}.pid`,
  ].join("\n");
}

/** Sends a signal to the named clients (startClientScript's PID files). */
export function signalClientsScript(signal: "HUP" | "USR1" | "USR2", labels: readonly string[]): string {
  return `kill -${signal} ${labels.map((l) => `$(cat /tmp/client-${l}.pid)`).join(" ")}`;
}

/**
 * In a director guest, in the background: polls `ipvsadm -Lnc` and says (as an event) each time the
 * number of connection entries to VIP:port changes, until it reaches `target` or `seconds` pass.
 */
export function watchConnectionsScript(port: number, target: number, seconds: number): string {
  return [
    "(",
    `end=$(( $(cut -d. -f1 /proc/uptime) + ${seconds} )); last=-1`,
    `while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do`,
    `  n=$(ipvsadm -Lnc | grep -c ' ${NET.vip}:${port} ')`,
    `  if [ "$n" != "$last" ]; then echo "@@EV {\\"entries\\":$n,\\"port\\":${port}}"; last=$n; fi`,
    `  [ "$n" -ge ${target} ] && break`,
    "done",
    `echo "@@EV {\\"watchEnd\\":$last,\\"port\\":${port}}"`,
    ") &",
  ].join("\n");
}

/** The command that prints a director's packet counters for the VIP's service on `port`. */
export function statsScript(port: number): string {
  return `ipvsadm -Ln --stats --exact -t ${NET.vip}:${port}`;
}

/** The packets the director took in for the service on `port`, from statsScript's output ("TCP  vip:port  conns inpkts …"). */
export function inPackets(lines: readonly string[], port: number): number {
  const pattern = new RegExp(`^TCP\\s+${NET.vip.replaceAll(".", "\\.")}:${port}\\s+(\\d+)\\s+(\\d+)\\s`);
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match) return Number(match[2]);
  }
  throw new Error(`no counters for ${NET.vip}:${port} in ${JSON.stringify(lines.join("\n"))}`);
}
