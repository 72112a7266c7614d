import { join } from "node:path";
import {
  type AgentState,
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  directorRoleConfig,
  type IpvsTable,
  validate,
} from "@lvsfleet/model";
import { loadIdentity, SERVER_IDENTITY_NAME } from "@lvsfleet/pki";
import { AgentCallError, AgentClient, GrpcStatus } from "@lvsfleet/rpc";
import { agentChannelCredentials, agentChannelOptions, TlsIdentitySource } from "@lvsfleet/rpc/tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoFleet } from "./fleet.ts";

/**
 * The attack through the front door, as far as it goes: a real director agent (from dist, enrolled,
 * mutual TLS) is called with the server's own identity taken from the server's data directory — the
 * strongest caller there is — with values that would break out of their token in `ipvsadm -R`
 * input, an nft script, keepalived.conf or an ip command. The agent refuses each with
 * INVALID_ARGUMENT naming the field, and its table and generation stay as they were.
 */

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let asServer: AgentClient;
const spec = validate(ClusterSpec, DEMO_CLUSTER);
const table = desiredTable(spec);
const first = table.services[0]!;

beforeAll(async () => {
  fleet = await startDemoFleet();
  const material = await loadIdentity(join(fleet.dataDir, "server", "pki"), SERVER_IDENTITY_NAME);
  if (!material) throw new Error("the server has no identity in its data directory");
  asServer = new AgentClient({
    host: "lb-master",
    endpoint: fleet.agents.get("lb-master")!.ready.endpoint,
    deadlineMs: 5_000,
    credentials: agentChannelCredentials(new TlsIdentitySource(material), { host: "lb-master", role: "director" }),
    channelOptions: agentChannelOptions("lb-master"),
  });
});
afterAll(async () => {
  asServer?.close();
  await fleet?.cleanup();
});

/** The table's settings (connection counts move with the simulated traffic) and the generation. */
function settled(state: AgentState) {
  return {
    roleState: state.roleState,
    cluster: state.cluster,
    generation: state.generation,
    services: state.table.services.map(({ stats: _s, rates: _r, destinations, ...service }) => ({
      ...service,
      destinations: destinations.map(
        ({ activeConns: _a, inactConns: _i, persistConns: _p, stats: _ds, rates: _dr, ...d }) => d,
      ),
    })),
    addresses: state.host.addresses,
  };
}

async function refusedAndUnchanged(call: () => Promise<unknown>, field: string): Promise<void> {
  const before = settled(await asServer.getState());
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  expect((error as AgentCallError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  const detail = (error as AgentCallError).detail;
  expect(detail.startsWith(`${field}: `), `"${detail}" names ${field}`).toBe(true);
  expect(settled(await asServer.getState())).toEqual(before);
}

const withService = (patch: object): IpvsTable => ({ services: [{ ...first, ...patch }] }) as never;
const withDestination = (patch: object): IpvsTable =>
  ({
    services: [{ ...first, destinations: [{ ...first.destinations[0]!, ...patch }, first.destinations[1]!] }],
  }) as never;

describe("an agent validates what it receives, even from the server's own identity", () => {
  it("the server's identity from its data directory reaches the director, which runs the demo table", async () => {
    const state = await asServer.getState();
    expect(state).toMatchObject({ roleState: "running", cluster: "web" });
    expect(state.generation).toBeGreaterThan(0);
    expect(settled(state).services).toEqual(settled({ ...state, table }).services);
  });

  it("Apply: a scheduler, an address or a flag that would add ipvsadm -R lines is refused", async () => {
    const next = (await asServer.getState()).generation + 100;
    const apply = (desired: IpvsTable) => () => asServer.apply({ cluster: "web", generation: next, desired });
    await refusedAndUnchanged(apply(withService({ scheduler: "wrr\n-C" })), "desired.services[0].scheduler");
    await refusedAndUnchanged(apply(withService({ address: "1.2.3.4\n-D -t" })), "desired.services[0].address");
    await refusedAndUnchanged(
      apply(withDestination({ address: "192.168.1.220\n-d -t 192.168.1.229:80 -r 192.168.1.231" })),
      "desired.services[0].destinations[0].address",
    );
    await refusedAndUnchanged(
      apply(withService({ scheduler: "sh", schedulerFlags: ["sh-port -C"] })),
      "desired.services[0].scheduler_flags[0]",
    );
    await refusedAndUnchanged(
      apply(withDestination({ address: '192.168.1.220" device "lo' })),
      "desired.services[0].destinations[0].address",
    );
    await refusedAndUnchanged(apply(withDestination({ weight: 70_000 })), "desired.services[0].destinations[0].weight");
  });

  it("Apply: a spec whose service name or VRRP values would break keepalived.conf is refused", async () => {
    const next = (await asServer.getState()).generation + 100;
    const withSpec = (bad: object) => () =>
      asServer.apply({ cluster: "web", generation: next, spec: { ...spec, ...bad } as never });
    await refusedAndUnchanged(
      withSpec({ services: [{ ...spec.services[0]!, name: "http}" }] }),
      "spec_json: spec.services[0].name",
    );
    // the spec is the desired state: its table (what ipvsadm -R gets) is checked as the spec's
    await refusedAndUnchanged(
      withSpec({ services: [{ ...spec.services[0]!, scheduler: "wrr\n-C" }] }),
      "spec_json: spec.services[0].scheduler",
    );
    await refusedAndUnchanged(
      withSpec({
        vrrp: {
          instances: [
            { name: "VI_1", virtualRouterId: 51, vips: spec.vips, authentication: { type: "pass", password: "}" } },
          ],
        },
      }),
      "spec_json: spec.vrrp.instances[0].authentication.password",
    );
    await refusedAndUnchanged(
      withSpec({ directors: [{ ...spec.directors[0]!, interface: "eth0 }" }, spec.directors[1]!] }),
      "spec_json: spec.directors[0].interface",
    );
  });

  it("Start: a bad interface or VIP (what lvsdr gives to ip) is refused", async () => {
    const generation = (await asServer.getState()).generation;
    const start = (patch: object) => () =>
      asServer.start("web", {
        kind: "director",
        director: { ...directorRoleConfig(spec, spec.directors[0]!, generation), ...patch } as never,
      });
    await refusedAndUnchanged(start({ interface: "eth0\nip link del lo" }), "director.interface");
    await refusedAndUnchanged(start({ interface: "eth0;reboot" }), "director.interface");
    await refusedAndUnchanged(start({ vips: ["192.168.1.229 dev lo"] }), "director.vips[0]");
    await refusedAndUnchanged(
      start({ spec: undefined, desired: withService({ scheduler: "rr\n-C" }) }),
      "director.desired.services[0].scheduler",
    );
  });

  it("the director still serves the server afterwards", async () => {
    const jobs = await fleet.api.get("/v1/agents");
    expect(jobs.body.agents.find((a: { host: string }) => a.host === "lb-master")?.reachable).toBe(true);
    const state = await asServer.getState();
    expect(settled(state).services).toEqual(settled({ ...state, table }).services);
  });
});
