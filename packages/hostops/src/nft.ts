import { z } from "zod";
import type { CommandRunner } from "./runner.ts";

/** Applies an nft script in one transaction (`nft -f -`): all of it happens, or none of it. */
export async function nftApply(runner: CommandRunner, script: string): Promise<void> {
  await runner.run("nft", ["-f", "-"], { input: script });
}

const Family = z.enum(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);
const TableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: "must be an nftables table name" });

/** The `nftables` array of `nft -j list table FAMILY NAME`, or undefined when the table does not exist. */
export async function nftListTable(
  runner: CommandRunner,
  family: string,
  name: string,
): Promise<Record<string, unknown>[] | undefined> {
  const f = Family.parse(family);
  const n = TableName.parse(name);
  const tables = await runner.run("nft", ["-j", "list", "tables", f]);
  const listed = parseNftJson(tables.stdout).some((o) => (o.table as { name?: string } | undefined)?.name === n);
  if (!listed) return undefined;
  return parseNftJson((await runner.run("nft", ["-j", "list", "table", f, n])).stdout);
}

export function parseNftJson(text: string): Record<string, unknown>[] {
  if (text.trim() === "") return [];
  const parsed = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(text));
  return parsed.nftables;
}
