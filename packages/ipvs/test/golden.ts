import { readFileSync } from "node:fs";

/** A recorded file from test/golden (real ipvsadm output from the qemu guest). */
export const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), "utf8");

/** The `ipvsadm ...` commands of a golden setup script, without the `ipvsadm ` prefix: an `ipvsadm -R` batch. */
export function setupCommands(script: string): string {
  return golden(script)
    .split("\n")
    .filter((line) => line.startsWith("ipvsadm -") && !/^ipvsadm -(L|S|Z|-set)/.test(line) && !line.includes(";"))
    .map((line) => `${line.slice("ipvsadm ".length)}\n`)
    .join("");
}
