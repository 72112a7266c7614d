// Removes lab namespaces left behind: those whose owning process (the pid in the name) is gone,
// or, with --prefix P, those of run P. Kills the processes still inside them first (they can
// only be the lab's: agents, web servers, relays). Prints {"removed":[...]}.
import { execFileSync } from "node:child_process";

const NAME = /^lvslab(\d+)x[0-9a-f]+-/;
const args = process.argv.slice(2);
const prefix = args.includes("--prefix") ? args[args.indexOf("--prefix") + 1] : undefined;

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
};

const removed = [];
const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
  .split("\n")
  .map((line) => line.split(" ")[0])
  .filter(Boolean);
for (const ns of namespaces) {
  const match = NAME.exec(ns);
  if (!match) continue;
  if (prefix ? !ns.startsWith(`${prefix}-`) : alive(Number(match[1]))) continue;
  const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  for (const pid of pids)
    if (pid !== process.pid)
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
  try {
    execFileSync("ip", ["netns", "del", ns]);
    removed.push(ns);
  } catch (error) {
    process.stderr.write(`cannot delete ${ns}: ${error.message}\n`);
  }
}
process.stdout.write(`${JSON.stringify({ removed })}\n`);
