// Runs inside the qemu guest (see ipvs-driver.sh): the director's `ipvs` data plane applies
// plans to the real kernel IPVS with one `ipvsadm -R` each, reads the table back with -Sn, and
// real HTTP requests from the client namespace show the split. One JSON line per step.
import { execFileSync } from "node:child_process";
import { ExecRunner, writeSysctl } from "@lvsfleet/hostops";
import { renderSave } from "@lvsfleet/ipvs";
import type { IpvsTable } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { IpvsDataPlane } from "../../../agents/director/src/drivers/ipvs.ts";

const VIP = "198.18.1.100";
const REAL_SERVERS = ["198.18.2.2", "198.18.3.2"];

function table(forwarding: "nat" | "dr", weights: number[]): IpvsTable {
  return {
    services: [
      {
        protocol: "tcp",
        address: VIP,
        port: 80,
        family: "inet",
        scheduler: "wrr",
        schedulerFlags: [],
        destinations: REAL_SERVERS.map((address, i) => ({
          address,
          port: 80,
          forwarding,
          weight: weights[i] ?? 0,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        })),
      },
    ],
  };
}

function requests(n: number, to = VIP): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    let answer = "fail";
    try {
      answer = execFileSync(
        "ip",
        ["netns", "exec", "client", "busybox", "timeout", "2", "busybox", "wget", "-q", "-O", "-", `http://${to}/`],
        {
          encoding: "utf8",
        },
      ).trim();
    } catch {}
    counts[answer] = (counts[answer] ?? 0) + 1;
  }
  return counts;
}

const driver = new IpvsDataPlane();
await driver.init();
const print = (o: unknown) => console.log(JSON.stringify(o));

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

async function step(name: string, desired: IpvsTable, traffic: number): Promise<void> {
  const observed = await driver.observe();
  const operations = plan(desired, observed, { isManaged: () => true });
  const t0 = performance.now();
  await driver.execute(operations);
  const applyMs = Math.round(performance.now() - t0);
  const back = await driver.observe();
  const again = plan(desired, back, { isManaged: () => true });
  const split = traffic > 0 ? requests(traffic) : undefined;
  check(name, again.length === 0, `re-planning after apply gave ${again.length} operations`);
  if (split) checkSplit(name, desired, split, traffic);
  print({
    step: name,
    operations: operations.length,
    applyMs,
    replan: again.length,
    save: renderSave(back),
    ...(split ? { split } : {}),
  });
}

// What the director agent's start would set (HostKeeper): NAT and the routed DR replies need forwarding.
const required = driver.requiredSysctls(table("nat", [3, 1]));
for (const [key, value] of Object.entries(required)) await writeSysctl(new ExecRunner(), key, value);
print({ step: "sysctls", required, direct: REAL_SERVERS.map((rs) => requests(1, rs)) });
await step("nat-wrr-3:1", table("nat", [3, 1]), 20);
await step("nat-wrr-3:1-again", table("nat", [3, 1]), 0);
await step("dr-wrr-3:1", table("dr", [3, 1]), 20);
await step("dr-wrr-1:1", table("dr", [1, 1]), 20);
await step("dr-weight-0", table("dr", [1, 0]), 20);
await step("empty", { services: [] }, 0);
check("empty", (await driver.observe()).services.length === 0, "the table is not empty after applying an empty one");
print({ result: failed === 0 ? "ok" : `${failed} checks failed` });
process.exit(failed === 0 ? 0 : 1);
