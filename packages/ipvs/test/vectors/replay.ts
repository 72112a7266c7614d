import { Simulator } from "../../src/index.ts";
import { FIRST_CLIENT_PORT, REAL_SERVERS, type RealServerName, SCENARIOS, type Scenario, VIPS } from "./scenarios.ts";

/** What one connection got: the real server's name, or FAIL when the service had no destination. */
export type Outcome = RealServerName | "FAIL";

const NAMES = new Map<string, RealServerName>(
  Object.entries(REAL_SERVERS).map(([name, address]) => [address, name as RealServerName]),
);

/** The client port of every connection of every scenario (the guest pins them with ip_local_port_range). */
export function clientPorts(): Map<string, number[]> {
  const ports = new Map<string, number[]>();
  let next = FIRST_CLIENT_PORT;
  for (const s of SCENARIOS) {
    const list: number[] = [];
    for (const step of s.steps) if ("connect" in step) for (const _ of step.connect) list.push(next++);
    ports.set(s.name, list);
  }
  return ports;
}

/**
 * Runs a scenario through the simulator as the guest runs it through the kernel: each HTTP/1.0
 * connection opens, completes its handshake and is closed by the server before the next one
 * (so earlier connections sit in TIME_WAIT, inactive), about 40 ms apart.
 */
export function replay(scenario: Scenario, ports: number[]): Outcome[];
export function replay(
  scenario: Scenario,
  ports: number[],
  options: { keep: true },
): { outcomes: Outcome[]; sim: Simulator };
export function replay(
  scenario: Scenario,
  ports: number[],
  options: { keep?: boolean } = {},
): Outcome[] | { outcomes: Outcome[]; sim: Simulator } {
  const sim = new Simulator();
  const outcomes: Outcome[] = [];
  let k = 0;
  for (const step of scenario.steps) {
    if ("ops" in step) sim.applyOperations(step.ops);
    else if ("sysctl" in step) sim.sysctls.expireQuiescentTemplate = step.value === 1;
    else
      for (const c of step.connect) {
        const result = sim.openConnection({
          client: c.from,
          clientPort: ports[k++]!,
          address: c.vip ?? VIPS[0],
          port: scenario.port,
        });
        if (result.ok) {
          sim.establish(result.id);
          sim.transfer(result.id, { inPackets: 2, inBytes: 150, outPackets: 2, outBytes: 300 });
          sim.closeConnection(result.id, "server");
          outcomes.push(NAMES.get(result.destination.address) ?? "FAIL");
        } else outcomes.push("FAIL");
        sim.tick(40);
      }
  }
  return options.keep ? { outcomes, sim } : outcomes;
}

/** golden/vectors.txt: `scenario index outcome` per line. */
export function parseVectors(text: string): Map<string, Outcome[]> {
  const result = new Map<string, Outcome[]>();
  for (const line of text.split("\n")) {
    const m = /^V (\S+) (\d+) (\S+)$/.exec(line);
    if (!m) continue;
    const list = result.get(m[1]!) ?? [];
    list[Number(m[2])] = m[3] as Outcome;
    result.set(m[1]!, list);
  }
  return result;
}
