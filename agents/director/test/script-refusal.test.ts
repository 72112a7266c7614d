import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions } from "@lvsfleet/agent-runtime";
import { ClusterSpec, type ClusterSpecInput, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { AgentCallError, AgentClient, GrpcStatus, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directorProgram } from "../src/program.ts";

/**
 * A director refuses a spec naming a script its own allowlist lacks — Start and Apply, over gRPC —
 * and nothing changes on the host; GetState reports the allowlist and the doctor the problem.
 */

const service = DEMO_CLUSTER.services?.[0] as NonNullable<ClusterSpecInput["services"]>[number];
const naming = (script: string) =>
  validate(ClusterSpec, {
    ...DEMO_CLUSTER,
    services: [
      {
        ...service,
        realServers: [
          { address: "192.168.1.220", port: 80, weight: 3, healthChecks: [{ type: "misc", script }] },
          { address: "192.168.1.231", port: 80, weight: 1 },
        ],
      },
    ],
  });
const plain = validate(ClusterSpec, DEMO_CLUSTER);
const config = (spec: ClusterSpec, generation = 1) => ({
  kind: "director" as const,
  director: { vips: spec.vips, interface: "eth0", generation, spec },
});

let dir: string;
let server: RunningAgentServer;
let client: AgentClient;
let close: () => Promise<void>;

async function boot(actionsFile?: string, stateDir = mkdtempSync(join(dir, "state-"))) {
  const options = AgentOptions.parse({ host: "lb-master", address: "192.168.1.252/24", actionsFile });
  const handlers = await directorProgram.create({ options, stateDir, log: pino({ level: "silent" }) });
  server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${server.port}`, deadlineMs: 3_000 });
  close = async () => {
    client.close();
    await server.close();
    await handlers.close();
  };
  return stateDir;
}

async function refusal(call: Promise<unknown>): Promise<AgentCallError> {
  const error = await call.then(
    () => undefined,
    (e) => e,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  return error as AgentCallError;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-script-refusal-"));
});
afterEach(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("a director without an allowlist: scripts are off", () => {
  it("refuses to start with a spec naming a script, and changes nothing", async () => {
    await boot();
    const before = await client.getState();
    expect(before.scripts).toEqual({ scripts: [] });
    const error = await refusal(client.start("web", config(naming("check-web"))));
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(error.message).toMatch(
      /host lb-master cannot take up its role: scripts are off on this director: start it with --actions-file FILE holding a scripts section \(the spec names check-web at services\[0\]\.realServers\[0\]\.healthChecks\[0\]\.script\)/,
    );
    const after = await client.getState();
    expect(after.roleState).toBe("stopped");
    expect(after.table).toEqual(before.table);
    expect(after.host.addresses).toEqual(before.host.addresses);
    // the spec without scripts starts
    await client.start("web", config(plain));
    expect((await client.getState()).roleState).toBe("running");
  });
});

describe("a director with an allowlist", () => {
  let stateDir: string;
  beforeEach(async () => {
    const file = join(dir, "actions.json");
    writeFileSync(
      file,
      JSON.stringify({
        scripts: { "check-web": { command: ["/bin/true", "{address}"] }, "check-db": { command: ["/bin/true"] } },
      }),
    );
    stateDir = await boot(file);
  });

  it("reports the names it allows, never the programs", async () => {
    expect((await client.getState()).scripts).toEqual({
      file: join(dir, "actions.json"),
      scripts: [
        { name: "check-web", placeholders: ["address"] },
        { name: "check-db", placeholders: [] },
      ],
    });
  });

  it("takes a spec naming an allowlisted script", async () => {
    await client.start("web", config(naming("check-web")));
    const state = await client.getState();
    expect(state.roleState).toBe("running");
    expect(state.problems).toEqual([]);
  });

  it("refuses an Apply naming another script: generation, table and spec stay as they were", async () => {
    await client.start("web", config(plain));
    const before = await client.getState();
    const spec = naming("check-mail");
    const error = await refusal(client.apply({ cluster: "web", generation: 2, spec }));
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(error.message).toContain(
      `host lb-master refuses the cluster spec, nothing changed: script check-mail is not in this director's allowlist (${join(dir, "actions.json")}); it has: check-web, check-db (named at services[0].realServers[0].healthChecks[0].script)`,
    );
    const after = await client.getState();
    expect(after.generation).toBe(before.generation);
    expect(after.table).toEqual(before.table);
    expect(after.failover?.realServers.flatMap((rs) => rs.checks)).toEqual([]);
    // a dry run is refused the same way
    const dry = await refusal(client.apply({ cluster: "web", generation: 2, spec, dryRun: true }));
    expect(dry.message).toMatch(/script check-mail is not in this director's allowlist/);
  });

  it("refuses a Start naming another script before touching the host", async () => {
    const before = await client.getState();
    const error = await refusal(client.start("web", config(naming("check-mail"))));
    expect(error.message).toMatch(
      /host lb-master cannot take up its role: script check-mail is not in this director's allowlist/,
    );
    const after = await client.getState();
    expect(after.roleState).toBe("stopped");
    expect(after.host.addresses).toEqual(before.host.addresses);
    expect(after.table).toEqual(before.table);
  });

  it("its doctor reports a held spec whose script the allowlist no longer has (after a restart with another file)", async () => {
    await client.start("web", config(naming("check-web")));
    await close();
    const file = join(dir, "other.json");
    writeFileSync(file, JSON.stringify({ scripts: { "check-db": { command: ["/bin/true"] } } }));
    await boot(file, stateDir);
    const state = await client.getState();
    expect(state.roleState).toBe("running");
    expect(state.problems).toEqual([
      {
        code: "script-not-allowed",
        severity: "error",
        subject: "check-web",
        message: `script check-web is not in this director's allowlist (${file}); it has: check-db (named at services[0].realServers[0].healthChecks[0].script)`,
        fix: `add "check-web" to the scripts section of ${file} and restart the agent, or name one of its scripts`,
      },
    ]);
  });
});
