import { clientAddress, type Simulator, TrafficGenerator } from "@lvsfleet/ipvs";
import {
  destinationKey,
  type HeldConnections,
  type IpvsServiceConfig,
  type IpvsTable,
  NO_SIMULATED_LOAD,
  type SimulatedLoad,
  type SimulatedTraffic,
  serviceKey,
} from "@lvsfleet/model";

/** A held connection keeps alive with a little data this often (the ESTABLISHED timeout is 900 s). */
const KEEPALIVE_MS = 60_000;

/** Held clients come from their own range, so that no load client shares their persistence templates. */
const HELD_CLIENTS = { inet: "198.19.128.1", inet6: "2001:db8:fffe::1" } as const;

interface Held {
  id: number;
  service: string;
}

/**
 * The simulated clients of a sim director: a seeded Poisson load against each virtual service
 * (one TrafficGenerator per service, following the table as it changes), and long-lived
 * connections held on chosen real servers until their lifetime ends or they are released.
 * Everything runs on the simulator's clock; nothing here opens a socket.
 */
export class SimulatedClients {
  private load: SimulatedLoad = NO_SIMULATED_LOAD;
  private readonly generators = new Map<string, TrafficGenerator>();
  private readonly held = new Map<number, Held>();
  private opened = 0;
  private refused = 0;
  private seed = 1;
  private heldClients = 0;
  private keepalive = false;

  constructor(private readonly sim: Simulator) {}

  /** The load from now on: arrivals restart with the new rate; connections already open keep their lifetime. */
  setLoad(load: SimulatedLoad, table: IpvsTable): void {
    for (const key of [...this.generators.keys()]) this.retire(key);
    this.load = { ...load };
    this.sync(table);
  }

  /** One generator per virtual service while the load runs; services that went stop theirs. */
  sync(table: IpvsTable): void {
    const wanted = new Map(
      this.load.connectionsPerSecond > 0 ? table.services.map((s) => [serviceKey(s), s] as const) : [],
    );
    for (const key of [...this.generators.keys()]) if (!wanted.has(key)) this.retire(key);
    for (const [key, service] of wanted) {
      if (this.generators.has(key)) continue;
      const generator = new TrafficGenerator(this.sim, {
        target: targetOf(service),
        connectionsPerSecond: this.load.connectionsPerSecond,
        lifetime: { kind: "exponential", meanSeconds: this.load.meanLifetimeSeconds },
        clients: this.load.clients,
        seed: this.seed++,
      });
      generator.start();
      this.generators.set(key, generator);
    }
  }

  private retire(key: string): void {
    const generator = this.generators.get(key);
    if (!generator) return;
    generator.stop();
    this.opened += generator.counts.opened;
    this.refused += generator.counts.refused;
    this.generators.delete(key);
  }

  /**
   * Puts `count` established connections on a real server, in every service that has it, as
   * clients that connected earlier (the scheduler is not asked). Returns how many it opened;
   * throws when no service has that real server.
   */
  hold(request: HeldConnections, table: IpvsTable): number {
    const services = table.services.filter((s) =>
      s.destinations.some((d) => destinationKey(d) === destinationKey(request)),
    );
    if (services.length === 0)
      throw new RangeError(`no virtual service has the real server ${request.address}:${request.port}`);
    let opened = 0;
    for (const service of services)
      for (let i = 0; i < request.count; i++) {
        const n = this.heldClients++;
        const id = this.sim.seedConnection({
          service,
          destination: { address: request.address, port: request.port },
          client: clientAddress(service, n % 65_536, HELD_CLIENTS[service.family]),
          clientPort: 40_000 + (Math.floor(n / 65_536) % 20_000),
          active: true,
          // TCP: open until closed (the keepalive restarts its timer); UDP: until its timeout, kept alive too
          remainingSeconds: service.protocol === "udp" ? this.sim.timeouts().udp : Number.POSITIVE_INFINITY,
        });
        this.held.set(id, { id, service: serviceKey(service) });
        if (request.lifetimeSeconds > 0)
          this.sim.at(this.sim.now() + request.lifetimeSeconds * 1000, () => this.close(id));
        opened++;
      }
    this.scheduleKeepalive();
    return opened;
  }

  /** Closes every held connection now, as its client would (FIN: it stays InActConn until the tcpfin timeout). */
  releaseHeld(): number {
    const ids = [...this.held.keys()];
    for (const id of ids) this.close(id);
    return ids.length;
  }

  private close(id: number): void {
    if (!this.held.delete(id)) return;
    this.sim.closeConnection(id, "client");
  }

  private scheduleKeepalive(): void {
    if (this.keepalive || this.held.size === 0) return;
    this.keepalive = true;
    this.sim.at(this.sim.now() + KEEPALIVE_MS, () => {
      this.keepalive = false;
      // a connection whose server was removed cannot deliver: its client gives up
      for (const { id } of [...this.held.values()])
        if (!this.sim.transfer(id, { inPackets: 1, inBytes: 52 })) this.held.delete(id);
      this.scheduleKeepalive();
    });
  }

  /** Whether anything is simulated at all (the driver ticks the clock in the background only then). */
  busy(): boolean {
    return this.generators.size > 0 || this.held.size > 0 || this.sim.connectionCount() > 0;
  }

  status(): SimulatedTraffic {
    let opened = this.opened;
    let refused = this.refused;
    for (const g of this.generators.values()) {
      opened += g.counts.opened;
      refused += g.counts.refused;
    }
    return {
      load: { ...this.load },
      opened,
      refused,
      held: this.held.size,
      connections: this.sim.connectionCount(),
    };
  }
}

/** Where a service's clients connect: its VIP and port (fwmark services: the mark, from an address of the family). */
function targetOf(service: IpvsServiceConfig) {
  const protocol = service.protocol === "fwmark" ? "tcp" : service.protocol;
  if (service.protocol === "fwmark")
    return {
      address: service.family === "inet6" ? "2001:db8::" : "198.18.0.0",
      port: 80,
      protocol,
      fwmark: service.fwmark ?? 0,
    };
  return { address: service.address ?? "", port: service.port ?? 0, protocol };
}
