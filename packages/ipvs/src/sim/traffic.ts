import { SeededRandom } from "./random.ts";
import type { Simulator } from "./simulator.ts";

/** A synthetic client load against one virtual service. */
export interface Workload {
  /** The virtual address and port (and protocol, default tcp) the clients connect to. */
  target: { address: string; port: number; protocol?: "tcp" | "udp" | "sctp"; fwmark?: number };
  /** New connections per second (a Poisson process). */
  connectionsPerSecond: number;
  /** Connection lifetime: exponential with this mean (default 30 s), or fixed. */
  lifetime?: { kind: "exponential"; meanSeconds: number } | { kind: "fixed"; seconds: number };
  /** How many distinct client addresses (default 1000); each connection picks one at random. */
  clients?: number;
  /** First client address (default 198.18.128.1 or 2001:db8:ffff::1 for an IPv6 target); clients are consecutive. */
  firstClient?: string;
  /** Bytes each way per connection (default 1 kB in, 20 kB out). */
  bytesIn?: number;
  bytesOut?: number;
  seed?: number;
}

export interface TrafficCounts {
  opened: number;
  refused: number;
  /** New connections per real server, keyed "address:port". */
  byDestination: Map<string, number>;
}

/**
 * A seeded generator of client connections, driven by the simulator's clock: each arrival
 * opens a connection (SYN, handshake), transfers data, and closes after its lifetime.
 * The same workload and seed give the same connections, to the millisecond.
 */
export class TrafficGenerator {
  readonly counts: TrafficCounts = { opened: 0, refused: 0, byDestination: new Map() };
  private readonly random: SeededRandom;
  private running = false;
  private generation = 0;
  private readonly ports = new Map<number, number>();
  private readonly addresses: string[] = [];

  constructor(
    private readonly sim: Simulator,
    readonly workload: Workload,
  ) {
    if (!(workload.connectionsPerSecond > 0)) throw new RangeError("connectionsPerSecond must be greater than 0");
    this.random = new SeededRandom(workload.seed ?? 7);
  }

  /** Starts arrivals from the simulator's current time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    this.scheduleNext(generation);
  }

  /** No new connections from now on; open ones still close at the end of their lifetime. */
  stop(): void {
    this.running = false;
    this.generation++;
  }

  private scheduleNext(generation: number): void {
    const gap = this.random.exponential(1000 / this.workload.connectionsPerSecond);
    this.sim.at(this.sim.now() + gap, () => {
      if (!this.running || generation !== this.generation) return;
      this.arrive();
      this.scheduleNext(generation);
    });
  }

  private lifetimeMs(): number {
    const l = this.workload.lifetime ?? { kind: "exponential", meanSeconds: 30 };
    return l.kind === "fixed" ? l.seconds * 1000 : this.random.exponential(l.meanSeconds * 1000);
  }

  private arrive(): void {
    const w = this.workload;
    const clients = w.clients ?? 1000;
    const index = this.random.below(clients);
    const port = 32768 + ((this.ports.get(index) ?? 0) % 28232);
    this.ports.set(index, (this.ports.get(index) ?? 0) + 1);
    const result = this.sim.openConnection({
      protocol: w.target.protocol ?? "tcp",
      client: (this.addresses[index] ??= clientAddress(w.target, index, w.firstClient)),
      clientPort: port,
      address: w.target.address,
      port: w.target.port,
      ...(w.target.fwmark !== undefined ? { fwmark: w.target.fwmark } : {}),
    });
    if (!result.ok) {
      this.counts.refused++;
      return;
    }
    this.counts.opened++;
    const key = `${result.destination.address}:${result.destination.port}`;
    this.counts.byDestination.set(key, (this.counts.byDestination.get(key) ?? 0) + 1);
    const id = result.id;
    this.sim.establish(id);
    const lifetime = this.lifetimeMs();
    const bytesIn = w.bytesIn ?? 1000;
    const bytesOut = w.bytesOut ?? 20000;
    this.sim.at(this.sim.now() + lifetime, () => {
      const packetsIn = Math.max(1, Math.ceil(bytesIn / 1448));
      const packetsOut = Math.max(1, Math.ceil(bytesOut / 1448));
      if (this.sim.transfer(id, { inPackets: packetsIn, inBytes: bytesIn, outPackets: packetsOut, outBytes: bytesOut }))
        this.sim.closeConnection(id, "client");
    });
  }
}

/** The index-th client of a workload: consecutive addresses from 198.18.128.1 (or 2001:db8:ffff::1). */
export function clientAddress(
  target: { address?: string | undefined; family?: string },
  index: number,
  firstClient?: string,
): string {
  const ipv6 = target.family === "inet6" || (target.address ?? "").includes(":");
  if (ipv6) {
    const base = firstClient ?? "2001:db8:ffff::1";
    const head = base.slice(0, base.lastIndexOf(":") + 1);
    const last = Number.parseInt(base.slice(base.lastIndexOf(":") + 1) || "0", 16);
    return `${head}${(last + index).toString(16)}`;
  }
  const base = (firstClient ?? "198.18.128.1").split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
  const n = (base + index) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
