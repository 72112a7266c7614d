import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseAgentOptions } from "@lvsfleet/agent-runtime";
import { ClusterSpec, desiredTable, directorRoleConfig, validate } from "@lvsfleet/model";
import { specToJson } from "@lvsfleet/rpc";
import pino from "pino";
import { directorProgram } from "../../agents/director/src/program.ts";
import { specChanges } from "../../server/src/commands/spec-changes.ts";
import { bigSpec } from "./spec.ts";

/**
 * Where the time of a big spec goes, in process, on this machine: the server's own paths (parse,
 * validation, the desired table, the spec as the Apply carries it) and a sim director's Apply of it
 * (the work the e2e test's agents do), at 100, 1,000 and 10,000 services × 10 real servers.
 *
 *   node bench/dist/bigspec.js [--services 100,1000,10000] [--servers 10]
 */
function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const sizes = option("services", "100,1000,10000").split(",").map(Number);
const servers = Number(option("servers", "10"));
const ms = (start: number) => `${(performance.now() - start).toFixed(0)} ms`;

console.log(`# bench/bigspec on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load ${loadavg()[0]?.toFixed(1)}`);
for (const services of sizes) {
  const text = JSON.stringify(bigSpec(services, servers));
  let t = performance.now();
  const body = JSON.parse(text);
  const parse = ms(t);
  t = performance.now();
  const spec = validate(ClusterSpec, body);
  const validation = ms(t);
  t = performance.now();
  const table = desiredTable(spec);
  const desired = ms(t);
  t = performance.now();
  const wire = specToJson(spec);
  const toWire = ms(t);
  // what POST …/plan computes against the stored spec (in the simulation pool): one weight changed
  const edited = structuredClone(spec);
  const edit = edited.services[Math.floor(services / 2)]?.realServers[0];
  if (edit) edit.weight = 5;
  t = performance.now();
  const planned = specChanges(spec, edited);
  const planChanges = ms(t);
  const stateDir = mkdtempSync(join(tmpdir(), "lvsfleet-bigspec-"));
  const agent = await directorProgram.create({
    options: parseAgentOptions(["--host", "lb-master", "--address", "192.168.1.252/24"]),
    stateDir,
    log: pino({ level: "silent" }),
  });
  // a running director with no services, as a cluster starts
  const empty = validate(ClusterSpec, { ...bigSpec(0, 0) });
  const director = empty.directors[0];
  if (!director) throw new Error("no director");
  await agent.start("web", { kind: "director", director: directorRoleConfig(empty, director, 0) });
  const blocked = monitorEventLoopDelay({ resolution: 20 });
  blocked.enable();
  t = performance.now();
  const first = await agent.apply({ cluster: "web", generation: 1, spec });
  const firstApply = ms(t);
  const changed = structuredClone(spec);
  const rs = changed.services[Math.floor(services / 2)]?.realServers[0];
  if (rs) rs.weight = 7;
  t = performance.now();
  const second = await agent.apply({ cluster: "web", generation: 2, spec: changed });
  const oneChange = ms(t);
  blocked.disable();
  await agent.close();
  rmSync(stateDir, { recursive: true, force: true });
  console.log(
    `${services} services × ${servers}: JSON ${(text.length / 1e6).toFixed(2)} MB, parse ${parse}, validation ${validation}, desired table ${desired} (${table.services.length} services), spec to the wire ${toWire} (${(wire.length / 1e6).toFixed(2)} MB), plan's specChanges ${planChanges} (${planned.length}); sim director: first Apply ${firstApply} (${first.operations.length} operations), one weight change ${oneChange} (${second.operations.length} operation); its event loop held for up to ${(blocked.max / 1e6).toFixed(0)} ms at once`,
  );
}
