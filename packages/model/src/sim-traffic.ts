import { z } from "zod";
import { IpAddress, Port } from "./spec.ts";
import { ValidationError } from "./validation.ts";

/**
 * The synthetic client load a `sim` director runs against each of its virtual services (the demo's
 * moving connection counts), and the long-lived connections tests hold on chosen real servers.
 * Only the sim driver has one: everything here is simulated, nothing opens a socket.
 */

/** Upper bounds that keep a simulated agent small (a few MB of connection entries at most). */
export const SIM_TRAFFIC_LIMITS = {
  connectionsPerSecond: 2_000,
  meanLifetimeSeconds: 86_400,
  clients: 65_536,
  heldPerRequest: 10_000,
} as const;

const positive = (what: string, max: number) =>
  z
    .number({ error: "must be a number" })
    .gt(0, { error: `must be greater than 0 (${what})` })
    .max(max, { error: `must be at most ${max}` });

/** New connections per second against each virtual service, their mean lifetime and client pool. */
export const SimulatedLoad = z.strictObject({
  /** Poisson arrivals per second per virtual service; 0 stops the load (open connections still end). */
  connectionsPerSecond: z
    .number({ error: "must be a number" })
    .min(0, { error: "must be 0 (no load) or more" })
    .max(SIM_TRAFFIC_LIMITS.connectionsPerSecond, {
      error: `must be at most ${SIM_TRAFFIC_LIMITS.connectionsPerSecond}`,
    }),
  /** Mean connection lifetime in seconds (exponentially distributed). */
  meanLifetimeSeconds: positive("seconds", SIM_TRAFFIC_LIMITS.meanLifetimeSeconds).default(30),
  /** Distinct client addresses (198.18.128.1, …; 2001:db8:ffff::1, … for IPv6 services). */
  clients: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1" })
    .max(SIM_TRAFFIC_LIMITS.clients, { error: `must be at most ${SIM_TRAFFIC_LIMITS.clients}` })
    .default(1000),
});
export type SimulatedLoad = z.output<typeof SimulatedLoad>;

/** No load: what a sim director runs unless told otherwise. */
export const NO_SIMULATED_LOAD: SimulatedLoad = { connectionsPerSecond: 0, meanLifetimeSeconds: 30, clients: 1000 };

/** Established connections put on one real server (bypassing the scheduler), as long-lived clients. */
export const HeldConnections = z.strictObject({
  /** The real server, in every virtual service that has it. */
  address: IpAddress,
  port: Port,
  count: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1" })
    .max(SIM_TRAFFIC_LIMITS.heldPerRequest, { error: `must be at most ${SIM_TRAFFIC_LIMITS.heldPerRequest}` }),
  /** When they close, in seconds; 0 = only when released. They keep alive (send data) meanwhile. */
  lifetimeSeconds: z
    .number({ error: "must be a number" })
    .min(0, { error: "must be 0 (until released) or more" })
    .max(SIM_TRAFFIC_LIMITS.meanLifetimeSeconds, { error: `must be at most ${SIM_TRAFFIC_LIMITS.meanLifetimeSeconds}` })
    .default(0),
});
export type HeldConnections = z.output<typeof HeldConnections>;

/** A change to the simulated traffic: any of a new load, connections to hold, and releasing the held ones. */
export const SimulatedTrafficChange = z.strictObject({
  /** The load from now on; absent: unchanged. */
  load: SimulatedLoad.optional(),
  /** Close every held connection now, as their clients would (before `hold` is applied). */
  releaseHeld: z.boolean().default(false),
  hold: z.array(HeldConnections).default([]),
});
export type SimulatedTrafficChange = z.output<typeof SimulatedTrafficChange>;

/** What a sim director's traffic is doing. */
export interface SimulatedTraffic {
  load: SimulatedLoad;
  /** New connections the load opened since the agent started. */
  opened: number;
  /** Connections the load could not place ("no destination available"). */
  refused: number;
  /** Held connections still open. */
  held: number;
  /** Connections (not persistence templates) in the simulated table now. */
  connections: number;
}

/**
 * `--sim-traffic RATE[,LIFETIME[,CLIENTS]]`: new connections per second per virtual service,
 * mean lifetime in seconds (default 30), distinct clients (default 1000). E.g. `2,30` or `0`.
 * Throws a ValidationError naming `field` and what is wrong.
 */
export function parseSimTraffic(text: string, field = "sim-traffic"): SimulatedLoad {
  const parts = text.split(",").map((p) => p.trim());
  const [rate, lifetime, clients] = parts;
  const number = (part: string | undefined) => (part === undefined || part === "" ? undefined : Number(part));
  if (parts.length > 3 || parts.some((p) => p === "" || !Number.isFinite(Number(p))))
    throw new ValidationError([
      {
        field,
        message: `${JSON.stringify(text)} is not RATE[,LIFETIME[,CLIENTS]] (connections/s, mean lifetime in s, clients; e.g. 2,30)`,
      },
    ]);
  const result = SimulatedLoad.safeParse({
    connectionsPerSecond: number(rate),
    ...(lifetime !== undefined ? { meanLifetimeSeconds: number(lifetime) } : {}),
    ...(clients !== undefined ? { clients: number(clients) } : {}),
  });
  if (result.success) return result.data;
  const names: Record<string, string> = {
    connectionsPerSecond: "RATE",
    meanLifetimeSeconds: "LIFETIME",
    clients: "CLIENTS",
  };
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      field,
      message: `${names[String(issue.path[0])] ?? "value"} ${issue.message}`,
    })),
  );
}
