import { readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain ESM script without types
import { bundleIpvsDriverJob } from "./bundle.mjs";

/** One line of the job's output (see ipvs-driver.ts). */
export interface IpvsDriverStep {
  step: string;
  operations?: number;
  applyMs?: number;
  replan?: number;
  /** `ipvsadm -Sn` after the step, as the kernel printed it. */
  sn?: string;
  split?: Record<string, number>;
  /** observeServices after the step: how many services it was asked for, and how many it found. */
  targeted?: { keys: number; services: number };
  failed?: string;
  required?: Record<string, string>;
  direct?: Record<string, number>[];
  result?: string;
}

/**
 * The ipvs-driver job for the guest tier's one boot: the script (told to exit 0 whatever its
 * checks say, so that the tier's other jobs are judged on their own) and the bundled program,
 * written to `dir`. Run it with runJobs(…, { hostUsr: true, files }).
 */
export async function ipvsDriverJob(dir: string): Promise<{ job: { name: string; script: string }; files: string[] }> {
  const program = join(dir, "ipvs-driver.mjs");
  await bundleIpvsDriverJob(program);
  const script = readFileSync(new URL("./ipvs-driver.sh", import.meta.url), "utf8");
  return { job: { name: "ipvs-driver", script: `export IPVS_DRIVER_SOFT=1\n${script}` }, files: [program] };
}

/** The job's JSON lines; a line that is not JSON (a crash, a stack trace) is kept as a failed step. */
export function parseIpvsDriverOutput(section: string): IpvsDriverStep[] {
  return section
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as IpvsDriverStep;
      } catch {
        return { step: "output", failed: line };
      }
    });
}
