import { z } from "zod";
import type { CommandRunner } from "./runner.ts";

/**
 * Applies an nft script in one transaction (`nft -f -`): all of it happens, or none of it.
 * `timeoutMs`: how long nft may work before it is killed (the runner's default is 30 s; a big
 * transaction needs more — the caller sizes it to the script).
 */
export async function nftApply(
  runner: CommandRunner,
  script: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  await runner.run("nft", ["-f", "-"], { input: script, timeoutMs: options.timeoutMs });
}

const ObjectName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, { error: "must be an nftables object name" });

/**
 * One chain, set or map as `nft -j list chain|set|map FAMILY TABLE NAME` gives it (with its rules
 * or elements), or undefined when it does not exist. nft 1.0.6 lists one object per process: a
 * batch of several list commands fails on its own cache (it names the second object missing).
 */
export async function nftListObject(
  runner: CommandRunner,
  family: string,
  table: string,
  kind: "chain" | "set" | "map",
  name: string,
): Promise<Record<string, unknown>[] | undefined> {
  const args = ["-j", "list", kind, Family.parse(family), TableName.parse(table), ObjectName.parse(name)];
  try {
    return parseNftJson((await runner.run("nft", args)).stdout);
  } catch (error) {
    if (/No such file or directory/.test(String((error as { stderr?: string }).stderr ?? error))) return undefined;
    throw error;
  }
}

const Family = z.enum(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);
const TableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: "must be an nftables table name" });

/**
 * The `nftables` array of `nft -j list table FAMILY NAME`, or undefined when the table does not
 * exist. One nft process: asking `list tables` first cost a second one, and at 10,000 services
 * nft 1.0.6 took more than 30 s for it (it fills its whole cache for a list of tables too).
 */
export async function nftListTable(
  runner: CommandRunner,
  family: string,
  name: string,
  options: { timeoutMs?: number } = {},
): Promise<Record<string, unknown>[] | undefined> {
  const f = Family.parse(family);
  const n = TableName.parse(name);
  try {
    return parseNftJson(
      (await runner.run("nft", ["-j", "list", "table", f, n], { timeoutMs: options.timeoutMs })).stdout,
    );
  } catch (error) {
    if (/No such file or directory/.test(String((error as { stderr?: string }).stderr ?? error))) return undefined;
    throw error;
  }
}

export function parseNftJson(text: string): Record<string, unknown>[] {
  if (text.trim() === "") return [];
  const parsed = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(text));
  return parsed.nftables;
}
