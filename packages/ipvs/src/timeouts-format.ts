import type { Timeouts } from "./sim/simulator.ts";

/** `ipvsadm -L --timeout`: `Timeout (tcp tcpfin udp): 900 120 300`. */
export function renderTimeouts(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpfin} ${t.udp}\n`;
}
