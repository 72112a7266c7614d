// Runs inside the qemu guest (see ipvs-driver.sh): the director's `ipvs` data plane applies
// plans to the real kernel IPVS with one `ipvsadm -R` each, reads the table back with -Sn, and
// real HTTP requests from the client namespace show the split. One JSON line per step.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ExecRunner, writeSysctl } from "@lvsfleet/hostops";
import { type IpvsTable, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { IpvsDataPlane } from "../../../agents/director/src/drivers/ipvs.ts";
import { touchedServices } from "../../../packages/agent-runtime/src/applied-table.ts";
import { CLIENT_NS, REAL_SERVERS, STEPS, table, VIP } from "./ipvs-driver-plan.ts";

const print = (o: unknown) => console.log(JSON.stringify(o));
print({ step: "node", uptime: Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) });

/**
 * N requests from the client, each a new connection, in one busybox shell inside the client's
 * namespace (a process per request spawned from node costs ~0.1 s under emulation). Counts per answer.
 */
const LOOP =
  'i=0; while [ $i -lt "$1" ]; do busybox timeout 2 busybox wget -q -O - "$2" || echo fail; i=$((i + 1)); done';
function requests(n: number, to = VIP): Record<string, number> {
  const args = ["netns", "exec", CLIENT_NS, "busybox", "sh", "-c", LOOP, "sh", String(n), `http://${to}/`];
  const counts: Record<string, number> = {};
  for (const line of execFileSync("ip", args, { encoding: "utf8" }).split("\n")) {
    const answer = line.trim();
    if (answer) counts[answer] = (counts[answer] ?? 0) + 1;
  }
  return counts;
}

let failed = 0;
function check(name: string, ok: boolean, what: string): void {
  if (!ok) {
    failed++;
    print({ step: name, failed: what });
  }
}

/** Checks the split: each server's share within 5 points of its weight's. */
function checkSplit(name: string, desired: IpvsTable, split: Record<string, number>, total: number): void {
  const destinations = desired.services[0]?.destinations ?? [];
  const weights = destinations.reduce((n, d) => n + d.weight, 0);
  destinations.forEach((d, i) => {
    const got = (100 * (split[`rs${i + 1}`] ?? 0)) / total;
    check(name, Math.abs(got - (100 * d.weight) / weights) <= 5, `rs${i + 1} got ${got}% for weight ${d.weight}`);
  });
  check(name, (split.fail ?? 0) === 0, `${split.fail} requests failed`);
}

const driver = new IpvsDataPlane();
await driver.init();
// What the director agent's start would set (HostKeeper): NAT and the routed DR replies need forwarding.
const required = driver.requiredSysctls(table("nat", [3, 1]));
for (const [key, value] of Object.entries(required)) await writeSysctl(new ExecRunner(), key, value);
print({ step: "sysctls", required, direct: REAL_SERVERS.map((rs) => requests(1, rs)) });

// Each step plans against what the driver read back from the kernel after the previous one.
let observed = await driver.observe();
for (const { name, desired, requests: traffic } of STEPS) {
  const operations = plan(desired, observed, { isManaged: () => true });
  const t0 = performance.now();
  await driver.execute(operations);
  const applyMs = Math.round(performance.now() - t0);
  // What the kernel has now, as ipvsadm -Sn prints it, and planned again from the driver's reading of it.
  const sn = execFileSync("ipvsadm", ["-Sn"], { encoding: "utf8" });
  observed = await driver.observe();
  const again = plan(desired, observed, { isManaged: () => true });
  // The read-back after a change (the services it touched, and those it should have): the same as the whole read's.
  const keys = [...new Set([...touchedServices(operations), ...desired.services.map(serviceKey)])];
  const targeted = await driver.observeServices(keys);
  const whole = { services: observed.services.filter((s) => keys.includes(serviceKey(s))) };
  check(
    name,
    JSON.stringify(targeted) === JSON.stringify(whole),
    `observeServices read ${JSON.stringify(targeted)}, observe ${JSON.stringify(whole)}`,
  );
  const split = traffic > 0 ? requests(traffic) : undefined;
  check(name, again.length === 0, `re-planning after apply gave ${again.length} operations`);
  if (split) checkSplit(name, desired, split, traffic);
  print({
    step: name,
    operations: operations.length,
    applyMs,
    replan: again.length,
    sn,
    targeted: { keys: keys.length, services: targeted.services.length },
    ...(split ? { split } : {}),
  });
}
check("empty", observed.services.length === 0, "the table is not empty after applying an empty one");
print({ result: failed === 0 ? "ok" : `${failed} checks failed` });
process.exit(failed === 0 ? 0 : 1);
