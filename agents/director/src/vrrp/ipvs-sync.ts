import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { VrrpState } from "@lvsfleet/model";

const run = promisify(execFile);

/** The ipvsadm calls that put the kernel's connection-sync daemon in the role for a VRRP state. */
export function syncDaemonCommands(state: VrrpState, iface: string, syncId: number): string[][] {
  const common = ["--mcast-interface", iface, "--syncid", String(syncId)];
  switch (state) {
    case "MASTER":
      return [
        ["--stop-daemon", "backup"],
        ["--start-daemon", "master", ...common],
      ];
    case "BACKUP":
    case "FAULT":
      return [
        ["--stop-daemon", "master"],
        ["--start-daemon", "backup", ...common],
      ];
    default:
      return [];
  }
}

/**
 * With the kernel IPVS data plane, connections in flight survive a fail-over through IPVS's own
 * connection synchronisation: the MASTER runs the master sync daemon (multicasting its connection
 * table), the BACKUP the backup daemon (learning it), switched at each VRRP transition as
 * keepalived's lvs_sync_daemon does. A failing call is reported, never thrown (the VIP moved anyway).
 */
export async function switchSyncDaemon(
  state: VrrpState,
  iface: string,
  syncId: number,
  runner: (args: string[]) => Promise<void> = async (args) => {
    await run("ipvsadm", args, { timeout: 5_000 });
  },
): Promise<string[]> {
  const problems: string[] = [];
  for (const args of syncDaemonCommands(state, iface, syncId)) {
    try {
      await runner(args);
    } catch (error) {
      // stopping a daemon that does not run fails: only a failed start is a problem
      if (args[0] === "--start-daemon")
        problems.push(
          `ipvsadm ${args.join(" ")}: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
        );
    }
  }
  return problems;
}
