import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseList, parseSave, renderList, renderRestore, renderSave } from "@lvsfleet/ipvs";
import { type IpvsTable, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { agentService, applyRequestFromWire, tableToWire } from "@lvsfleet/rpc";
import { parseListingNumbers, withListingNumbers } from "../../agents/director/src/drivers/ipvs-listing.ts";
import { powerFit } from "./power-fit.ts";
import { withOneWeightChanged } from "./table.ts";

const run = promisify(execFile);

/** The ipvs driver's own work, on this machine: plan, the `ipvsadm -R` batch, parsing `-Sn`. */
export interface IpvsHostFigures {
  operations: number;
  planMs: number;
  batchMs: number;
  batchLines: number;
  batchBytes: number;
  /**
   * parseSave of the whole table's `ipvsadm -Sn` text (what observe parses): measured up to
   * `parseCap` services, beyond that extrapolated from two measured sizes (it grew quadratically before the planner's TableEditor; linear since).
   */
  parseSaveMs: number;
  parseSave: { measured: [number, number][]; exponent: number; extrapolated: boolean };
  change: {
    /** Median of 21 plans after the first (the agent plans often); planColdMs: the process's first plan. */
    planMs: number;
    planColdMs: number;
    batchMs: number;
    batch: string;
    readBackParseMs: number;
    agentMs: number;
  };
  /** The agent's check of an Apply carrying the whole table (wire form to the model's schemas), best of three. */
  validateMs: number;
}

/** Milliseconds the agent spends checking an Apply with this table (agent-input.ts), best of `runs`. */
function validateTime(desired: IpvsTable, runs = 3): number {
  // As the agent receives it: encoded and decoded by proto-loader (not timed).
  const { Apply } = agentService().service;
  const request = Apply.requestDeserialize(
    Apply.requestSerialize({ cluster: "bench", generation: 1, desired: tableToWire(desired), dryRun: false }),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    applyRequestFromWire(request);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Milliseconds to parse the -Sn text of the first `services` services of the table. */
function parseSaveTime(desired: IpvsTable, services: number): number {
  const save = renderSave({ services: desired.services.slice(0, services) });
  const t0 = performance.now();
  parseSave(save);
  return performance.now() - t0;
}

/**
 * The agent's parse of its read-back after a change (best of five): the touched services' three
 * listings (`-L -n --exact --tun-info`, `--thresholds`, `--persistent-conn`), as ipvsadm prints them.
 */
function targetedReadBackParse(table: IpvsTable, operations: ReturnType<typeof plan>): number {
  const touched = new Set(operations.map((op) => serviceKey(op.service)));
  const services = { services: table.services.filter((s) => touched.has(serviceKey(s))) };
  const listing = renderList(services, { exact: true });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    withListingNumbers(parseList(listing), parseListingNumbers(listing), parseListingNumbers(listing));
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export function ipvsHostPart(
  desired: IpvsTable,
  parseCap: number,
): IpvsHostFigures & { batch: string; changeBack: string } {
  const empty: IpvsTable = { services: [] };
  const validateMs = validateTime(desired);
  let t0 = performance.now();
  const operations = plan(desired, empty);
  const planMs = performance.now() - t0;
  t0 = performance.now();
  const batch = renderRestore(operations);
  const batchMs = performance.now() - t0;
  const total = desired.services.length;
  const sizes = total <= parseCap ? [total] : [Math.floor(parseCap / 2), parseCap];
  const measured = sizes.map((n): [number, number] => [n, parseSaveTime(desired, n)]);
  const fit = powerFit(measured);
  const parseSaveMs = total <= parseCap ? (measured[0]?.[1] ?? Number.NaN) : fit.at(total);
  // a table of its own, as the agent decodes each Apply (no object shared with the applied table)
  const changed = structuredClone(withOneWeightChanged(desired));
  t0 = performance.now();
  const changeOps = plan(changed, desired);
  const changePlanColdMs = performance.now() - t0;
  // the agent is a long-lived process: the planner's code is compiled after its first plans
  const warm: number[] = [];
  for (let i = 0; i < 21; i++) {
    t0 = performance.now();
    plan(changed, desired);
    warm.push(performance.now() - t0);
  }
  const changePlanMs = warm.sort((a, b) => a - b)[10] ?? Number.NaN;
  t0 = performance.now();
  const changeBatch = renderRestore(changeOps);
  const changeBatchMs = performance.now() - t0;
  const readBackParseMs = targetedReadBackParse(changed, changeOps);
  return {
    operations: operations.length,
    planMs,
    batchMs,
    batchLines: operations.length,
    batchBytes: Buffer.byteLength(batch),
    parseSaveMs,
    parseSave: { measured, exponent: fit.exponent, extrapolated: total > parseCap },
    change: {
      planMs: changePlanMs,
      planColdMs: changePlanColdMs,
      batchMs: changeBatchMs,
      batch: changeBatch,
      readBackParseMs,
      agentMs: changePlanMs + changeBatchMs + readBackParseMs,
    },
    validateMs,
    batch,
    changeBack: renderRestore(plan(desired, changed)),
  };
}

/** What the guest measured (seconds, from /proc/uptime: 10 ms resolution). */
export interface IpvsGuestFigures {
  kernel: string;
  fullRestoreS: number;
  saveS: number;
  saveLines: number;
  /** One `ipvsadm -R` of a one-line batch, averaged over `changeRuns`. */
  changeS: number;
  changeRuns: number;
  /** One ipvsadm process per rule, over the first `sample` rules; and the same rules as one -R. */
  sample: number;
  perRuleS: number;
  sampleRestoreS: number;
  /** perRuleS / sample × all rules, against fullRestoreS. */
  perRuleEstimateS: number;
  ratioFull: number;
  ratioSample: number;
  bootS: number;
  totalS: number;
}

const JOB = `#!/bin/sh
# bench/reconcile in the qemu guest: ipvsadm -R of the whole table, -Sn, one-line changes, and one
# process per rule on a sample. Lines: "@bench name start end [count]" (seconds of /proc/uptime).
set -e
t() { cut -d' ' -f1 /proc/uptime; }
FULL=$(ls /job/*-full.batch); CHANGE=$(ls /job/*-change.batch); BACK=$(ls /job/*-back.batch); SAMPLE=$(ls /job/*-sample.batch)
echo "@bench kernel $(uname -r)"
ipvsadm -C
a=$(t); ipvsadm -R < "$FULL"; b=$(t)
echo "@bench full $a $b"
n=$(ipvsadm -Sn | wc -l); c=$(t)
echo "@bench save $b $c $n"
i=0; d=$(t)
while [ $i -lt 20 ]; do ipvsadm -R < "$CHANGE"; ipvsadm -R < "$BACK"; i=$((i + 2)); done
e=$(t)
echo "@bench change $d $e 20"
ipvsadm -C
k=$(wc -l < "$SAMPLE"); f=$(t)
while read -r line; do ipvsadm $line; done < "$SAMPLE"
g=$(t)
echo "@bench per-rule $f $g $k"
ipvsadm -C
h=$(t); ipvsadm -R < "$SAMPLE"; j=$(t)
echo "@bench sample-restore $h $j $k"
ipvsadm -C
`;

/** Boots the test tier's qemu guest once and runs the batches there against the real kernel IPVS. */
export async function ipvsGuestPart(
  root: string,
  batches: { full: string; change: string; back: string },
  sample: number,
): Promise<IpvsGuestFigures> {
  const guestDir = join(root, "test", "ipvs-guest");
  const work = process.env.LVSFLEET_GUEST_DIR ?? "/tmp/lvsfleet-ipvs-guest";
  await run(join(guestDir, "build-guest.sh"), [], { env: { ...process.env, WORK: work }, timeout: 600_000 });
  const dir = await mkdtemp(join(tmpdir(), "lvsfleet-bench-reconcile-"));
  try {
    const full = batches.full.split("\n").filter(Boolean);
    const files = {
      "job.sh": JOB,
      "full.batch": batches.full,
      "change.batch": batches.change,
      "back.batch": batches.back,
      "sample.batch": `${full.slice(0, sample).join("\n")}\n`,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o644 });
    const started = performance.now();
    const { stdout } = await run(
      join(guestDir, "run-guest.sh"),
      ["-m", "1024", "-t", "1800", "-o", join(dir, "logs"), ...Object.keys(files).map((f) => join(dir, f))],
      { env: { ...process.env, WORK: work }, timeout: 1_900_000, maxBuffer: 64 << 20 },
    );
    const totalS = (performance.now() - started) / 1000;
    const marks = new Map<string, string[]>();
    let bootS = Number.NaN;
    for (const line of stdout.split("\n")) {
      const bench = /@bench (\S+) (.*)$/.exec(line);
      if (bench) marks.set(bench[1] as string, (bench[2] as string).split(" "));
      const up = /^\s*(\d+\.\d+) @@GUEST-UP/.exec(line);
      if (up) bootS = Number(up[1]);
    }
    const span = (name: string) => {
      const m = marks.get(name);
      if (!m) throw new Error(`the guest did not report ${name}:\n${stdout.slice(-3000)}`);
      return Number(m[1]) - Number(m[0]);
    };
    const count = (name: string) => Number(marks.get(name)?.[2] ?? Number.NaN);
    const fullRestoreS = span("full");
    const perRuleS = span("per-rule");
    const k = count("per-rule");
    const perRuleEstimateS = (perRuleS / k) * full.length;
    const sampleRestoreS = span("sample-restore");
    return {
      kernel: marks.get("kernel")?.[0] ?? "?",
      fullRestoreS,
      saveS: span("save"),
      saveLines: count("save"),
      changeS: span("change") / count("change"),
      changeRuns: count("change"),
      sample: k,
      perRuleS,
      sampleRestoreS,
      perRuleEstimateS,
      ratioFull: perRuleEstimateS / fullRestoreS,
      ratioSample: perRuleS / sampleRestoreS,
      bootS,
      totalS,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
