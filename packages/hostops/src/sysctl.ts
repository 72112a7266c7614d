import { SysctlKey, SysctlValue, validate } from "./names.ts";
import type { CommandRunner } from "./runner.ts";

/** `net.ipv4.conf.eth0/100.arp_ignore` → `/proc/sys/net/ipv4/conf/eth0.100/arp_ignore`. */
export function sysctlPath(key: string): string {
  const k = validate(SysctlKey, key, ["sysctl"]);
  return `/proc/sys/${k
    .split(".")
    .map((part) => part.replaceAll("/", "."))
    .join("/")}`;
}

/** The sysctl's value (white space squeezed, as sysctl -n prints it), or undefined if the key does not exist. */
export async function readSysctl(runner: CommandRunner, key: string): Promise<string | undefined> {
  const text = await runner.readFile(sysctlPath(key));
  return text === undefined ? undefined : text.trim().replace(/\s+/g, " ");
}

export async function writeSysctl(runner: CommandRunner, key: string, value: string): Promise<void> {
  const path = sysctlPath(key);
  const v = validate(SysctlValue, value, [key]);
  try {
    await runner.writeFile(path, `${v}\n`);
  } catch (error) {
    throw new Error(`cannot set ${key}=${v} (${path}): ${(error as Error).message}`);
  }
}
