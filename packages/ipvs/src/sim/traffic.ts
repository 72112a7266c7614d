import { SeededRandom } from "./random.ts";
import type { ConnectionRequest, Simulator } from "./simulator.ts";

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
  /** Connections each client opened so far (its next source port). */
  private readonly ports: Uint32Array;
  private readonly addresses: string[] = [];
  /** "address:port" per destination endpoint object (the simulator gives one per real server). */
  private readonly keys = new Map<{ address: string; port: number }, string>();
  // one request and one transfer object, reused: the simulator keeps neither
  private readonly request: ConnectionRequest;
  private readonly traffic = { inPackets: 0, inBytes: 0, outPackets: 0, outBytes: 0 };
  private readonly meanGapMs: number;
  private readonly arrival = (generation: number) => {
    if (!this.running || generation !== this.generation) return;
    this.arrive();
    this.scheduleNext(generation);
  };
  private readonly end = (id: number) => {
    if (this.sim.transfer(id, this.traffic)) this.sim.closeConnection(id, "client");
  };

  constructor(
    private readonly sim: Simulator,
    readonly workload: Workload,
  ) {
    if (!(workload.connectionsPerSecond > 0)) throw new RangeError("connectionsPerSecond must be greater than 0");
    this.random = new SeededRandom(workload.seed ?? 7);
    this.meanGapMs = 1000 / workload.connectionsPerSecond;
    this.ports = new Uint32Array(workload.clients ?? 1000);
    const t = workload.target;
    this.request = {
      protocol: t.protocol ?? "tcp",
      client: "",
      clientPort: 0,
      address: t.address,
      port: t.port,
      ...(t.fwmark !== undefined ? { fwmark: t.fwmark } : {}),
    };
    const bytesIn = workload.bytesIn ?? 1000;
    const bytesOut = workload.bytesOut ?? 20000;
    this.traffic.inPackets = Math.max(1, Math.ceil(bytesIn / 1448));
    this.traffic.inBytes = bytesIn;
    this.traffic.outPackets = Math.max(1, Math.ceil(bytesOut / 1448));
    this.traffic.outBytes = bytesOut;
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
    this.sim.atCall(this.sim.now() + this.random.exponential(this.meanGapMs), this.arrival, generation);
  }

  private lifetimeMs(): number {
    const l = this.workload.lifetime ?? { kind: "exponential", meanSeconds: 30 };
    return l.kind === "fixed" ? l.seconds * 1000 : this.random.exponential(l.meanSeconds * 1000);
  }

  private arrive(): void {
    const index = this.random.below(this.ports.length);
    const used = this.ports[index]!;
    this.ports[index] = used + 1;
    const request = this.request;
    request.client = this.addresses[index] ?? this.clientAt(index);
    request.clientPort = 32768 + (used % 28232);
    const result = this.sim.openConnection(request);
    if (!result.ok) {
      this.counts.refused++;
      return;
    }
    this.counts.opened++;
    const key = this.keyOf(result.destination);
    this.counts.byDestination.set(key, (this.counts.byDestination.get(key) ?? 0) + 1);
    this.sim.establish(result.id);
    this.sim.atCall(this.sim.now() + this.lifetimeMs(), this.end, result.id);
  }

  private clientAt(index: number): string {
    const address = clientAddress(this.workload.target, index, this.workload.firstClient);
    this.addresses[index] = address;
    return address;
  }

  private keyOf(destination: { address: string; port: number }): string {
    let key = this.keys.get(destination);
    if (key === undefined) {
      key = `${destination.address}:${destination.port}`;
      // only the simulator's shared endpoint objects are worth remembering
      if (Object.isFrozen(destination)) this.keys.set(destination, key);
    }
    return key;
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
