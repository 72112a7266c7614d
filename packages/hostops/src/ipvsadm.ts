import { batchTimeoutMs, type CommandRunner, HostCommandError } from "./runner.ts";

/** Runs a whole `ipvsadm -R` batch in one process (the save format, one rule per line). */
export async function ipvsadmRestore(runner: CommandRunner, rules: string): Promise<void> {
  if (rules.trim() === "") return;
  await runner.run("ipvsadm", ["-R"], {
    input: rules.endsWith("\n") ? rules : `${rules}\n`,
    timeoutMs: batchTimeoutMs(rules.split("\n").length),
  });
}

/** `ipvsadm -Sn`: the table in the save format, numeric. */
export async function ipvsadmSave(runner: CommandRunner): Promise<string> {
  return (await runner.run("ipvsadm", ["-Sn"])).stdout;
}

/** `ipvsadm -Ln` with extra options (e.g. `--thresholds`, `--persistent-conn`). */
export async function ipvsadmList(
  runner: CommandRunner,
  extra: readonly ("--thresholds" | "--persistent-conn" | "--stats" | "--rate")[] = [],
): Promise<string> {
  return (await runner.run("ipvsadm", ["-Ln", ...extra])).stdout;
}

/** How `ipvsadm -Ln` names one service: `-t 192.0.2.1:80`, `-u [2001:db8::1]:53`, `--sctp-service …`, `-f 7 [-6]`. */
export type IpvsadmServiceArgs = readonly string[];

/**
 * `ipvsadm -Ln --exact [listing] <service>`: one service's listing (it is undefined when the kernel
 * has no such service: ipvsadm says "No such service" and exits 1).
 */
export async function ipvsadmListService(
  runner: CommandRunner,
  service: IpvsadmServiceArgs,
  extra: readonly ("--thresholds" | "--persistent-conn" | "--tun-info")[] = [],
): Promise<string | undefined> {
  try {
    return (await runner.run("ipvsadm", ["-Ln", "--exact", ...extra, ...service])).stdout;
  } catch (error) {
    if (error instanceof HostCommandError && /no such service/i.test(error.stderr)) return undefined;
    throw error;
  }
}

/**
 * Several `-L -n …` listings in one `ipvsadm -R` process (ipvsadm reads any command from stdin, one a
 * line); their outputs follow one another, each from its own `Prot LocalAddress:Port` heading.
 * Undefined when one of the services does not exist (ipvsadm stops there: "No such service").
 */
export async function ipvsadmListBatch(
  runner: CommandRunner,
  listings: readonly string[],
): Promise<string | undefined> {
  if (listings.length === 0) return "";
  try {
    return (await runner.run("ipvsadm", ["-R"], { input: `${listings.join("\n")}\n` })).stdout;
  } catch (error) {
    if (error instanceof HostCommandError && /no such service/i.test(error.stderr)) return undefined;
    throw error;
  }
}
