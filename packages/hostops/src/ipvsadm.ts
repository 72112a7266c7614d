import { batchTimeoutMs, type CommandRunner } from "./runner.ts";

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
