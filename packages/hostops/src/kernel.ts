import { type CommandRunner, HostCommandError } from "./runner.ts";

/** The running kernel's release, e.g. `6.1.0-26-amd64` (from /proc/sys/kernel/osrelease). */
export async function kernelRelease(runner: CommandRunner): Promise<string> {
  return ((await runner.readFile("/proc/sys/kernel/osrelease")) ?? "unknown").trim();
}

/** `6.1.0-26-amd64` → [6, 1, 0]; unparsable parts are 0. */
export function kernelVersion(release: string): [number, number, number] {
  const [major, minor, patch] = (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release) ?? []).slice(1).map((n) => Number(n ?? 0));
  return [major ?? 0, minor ?? 0, patch ?? 0];
}

/** True when release is at least major.minor. */
export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  return a > major || (a === major && b >= minor);
}

export interface Support {
  available: boolean;
  /** What was found, in words (for doctor and start-up errors). */
  detail: string;
}

/**
 * Whether the kernel has IPVS: /proc/net/ip_vs exists once ip_vs is loaded. With `load`, tries
 * `modprobe ip_vs` first, as ipvsadm itself would.
 */
export async function ipvsSupport(runner: CommandRunner, options: { load?: boolean } = {}): Promise<Support> {
  const present = async () => (await runner.readFile("/proc/net/ip_vs")) !== undefined;
  if (await present()) return { available: true, detail: "ip_vs is loaded (/proc/net/ip_vs)" };
  let modprobe = "";
  if (options.load) {
    try {
      await runner.run("modprobe", ["ip_vs"]);
      if (await present()) return { available: true, detail: "ip_vs loaded with modprobe ip_vs" };
    } catch (error) {
      modprobe = error instanceof HostCommandError ? `; modprobe ip_vs: ${error.stderr.trim() || error.message}` : "";
    }
  }
  return {
    available: false,
    detail: `this kernel has no ip_vs (no /proc/net/ip_vs${modprobe})`,
  };
}

/** Whether nft works and the kernel accepts the given ruleset (checked with `nft -c`, nothing is applied). */
export async function nftablesSupport(runner: CommandRunner, probe: string): Promise<Support> {
  try {
    await runner.run("nft", ["-c", "-f", "-"], { input: probe });
    return { available: true, detail: "nftables accepts the ruleset (nft -c)" };
  } catch (error) {
    const said = error instanceof HostCommandError ? error.stderr.trim() || error.message : (error as Error).message;
    return { available: false, detail: `nftables refused the ruleset: ${said.split("\n").slice(0, 4).join("; ")}` };
  }
}
