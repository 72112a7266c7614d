import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions, type HostAgent } from "@lvsfleet/agent-runtime";
import type { RoleConfig } from "@lvsfleet/model";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { realServerProgram } from "../src/program.ts";

let stateDir: string;
let agent: HostAgent;

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "lvsfleet-realserver-"));
  const options = AgentOptions.parse({ host: "web1", address: "198.18.0.11/24" });
  agent = (await realServerProgram.create({ options, stateDir, log: pino({ level: "silent" }) })) as HostAgent;
});
afterEach(async () => {
  await agent.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const dr: RoleConfig = { kind: "real-server", realServer: { vips: [{ address: "198.18.1.100", forwarding: ["dr"] }] } };
const nat: RoleConfig = {
  kind: "real-server",
  realServer: { vips: [{ address: "198.18.1.100", forwarding: ["nat"] }], natGateway: "198.18.0.2" },
};

describe("real-server agent (sim host)", () => {
  it("realdr start for DR: VIP on lo:0, host route, ARP suppression; stop restores everything", async () => {
    const before = await agent.getState();
    const started = await agent.start("web", dr);
    expect(started.changes.map((c) => c.description)).toEqual([
      "ip addr add 198.18.1.100/32 dev lo label lo:0",
      "ip route add 198.18.1.100 dev lo",
      "sysctl -w net.ipv4.conf.lo.arp_ignore=1",
      "sysctl -w net.ipv4.conf.lo.arp_announce=2",
      "sysctl -w net.ipv4.conf.all.arp_ignore=1",
      "sysctl -w net.ipv4.conf.all.arp_announce=2",
    ]);
    expect(started.state.problems).toEqual([]);
    expect((await agent.start("web", dr)).changes).toEqual([]);
    const stopped = await agent.stop("web");
    expect(stopped.state.host).toEqual(before.host);
  });

  it("NAT: the default route goes via the director and the old one comes back on stop", async () => {
    const before = await agent.getState();
    expect(before.host.routes).toEqual([]);
    const started = await agent.start("web", nat);
    expect(started.changes.map((c) => c.description)).toEqual(["ip route replace default via 198.18.0.2"]);
    expect(started.state.host.routes).toEqual([{ destination: "default", via: "198.18.0.2" }]);
    expect((await agent.stop("web")).state.host.routes).toEqual([]);
  });

  it("refuses NAT without a gateway, naming the field", async () => {
    const bad: RoleConfig = { kind: "real-server", realServer: { vips: nat.realServer.vips } };
    await expect(agent.start("web", bad)).rejects.toThrow(/real_server\.nat_gateway/);
  });

  it("preflight stops a start the host cannot take (NAT gateway off-link) and says how to fix it", async () => {
    const far: RoleConfig = { kind: "real-server", realServer: { ...nat.realServer, natGateway: "203.0.113.1" } };
    await expect(agent.start("web", far)).rejects.toThrow(
      /cannot take up its role: NAT gateway 203\.0\.113\.1 .* \(fix: /,
    );
    expect((await agent.getState()).roleState).toBe("stopped");
  });
});
