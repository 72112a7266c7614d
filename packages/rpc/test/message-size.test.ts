import { ClusterSpec, desiredTable, type IpvsTable, validate } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentApi, AgentCallError, AgentClient, type RunningAgentServer, serveAgent } from "../src/index.ts";

/**
 * Big specs over gRPC: an Apply carrying a 10,000-service spec (10.7 MB of JSON, more than gRPC's
 * own 4 MiB default) goes to the agent, and its table comes back, by default; the limit is a setting, and a message over it is
 * refused with RESOURCE_EXHAUSTED before the handler sees it.
 */
const SERVICES = 10_000;
const SERVERS = 10;
const address = (k: number) => `192.168.${10 + Math.floor(k / 250)}.${(k % 250) + 1}`;
const spec = validate(ClusterSpec, {
  name: "web",
  vips: ["192.168.1.229"],
  services: Array.from({ length: SERVICES }, (_, i) => ({
    name: `s${i + 1}`,
    address: "192.168.1.229",
    port: i + 1,
    scheduler: "wrr",
    realServers: Array.from({ length: SERVERS }, (_, j) => ({
      address: address((i * SERVERS + j) % 1000),
      port: 8080,
    })),
  })),
});
const big: IpvsTable = desiredTable(spec);

let reached = 0;
const handlers = {
  async apply() {
    reached += 1;
    // the answer carries the table back (as an agent's observed table does)
    return { operations: [], observed: big, generation: 1 };
  },
} as unknown as AgentApi;

let roomy: RunningAgentServer;
let tight: RunningAgentServer;
beforeAll(async () => {
  roomy = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  tight = await serveAgent(handlers, { listen: "127.0.0.1:0", maxMessageBytes: 4 * 1024 * 1024 });
});
afterAll(async () => {
  await roomy?.close();
  await tight?.close();
});

describe("gRPC message size: a 10,000-service table fits by default, the limit is a setting", () => {
  it("an Apply with a 10,000 × 10 spec goes to the agent and its answer with the table comes back", async () => {
    const client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${roomy.port}`, deadlineMs: 60_000 });
    try {
      reached = 0;
      const answer = await client.apply({ cluster: "web", generation: 1, spec });
      expect(reached).toBe(1);
      expect(answer.observed.services.length).toBe(SERVICES);
      expect(answer.observed.services.at(-1)?.destinations.length).toBe(SERVERS);
    } finally {
      client.close();
    }
  });

  it("an agent with a 4 MiB limit refuses it with RESOURCE_EXHAUSTED before its handler runs", async () => {
    const client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${tight.port}`, deadlineMs: 60_000 });
    try {
      reached = 0;
      const error = await client.apply({ cluster: "web", generation: 1, spec }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentCallError);
      expect((error as AgentCallError).message).toMatch(/RESOURCE_EXHAUSTED|larger than max/i);
      expect(reached).toBe(0);
    } finally {
      client.close();
    }
  });
});
