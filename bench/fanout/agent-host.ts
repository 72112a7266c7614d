import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseAgentOptions } from "@lvsfleet/agent-runtime";
import { signRegistration, type TlsMaterial } from "@lvsfleet/pki/light";
import { type AgentApi, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import { agentServerCredentials, TlsIdentitySource } from "@lvsfleet/rpc/tls";
import pino from "pino";
import { directorProgram } from "../../agents/director/src/program.ts";
import { enrollAgent } from "../../packages/agent-runtime/src/tls/enroll.ts";
import { loadAgentMaterial } from "../../packages/agent-runtime/src/tls/identity.ts";
import type { AgentTicket, FromHost, HostStats, ToHost } from "./messages.ts";

/**
 * One agent-host process of bench/fanout: many sim director agents, each exactly as the director
 * program runs it (HostAgent, sim data plane, state files), each enrolled with its own one-time join
 * token and the CA pin (its own key and certificate from the fleet CA), served over mutual TLS on its
 * own port and registered with a signed POST /v1/pki/register, as a production agent is. It counts
 * the Apply calls and WatchEvents streams it serves and tells the coordinator when all its agents
 * applied a generation.
 */
interface Served {
  host: string;
  agent: AgentApi & { close(): Promise<void> };
  server: RunningAgentServer;
  generation: number;
  /** When the agent's current WatchEvents stream opened (undefined: none open). */
  streamOpenedAt: number | undefined;
  /** When each of its streams opened, in order. */
  opens: number[];
}

const send = (message: FromHost) => process.send?.(message);

export async function runAgentHost(): Promise<void> {
  const served: Served[] = [];
  /** Apply calls (not dry runs) with the time each was served. */
  const applyTimes: number[] = [];
  /** The highest generation every agent has reached, and the time the last one reached it. */
  let reported = 0;
  const log = pino({ level: "error" });

  const onApplied = () => {
    const lowest = Math.min(...served.map((s) => s.generation));
    if (lowest > reported) {
      reported = lowest;
      send({ type: "applied", generation: lowest, at: Date.now() });
    }
  };

  const instrumented = (entry: Served, agent: AgentApi & { close(): Promise<void> }): AgentApi => ({
    getInfo: (d) => agent.getInfo(d),
    getState: (d) => agent.getState(d),
    start: (cluster, config, d) => agent.start(cluster, config, d),
    stop: (cluster, d) => agent.stop(cluster, d),
    runAction: (name, d) => agent.runAction(name, d),
    setSimulatedTraffic: (change, d) => agent.setSimulatedTraffic(change, d),
    setSimulatedHealth: (change, d) => agent.setSimulatedHealth(change, d),
    apply: async (request, d) => {
      const result = await agent.apply(request, d);
      if (!request.dryRun) {
        applyTimes.push(Date.now());
        entry.generation = Math.max(entry.generation, result.generation);
        onApplied();
      }
      return result;
    },
    watchEvents: (options, onEvent, onEnd) => {
      const openedAt = Date.now();
      entry.streamOpenedAt = openedAt;
      entry.opens.push(openedAt);
      const closed = () => {
        if (entry.streamOpenedAt === openedAt) entry.streamOpenedAt = undefined;
      };
      const watch = agent.watchEvents(options, onEvent, (error) => {
        closed();
        onEnd(error);
      });
      return {
        cancel: () => {
          closed();
          watch.cancel();
        },
      };
    },
  });

  const startAgent = async (ticket: AgentTicket, server: string, caPin: string, dataDir: string) => {
    const stateDir = join(dataDir, ticket.host);
    mkdirSync(stateDir, { recursive: true });
    // the agent's key is made here and never leaves it; the server signs its CSR (POST /v1/pki/enroll)
    await enrollAgent({
      host: ticket.host,
      role: "director",
      server,
      token: ticket.token,
      caPin,
      stateDir,
      roots: "pinned",
    });
    const material = (await loadAgentMaterial(stateDir)) as TlsMaterial;
    const options = parseAgentOptions([
      "--host",
      ticket.host,
      "--address",
      `${ticket.address}/15`,
      "--state-dir",
      stateDir,
    ]);
    const agent = await directorProgram.create({ options, stateDir, log });
    const entry: Served = {
      host: ticket.host,
      agent,
      server: undefined as never,
      generation: 0,
      streamOpenedAt: undefined,
      opens: [],
    };
    entry.server = await serveAgent(instrumented(entry, agent), {
      listen: "127.0.0.1:0",
      credentials: agentServerCredentials(new TlsIdentitySource(material)),
    });
    served.push(entry);
    const fields = {
      host: ticket.host,
      endpoint: `127.0.0.1:${entry.server.port}`,
      role: "director" as const,
      driver: "sim",
    };
    const response = await fetch(new URL("/v1/pki/register", server), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signRegistration(material.keyPem, material.certPem, fields)),
    });
    if (!response.ok) throw new Error(`register ${ticket.host}: ${response.status} ${await response.text()}`);
  };

  const stats = (since: number): HostStats => ({
    agents: served.length,
    applies: applyTimes.filter((t) => t >= since).length,
    watched: served.filter((s) => s.streamOpenedAt !== undefined).length,
    openedAt: served.flatMap((s) => {
      const first = s.opens.find((t) => t >= since);
      return first === undefined ? [] : [first];
    }),
  });

  process.on("message", (message: ToHost) => {
    if (message.type === "stats") send({ type: "stats", id: message.id, ...stats(message.since) });
    else if (message.type === "stop")
      void Promise.all(
        served.map(async (s) => {
          await s.server.close();
          await s.agent.close();
        }),
      ).finally(() => process.exit(0));
    else if (message.type === "start") {
      const started = Date.now();
      const queue = [...message.tickets];
      const worker = async () => {
        for (let ticket = queue.shift(); ticket; ticket = queue.shift())
          await startAgent(ticket, message.server, message.caPin, message.dataDir);
      };
      void Promise.all(Array.from({ length: message.enrollConcurrency }, worker)).then(
        () => send({ type: "ready", agents: served.length, enrollMs: Date.now() - started }),
        (error: Error) => send({ type: "error", message: error.message }),
      );
    }
  });
  // the coordinator gone: nothing left to serve
  process.on("disconnect", () => process.exit(0));
}
