import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { ipvsGuestPart, ipvsHostPart } from "./ipvs-part.ts";
import { type NftFigures, nftablesPart } from "./nftables-part.ts";
import { powerFit } from "./power-fit.ts";
import { benchTable } from "./table.ts";

/**
 * bench/reconcile: a table of N virtual services × M real servers planned and applied from empty,
 * then one weight change in it —
 *  - with the nftables data plane in a network namespace of its own (needs root, nft), at the sizes
 *    of --nft-sizes, extrapolated to --services when it is not one of them (the kernel's cost of
 *    this data plane grows faster than linearly: see docs/benchmarks.md);
 *  - with the ipvs data plane: plan and `ipvsadm -R` batch generation here, and the batch applied
 *    to the real kernel IPVS in the test tier's qemu guest (needs qemu), where one ipvsadm process
 *    per rule (the guide's way) is measured on a sample of the same rules.
 * Usage: node bench/dist/reconcile.js [--services 10000] [--servers 10] [--nft-sizes 100,1000,10000]
 *        [--nft-sample 300] [--ipvs-sample 1000] [--skip-nft] [--skip-guest] [--json]
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "10000" },
    servers: { type: "string", default: "10" },
    "nft-sizes": { type: "string", default: "100,1000,10000" },
    "nft-sample": { type: "string", default: "300" },
    "ipvs-sample": { type: "string", default: "1000" },
    "parse-cap": { type: "string", default: "2000" },
    "skip-nft": { type: "boolean", default: false },
    "skip-guest": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "nft-part": { type: "boolean", default: false },
  },
});
const count = (name: string, text: string | undefined) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, not ${text}`);
  return n;
};
const services = count("services", values.services);
const servers = count("servers", values.servers);
const nftSample = count("nft-sample", values["nft-sample"]);
const nftSizes = (values["nft-sizes"] ?? "").split(",").map((n) => count("nft-sizes", n));
const ipvsSample = count("ipvs-sample", values["ipvs-sample"]);
const parseCap = count("parse-cap", values["parse-cap"]);

if (values["nft-part"]) {
  // Inside the namespace (see runNftables): measure and print the figures as one JSON line.
  process.stdout.write(`${JSON.stringify(await nftablesPart(nftSizes, servers, nftSample))}\n`);
  process.exit(0);
}

const sh = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
};

/** A network namespace of our own with an eth0, deleted however the run ends. */
function runNftables(): NftFigures[] {
  const ns = `lvsbench${process.pid}x${randomBytes(2).toString("hex")}`;
  const remove = () => spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  const onSignal = () => {
    remove();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    // The VIP interface: one end of a veth pair whose both ends stay in the namespace.
    execFileSync("ip", ["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer"]);
    execFileSync("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    execFileSync("ip", ["-n", ns, "link", "set", "eth0peer", "up"]);
    const args = ["netns", "exec", ns, process.execPath, SELF, "--nft-part"];
    args.push("--servers", String(servers), "--nft-sample", String(nftSample), "--nft-sizes", nftSizes.join(","));
    const out = execFileSync("ip", args, {
      encoding: "utf8",
      maxBuffer: 1 << 20,
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").at(-1) ?? "[]") as NftFigures[];
  } finally {
    remove();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 1000 ? n.toFixed(1) : n.toFixed(0));
const s = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

const machine = {
  date: new Date().toISOString(),
  cpu: `${cpus()[0]?.model ?? "?"} × ${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: sh("uname", ["-r"]),
  node: process.version,
  nft: sh("nft", ["--version"]),
  loadAverage: loadavg()
    .map((l) => l.toFixed(2))
    .join(" "),
};
const rules = services * (servers + 1);
const lines: string[] = [
  `bench/reconcile: ${services} virtual services × ${servers} real servers (${rules} IPVS rules), ${machine.date}`,
  `machine: ${machine.cpu}, ${machine.memoryGiB} GiB, kernel ${machine.kernel}, node ${machine.node}, ${machine.nft}, load ${machine.loadAverage}`,
];
const report: Record<string, unknown> = { machine, services, servers, rules };

if (!values["skip-nft"]) {
  const measured = runNftables();
  const fitOf = (f: (n: NftFigures) => number) => powerFit(measured.map((n) => [n.services, f(n)]));
  const at = measured.find((n) => n.services === services);
  const estimate = (f: (n: NftFigures) => number) => {
    const p = fitOf(f);
    return { value: at ? f(at) : p.at(services), exponent: p.exponent, measured: at !== undefined };
  };
  const full = estimate((n) => n.fullApplyMs);
  const change = estimate((n) => n.change.totalMs);
  const changeScript = estimate((n) => n.changeScriptMs);
  const observe = estimate((n) => n.driftCheckMs);
  const perStatement = estimate((n) => n.perStatementEstimateMs);
  report.nftables = { measured, at: services, full, change, changeScript, observe, perStatement };
  const mib = (kib: number | undefined) => (kib === undefined ? "?" : `${(kib / 1024).toFixed(0)} MiB`);
  lines.push(
    "",
    "nftables data plane (in a network namespace; transactions of up to 500 services), measured:",
    "  services  statements  transactions  full apply ms  nft peak  read back + compare ms  change ms (plan / execute / read back; its nft -f alone)  one nft per statement  ratio",
    ...measured.map(
      (n) =>
        `  ${String(n.services).padStart(8)}  ${String(n.scriptLines).padStart(10)}  ${String(n.transactions).padStart(12)}  ${ms(n.fullApplyMs).padStart(13)}  ${mib(n.nftPeakKiB).padStart(8)}  ${ms(n.driftCheckMs).padStart(22)}  ${`${ms(n.change.totalMs)} (${ms(n.change.planMs)} / ${ms(n.change.executeMs)} / ${ms(n.change.readBackMs)}; ${ms(n.changeScriptMs)})`.padStart(55)}  ${`${ms(n.perStatementMs)} ms × ${n.scriptLines}`.padStart(21)}  ${n.ratio.toFixed(0).padStart(5)}×`,
    ),
    `  at ${services} services × ${servers} (${at ? "measured" : "extrapolated, cost ∝ services^exponent"}):`,
    `    full apply from empty   ${s(full.value / 1000)} s${at ? "" : ` (exponent ${full.exponent.toFixed(2)})`}   target < 10 s`,
    `    one weight change       ${ms(change.value)} ms${at ? "" : ` (exponent ${change.exponent.toFixed(2)})`}   target < 50 ms; its nft -f alone ${ms(changeScript.value)} ms`,
    `    read back + compare     ${s(observe.value / 1000)} s   target < 5 s`,
    `    one nft per statement   ${s(perStatement.value / 1000)} s → batch ${(perStatement.value / full.value).toFixed(0)}× faster   target ≥ 100×`,
  );
}

const desired = benchTable(services, servers);
const host = ipvsHostPart(desired, parseCap);
report.ipvsHost = { ...host, batch: undefined, changeBack: undefined };
lines.push(
  "",
  "ipvs data plane, on this machine (plan and the ipvsadm -R batch):",
  `  validate the Apply        ${ms(host.validateMs)} ms (the agent checks the table with the model's schemas first)`,
  `  plan from empty           ${ms(host.planMs)} ms (${host.operations} operations)`,
  `  render the batch          ${ms(host.batchMs)} ms (${host.batchLines} lines, ${(host.batchBytes / 2 ** 20).toFixed(1)} MiB)`,
  `  parse -Sn of the table    ${s(host.parseSaveMs / 1000)} s${host.parseSave.extrapolated ? ` (extrapolated from ${host.parseSave.measured.map(([n, t]) => `${n} services: ${ms(t)} ms`).join(", ")}; exponent ${host.parseSave.exponent.toFixed(2)})` : ""}`,
  `  one weight change         plan ${ms(host.change.planMs)} ms (median of 21; the first ${ms(host.change.planColdMs)} ms) + batch ${ms(host.change.batchMs)} ms: ${host.change.batch.trim()}`,
  `  its read-back parse       ${ms(host.change.readBackParseMs)} ms (the touched service's listings)`,
  `  the agent's own work      ${ms(host.change.agentMs)} ms (plan + batch + read-back parse), target < 10 ms: ${host.change.agentMs < 10 ? "met" : `missed by ${ms(host.change.agentMs - 10)} ms`}`,
);

if (!values["skip-guest"]) {
  const guest = await ipvsGuestPart(
    ROOT,
    { full: host.batch, change: host.change.batch, back: host.changeBack },
    ipvsSample,
  );
  report.ipvsGuest = guest;
  lines.push(
    "",
    `ipvs data plane in the qemu guest (kernel ${guest.kernel}, TCG emulation: far slower than hardware):`,
    `  ipvsadm -R, whole table   ${s(guest.fullRestoreS)} s`,
    `  ipvsadm -Sn               ${s(guest.saveS)} s (${guest.saveLines} lines)`,
    `  one weight change (-R)    ${ms(guest.changeS * 1000)} ms (mean of ${guest.changeRuns})`,
    `  one ipvsadm per rule      ${s(guest.perRuleS)} s for the first ${guest.sample} rules → ${s(guest.perRuleEstimateS)} s for all`,
    `  same ${guest.sample} rules as one -R ${s(guest.sampleRestoreS)} s`,
    `  batch vs per rule         ${guest.ratioFull.toFixed(0)}× (whole table, per-rule extrapolated), ${guest.ratioSample.toFixed(0)}× (sample)`,
    `  guest boot ${s(guest.bootS)} s, run ${s(guest.totalS)} s`,
  );
}

process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${lines.join("\n")}\n`);
