import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const HERE = new URL(".", import.meta.url).pathname;

/** Where build-guest.sh keeps vmlinuz + base.cpio (cached across runs). */
export const GUEST_DIR = process.env.LVSFLEET_GUEST_DIR ?? "/tmp/lvsfleet-ipvs-guest";

/** Whether qemu can be had: present, or installable from the OS packages (apt-get, as root). */
export async function ensureQemu(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await run("qemu-system-x86_64", ["--version"]);
    return { ok: true };
  } catch {}
  if (process.getuid?.() !== 0) return { ok: false, reason: "qemu-system-x86_64 is missing and we are not root" };
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "qemu-system-x86"], { env, timeout: 240_000 });
  try {
    // a fresh machine has no package lists yet: update once and try again
    await install().catch(async () => {
      await run("apt-get", ["update", "-qq"], { env, timeout: 240_000 });
      await install();
    });
    await run("qemu-system-x86_64", ["--version"]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `qemu-system-x86 could not be installed: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** Builds the guest (Debian kernel + ipvsadm initramfs); returns at once when the cached build is current. */
export async function buildGuest(): Promise<void> {
  await run(join(HERE, "build-guest.sh"), [], {
    env: { ...process.env, WORK: GUEST_DIR },
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
}

/**
 * Boots the guest once, runs the job scripts in order against the real kernel IPVS, and
 * returns the sections their output marks with `=== name` lines (text up to the next marker).
 */
export async function runJobs(
  jobs: { name: string; script: string }[],
  options: {
    /** Share the host's /usr read-only at /mnt/hostusr (node for jobs that run JavaScript; run-guest.sh -U). */
    hostUsr?: boolean;
    /** More files for /job/ (e.g. a bundled program a job runs); only *.sh files run as jobs. */
    files?: string[];
  } = {},
): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), "lvsfleet-guest-jobs-"));
  try {
    const files: string[] = [];
    for (const job of jobs) {
      const file = join(dir, `${job.name}.sh`);
      await writeFile(file, job.script, { mode: 0o755 });
      files.push(file);
    }
    const args = [
      "-t",
      // the one boot takes 50-100 s under TCG on a 2-core machine; 120 s was cut short under load
      "240",
      "-o",
      join(dir, "logs"),
      ...(options.hostUsr ? ["-U"] : []),
      ...files,
      ...(options.files ?? []),
    ];
    const { stdout } = await run(join(HERE, "run-guest.sh"), args, {
      env: { ...process.env, WORK: GUEST_DIR },
      timeout: 270_000,
      maxBuffer: 64 << 20,
    }).catch((error: { stdout?: string; message: string }) => {
      throw new Error(`guest run failed: ${error.message}\n${error.stdout ?? ""}`);
    });
    return sections(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Splits run-guest.sh output (12-column time stamps) into `=== name` sections. */
export function sections(output: string): Map<string, string> {
  const result = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const close = () => {
    if (current !== undefined) result.set(current, lines.map((l) => `${l}\n`).join(""));
  };
  for (const raw of output.split("\n")) {
    if (!/^ {0,6}\d+\.\d{3} /.test(raw)) continue;
    const line = raw.replace(/^ {0,6}\d+\.\d{3} /, "");
    if (line.startsWith("@@")) {
      if (line.startsWith("@@JOB-END")) {
        close();
        current = undefined;
      }
      continue;
    }
    const marker = /^=== (\S+)$/.exec(line);
    if (marker) {
      close();
      current = marker[1];
      lines = [];
    } else if (current !== undefined) lines.push(line);
  }
  close();
  return result;
}
