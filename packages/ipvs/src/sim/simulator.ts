import {
  destinationKey,
  type IpvsDestination,
  type IpvsDestinationConfig,
  type IpvsService,
  type IpvsServiceConfig,
  type IpvsTable,
  type Operation,
  serviceKey,
} from "@lvsfleet/model";
import { ESTIMATOR_INTERVAL_MS, estimate, newCounters, ratesOf, statsOf } from "./estimator.ts";
import { EventQueue } from "./event-queue.ts";
import { SeededRandom } from "./random.ts";
import { schedulerFor } from "./scheduler-registry.ts";
import { nextTcpState, TCP_TIMEOUTS, type TcpDirection, type TcpEvent, type TcpState } from "./tcp-states.ts";
import type { FirstPacket, SimDestination, SimService } from "./types.ts";

/** `ipvsadm --set tcp tcpfin udp`, in seconds. */
export interface Timeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** The /proc/sys/net/ipv4/vs switches the simulator honours. */
export interface SimSysctls {
  /** expire_quiescent_template (default 0): a template whose server has weight 0 is not used. */
  expireQuiescentTemplate: boolean;
  /** expire_nodest_conn (default 0): a packet for a removed server expires its connection at once. */
  expireNodestConn: boolean;
  /** lblc_expiration / lblcr_expiration in seconds (default 24 h). */
  lblcExpiration: number;
  lblcrExpiration: number;
}

export interface SimulatorOptions {
  /** Seed of the only randomness inside (the twos scheduler). */
  seed?: number;
  timeouts?: Partial<Timeouts>;
  sysctls?: Partial<SimSysctls>;
  /** The virtual time to start at, in ms (default 0). */
  startMs?: number;
}

/** A new connection's first packet, as a client sends it to a virtual service. */
export interface ConnectionRequest {
  protocol?: "tcp" | "udp" | "sctp";
  client: string;
  clientPort: number;
  /** The virtual address and port the client connects to. */
  address: string;
  port: number;
  /** The packet's firewall mark, if an fwmark rule marked it. */
  fwmark?: number;
  /** Bytes of the first packet (default 60 for TCP, 100 otherwise). */
  bytes?: number;
}

export type OpenResult =
  | { ok: true; id: number; destination: { address: string; port: number } }
  | { ok: false; reason: string };

/** One entry of the connection table, as `ipvsadm -Lnc` shows it. */
export interface ConnectionEntry {
  id: number;
  protocol: "TCP" | "UDP" | "SCTP" | "IP";
  template: boolean;
  state: string;
  /** Seconds until the entry expires, as the kernel rounds them (down). */
  expiresIn: number;
  client: string;
  clientPort: number;
  virtualAddress: string;
  virtualPort: number;
  destinationAddress: string;
  destinationPort: number;
}

interface Conn {
  id: number;
  protocol: "tcp" | "udp" | "sctp" | "ip";
  template: boolean;
  client: string;
  cport: number;
  vaddr: string;
  vport: number;
  daddr: string;
  dport: number;
  dest: SimDestination;
  service: SimService;
  state: string;
  inactive: boolean;
  timeoutMs: number;
  expiresAt: number;
  /** The timer generation; stale heap entries carry an older one. */
  timer: number;
  /** When the connection's live heap entry fires (-1: none). */
  queuedAt: number;
  control: Conn | undefined;
  nControl: number;
  assured: boolean;
  direction: TcpDirection;
  onePacket: boolean;
  alive: boolean;
  templateKey?: string | undefined;
}

type Event =
  | { kind: "expire"; conn: Conn; timer: number }
  | { kind: "estimate" }
  | { kind: "scheduler"; service: SimService }
  | { kind: "call"; fn: () => void };

/** Raised when an operation is refused, with the message ipvsadm would print. */
export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimulatorError";
  }
}

const DEFAULT_SYSCTLS: SimSysctls = {
  expireQuiescentTemplate: false,
  expireNodestConn: false,
  lblcExpiration: 86400,
  lblcrExpiration: 86400,
};

/**
 * An in-memory IPVS: services, destinations in the kernel's list order, every scheduler,
 * a connection table with the TCP state machine and timers, persistence templates, counters
 * and rate estimators, all on a virtual clock. Nothing here reads the wall clock or does I/O.
 */
export class Simulator {
  private nowMs: number;
  private readonly services = new Map<string, SimService>();
  /** Destinations removed while connections still used them (the kernel's dest_trash). */
  private readonly trash = new Map<string, SimDestination>();
  private readonly conns = new Map<number, Conn>();
  private readonly templates = new Map<string, Conn>();
  private readonly events = new EventQueue<Event>();
  private nextId = 1;
  private liveConnections = 0;
  private readonly random: SeededRandom;
  private timeoutsS: Timeouts;
  readonly sysctls: SimSysctls;

  constructor(options: SimulatorOptions = {}) {
    this.nowMs = options.startMs ?? 0;
    this.random = new SeededRandom(options.seed ?? 1);
    this.timeoutsS = { tcp: 900, tcpfin: 120, udp: 300, ...options.timeouts };
    this.sysctls = { ...DEFAULT_SYSCTLS, ...options.sysctls };
    this.events.push(this.nowMs + ESTIMATOR_INTERVAL_MS, { kind: "estimate" });
  }

  /** The virtual time in ms. */
  now(): number {
    return this.nowMs;
  }

  // ---------------------------------------------------------------- configuration

  /** `ipvsadm --set tcp tcpfin udp`; 0 leaves a value as it is, as ipvsadm does. */
  setTimeouts(timeouts: Partial<Timeouts>): void {
    for (const key of ["tcp", "tcpfin", "udp"] as const) {
      const value = timeouts[key];
      if (value !== undefined && value !== 0) this.timeoutsS[key] = value;
    }
  }

  timeouts(): Timeouts {
    return { ...this.timeoutsS };
  }

  /** Applies planner operations in order, refusing what the kernel refuses. */
  applyOperations(operations: readonly Operation[]): void {
    for (const operation of operations) this.applyOperation(operation);
  }

  /** Replaces the whole configuration with a table's (connection counts in it are ignored). */
  load(table: IpvsTable): void {
    for (const service of [...this.services.values()]) this.deleteService(service.config);
    for (const s of table.services) {
      this.applyOperation({ op: "add-service", service: s });
      for (const d of s.destinations) this.applyOperation({ op: "add-destination", service: s, destination: d });
    }
  }

  private applyOperation(operation: Operation): void {
    const key = serviceKey(operation.service);
    const service = this.services.get(key);
    switch (operation.op) {
      case "add-service": {
        if (service) throw new SimulatorError(`${key}: Service already exists`);
        const created: SimService = {
          config: { ...operation.service, schedulerFlags: [...operation.service.schedulerFlags] },
          destinations: [],
          counters: newCounters(),
          scheduler: { schedule: () => undefined },
        };
        created.scheduler = this.newScheduler(created);
        this.services.set(key, created);
        return;
      }
      case "edit-service": {
        if (!service) throw new SimulatorError(`${key}: No such service`);
        const changed = service.config.scheduler !== operation.service.scheduler;
        service.config = { ...operation.service, schedulerFlags: [...operation.service.schedulerFlags] };
        if (changed) service.scheduler = this.newScheduler(service);
        return;
      }
      case "delete-service":
        if (!service) throw new SimulatorError(`${key}: No such service`);
        this.deleteService(service.config);
        return;
    }
    if (!service) throw new SimulatorError(`${key}: Service not defined`);
    const d = operation.destination;
    const dkey = destinationKey(d);
    const index = service.destinations.findIndex((x) => destinationKey(x) === dkey);
    const current = service.destinations[index];
    switch (operation.op) {
      case "add-destination": {
        if (current) throw new SimulatorError(`${key} ${dkey}: Destination already exists`);
        const trashKey = `${key}#${dkey}`;
        const reused = this.trash.get(trashKey);
        this.trash.delete(trashKey);
        const dest: SimDestination = reused ?? {
          address: d.address,
          port: d.port,
          forwarding: d.forwarding,
          weight: 0,
          lastWeight: 0,
          upperThreshold: 0,
          lowerThreshold: 0,
          available: true,
          overloaded: false,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
          counters: newCounters(),
          refs: 0,
        };
        this.updateDestination(dest, d);
        dest.available = true;
        service.destinations.unshift(dest);
        service.scheduler.destinationsChanged?.(service, "add", dest);
        return;
      }
      case "edit-destination":
        if (!current) throw new SimulatorError(`${key} ${dkey}: No such destination`);
        this.updateDestination(current, d);
        service.scheduler.destinationsChanged?.(service, "update", current);
        return;
      case "delete-destination":
        if (!current) throw new SimulatorError(`${key} ${dkey}: No such destination`);
        this.unlinkDestination(service, current, index);
        return;
    }
  }

  /** __ip_vs_update_dest: weight, last_weight, thresholds (clearing OVERLOAD as the kernel does). */
  private updateDestination(dest: SimDestination, d: IpvsDestinationConfig): void {
    dest.forwarding = d.forwarding;
    dest.tunnel = d.tunnel;
    dest.weight = d.weight;
    if (d.weight > 0) dest.lastWeight = d.weight;
    if (d.upperThreshold === 0 || d.upperThreshold > dest.upperThreshold) dest.overloaded = false;
    dest.upperThreshold = d.upperThreshold;
    dest.lowerThreshold = d.lowerThreshold;
  }

  private unlinkDestination(service: SimService, dest: SimDestination, index: number): void {
    dest.available = false;
    service.destinations.splice(index, 1);
    service.scheduler.destinationsChanged?.(service, "delete", dest, index);
    if (dest.refs > 0) this.trash.set(`${serviceKey(service.config)}#${destinationKey(dest)}`, dest);
  }

  private deleteService(config: IpvsServiceConfig): void {
    const key = serviceKey(config);
    const service = this.services.get(key);
    if (!service) return;
    for (const dest of [...service.destinations]) this.unlinkDestination(service, dest, 0);
    this.services.delete(key);
  }

  private newScheduler(service: SimService) {
    const state = schedulerFor(service, {
      now: this.nowMs,
      random: this.random,
      lblcExpiration: () => this.sysctls.lblcExpiration * 1000,
      lblcrExpiration: () => this.sysctls.lblcrExpiration * 1000,
    });
    if (state.timerDue !== undefined) this.events.push(state.timerDue, { kind: "scheduler", service });
    return state;
  }

  // ---------------------------------------------------------------- the clock

  /** Advances the virtual clock, firing connection timers, estimators and scheduled calls in order. */
  tick(ms: number): void {
    if (ms < 0) throw new SimulatorError("time only moves forward");
    this.advanceTo(this.nowMs + ms);
  }

  /** Runs `fn` when the clock reaches `atMs` (during a later tick), in order with the kernel's timers; never at Infinity. */
  at(atMs: number, fn: () => void): void {
    if (atMs === Number.POSITIVE_INFINITY) return;
    this.events.push(Math.max(atMs, this.nowMs), { kind: "call", fn });
  }

  private advanceTo(target: number): void {
    while (this.events.peekTime() <= target) {
      const { at, item } = this.events.pop()!;
      this.nowMs = at;
      switch (item.kind) {
        case "expire":
          if (item.conn.alive && item.conn.timer === item.timer) {
            // one heap entry per connection: a timer pushed later is re-queued, not duplicated
            if (item.conn.expiresAt > at) {
              item.conn.queuedAt = item.conn.expiresAt;
              this.events.push(item.conn.expiresAt, item);
            } else {
              item.conn.queuedAt = -1;
              this.expire(item.conn);
            }
          }
          break;
        case "estimate":
          for (const s of this.services.values()) {
            estimate(s.counters);
            for (const d of s.destinations) estimate(d.counters);
          }
          this.events.push(at + ESTIMATOR_INTERVAL_MS, { kind: "estimate" });
          break;
        case "scheduler":
          if (this.services.get(serviceKey(item.service.config)) === item.service && item.service.scheduler.timer) {
            const state = item.service.scheduler;
            this.events.push(state.timer!(item.service, at), { kind: "scheduler", service: item.service });
          }
          break;
        case "call":
          item.fn();
          break;
      }
    }
    this.nowMs = target;
  }

  // ---------------------------------------------------------------- connections

  /** A new connection's first packet (a TCP SYN, a UDP datagram): finds the service and schedules it. */
  openConnection(request: ConnectionRequest): OpenResult {
    const protocol = request.protocol ?? "tcp";
    const service = this.findService(protocol, request.address, request.port, request.fwmark);
    if (!service) return { ok: false, reason: "no virtual service" };
    const config = service.config;
    const packet: FirstPacket = {
      protocol,
      client: request.client,
      clientPort: request.clientPort,
      virtualAddress: request.address,
      virtualPort: request.port,
    };
    const onePacket = !!config.onePacket && protocol === "udp";
    let conn: Conn;
    if (config.persistence) {
      const scheduled = this.schedulePersistent(service, packet, protocol, onePacket);
      if (!scheduled.ok) return scheduled;
      conn = scheduled.conn;
    } else {
      if (config.protocol !== "fwmark" && request.port !== config.port)
        return { ok: false, reason: "port zero only supported in persistent services" };
      const dest = service.scheduler.schedule(service, packet, this.nowMs);
      if (!dest) return { ok: false, reason: "no destination available" };
      const dport = dest.port || request.port;
      conn = this.newConn(
        service,
        dest,
        protocol,
        request.client,
        request.clientPort,
        request.address,
        request.port,
        dport,
        false,
        onePacket,
      );
    }
    service.counters.conns++;
    conn.dest.counters.conns++;
    this.firstPacket(conn, request.bytes ?? (protocol === "tcp" ? 60 : 100));
    return { ok: true, id: conn.id, destination: { address: conn.daddr, port: conn.dport } };
  }

  /** ip_vs_sched_persist: reuse or create the client's template, then the connection under it. */
  private schedulePersistent(
    service: SimService,
    packet: FirstPacket,
    protocol: "tcp" | "udp" | "sctp",
    onePacket: boolean,
  ): { ok: true; conn: Conn } | { ok: false; reason: string } {
    const config = service.config;
    const persistence = config.persistence!;
    const snet = maskAddress(packet.client, persistence.netmask);
    const samePort = config.protocol !== "fwmark" && packet.virtualPort === config.port;
    let tProtocol: Conn["protocol"] = protocol;
    let tVaddr = packet.virtualAddress;
    let tVport = 0;
    if (samePort) {
      if (config.port !== 21) tVport = packet.virtualPort;
    } else if (config.protocol === "fwmark") {
      tProtocol = "ip";
      tVaddr = fwmarkAddress(config.fwmark ?? 0, config.family);
    }
    const key = `${tProtocol}|${snet}|${tVaddr}|${tVport}|${config.family}`;
    let ct = this.templates.get(key);
    if (ct && !this.templateUsable(ct)) {
      this.invalidateTemplate(ct);
      ct = undefined;
    }
    if (!ct) {
      const dest = service.scheduler.schedule(service, packet, this.nowMs);
      if (!dest) return { ok: false, reason: "no destination available" };
      const tDport = samePort && config.port !== 21 ? dest.port : 0;
      ct = this.newConn(service, dest, tProtocol, snet, 0, tVaddr, tVport, tDport, true, false);
      ct.timeoutMs = persistence.timeout * 1000;
      ct.templateKey = key;
      this.templates.set(key, ct);
    }
    const dest = ct.dest;
    const dport = packet.virtualPort === config.port && dest.port ? dest.port : packet.virtualPort;
    const conn = this.newConn(
      service,
      dest,
      protocol,
      packet.client,
      packet.clientPort,
      packet.virtualAddress,
      packet.virtualPort,
      dport,
      false,
      onePacket,
    );
    conn.control = ct;
    ct.nControl++;
    this.armTimer(ct); // ip_vs_conn_put(ct): the template's timer restarts with its timeout
    return { ok: true, conn };
  }

  /** ip_vs_check_template: the server must still be in the table (and, with the sysctl, not quiescent). */
  private templateUsable(ct: Conn): boolean {
    const d = ct.dest;
    return d.available && !(this.sysctls.expireQuiescentTemplate && d.weight === 0);
  }

  /** The kernel re-hashes an invalid template with ports 65535 so nothing finds it; it lives on until its timer. */
  private invalidateTemplate(ct: Conn): void {
    if (ct.templateKey) this.templates.delete(ct.templateKey);
    ct.templateKey = undefined;
    ct.vport = 65535;
    ct.dport = 65535;
    ct.cport = 0;
  }

  private newConn(
    service: SimService,
    dest: SimDestination,
    protocol: Conn["protocol"],
    client: string,
    cport: number,
    vaddr: string,
    vport: number,
    dport: number,
    template: boolean,
    onePacket: boolean,
  ): Conn {
    const conn: Conn = {
      id: this.nextId++,
      protocol,
      template,
      client,
      cport,
      vaddr,
      vport,
      daddr: dest.address,
      dport,
      dest,
      service,
      state: template ? "NONE" : protocol === "udp" ? "UDP" : "NONE",
      inactive: true,
      timeoutMs: 3000,
      expiresAt: 0,
      timer: 0,
      queuedAt: -1,
      control: undefined,
      nControl: 0,
      assured: false,
      direction: dest.forwarding === "nat" ? "input" : "input-only",
      onePacket,
      alive: true,
    };
    this.conns.set(conn.id, conn);
    if (!template) this.liveConnections++;
    // ip_vs_bind_dest
    dest.refs++;
    if (template) dest.persistConns++;
    else dest.inactConns++;
    if (dest.upperThreshold !== 0 && dest.activeConns + dest.inactConns >= dest.upperThreshold) dest.overloaded = true;
    return conn;
  }

  private firstPacket(conn: Conn, bytes: number): void {
    this.countIn(conn, 1, bytes);
    if (conn.protocol === "tcp") this.tcpTransition(conn, "input", "syn");
    else this.settle(conn, conn.protocol === "udp" ? this.timeoutsS.udp : TCP_TIMEOUTS.ESTABLISHED, true);
    if (conn.onePacket) {
      this.expire(conn);
      return;
    }
    this.armTimer(conn);
  }

  /** mod_timer(now + timeout). A pending heap entry due no later is reused (re-queued when it fires). */
  private armTimer(conn: Conn): void {
    conn.expiresAt = this.nowMs + conn.timeoutMs;
    if (conn.queuedAt >= 0 && conn.queuedAt <= conn.expiresAt) return;
    conn.timer++;
    conn.queuedAt = conn.expiresAt;
    this.events.push(conn.expiresAt, { kind: "expire", conn, timer: conn.timer });
  }

  private stateTimeout(state: TcpState): number {
    if (state === "ESTABLISHED") return this.timeoutsS.tcp;
    if (state === "FIN_WAIT") return this.timeoutsS.tcpfin;
    return TCP_TIMEOUTS[state];
  }

  /** set_tcp_state: moves the connection, keeps ActiveConn/InActConn in step, sets the timeout. */
  private tcpTransition(conn: Conn, direction: "input" | "output", event: TcpEvent): void {
    const table = direction === "input" ? conn.direction : "output";
    const next = nextTcpState(conn.state as TcpState, table, event);
    if (next !== conn.state) {
      this.setActive(conn, next === "ESTABLISHED");
      if (next === "ESTABLISHED" && conn.control) conn.control.assured = true;
    }
    conn.state = next;
    conn.timeoutMs = this.stateTimeout(next) * 1000;
  }

  /** UDP and SCTP (approximated): active while established, as for TCP. */
  private settle(conn: Conn, timeoutS: number, active: boolean): void {
    if (conn.protocol === "sctp") {
      this.setActive(conn, active);
      conn.state = active ? "ESTABLISHED" : "CLOSED";
      if (active && conn.control) conn.control.assured = true;
    }
    conn.timeoutMs = timeoutS * 1000;
  }

  private setActive(conn: Conn, active: boolean): void {
    const dest = conn.dest;
    if (!conn.inactive && !active) {
      dest.activeConns--;
      dest.inactConns++;
      conn.inactive = true;
    } else if (conn.inactive && active) {
      dest.activeConns++;
      dest.inactConns--;
      conn.inactive = false;
    }
  }

  /** A connection that is still in the table (it may have expired: then the call does nothing). */
  private live(id: number): Conn | undefined {
    const conn = this.conns.get(id);
    return conn && !conn.template ? conn : undefined;
  }

  /** Whether a packet of this connection still reaches its server (see expire_nodest_conn). */
  private deliverable(conn: Conn): boolean {
    if (conn.dest.available) return true;
    if (this.sysctls.expireNodestConn) this.expire(conn);
    return false;
  }

  /** The client's ACK that completes the handshake (TCP); the connection becomes active. False if it is gone. */
  establish(id: number): boolean {
    const conn = this.live(id);
    if (!conn || !this.deliverable(conn)) return false;
    if (conn.protocol === "tcp") {
      if (conn.direction === "input") {
        this.countOut(conn, 1, 60);
        this.tcpTransition(conn, "output", "syn");
      }
      this.countIn(conn, 1, 52);
      this.tcpTransition(conn, "input", "ack");
    }
    this.armTimer(conn);
    return true;
  }

  /** Data both ways: counters, and the connection's timer restarts. Replies are only seen with NAT. */
  transfer(
    id: number,
    traffic: { inPackets?: number; inBytes?: number; outPackets?: number; outBytes?: number },
  ): boolean {
    const conn = this.live(id);
    if (!conn || !this.deliverable(conn)) return false;
    this.countIn(conn, traffic.inPackets ?? 0, traffic.inBytes ?? 0);
    if (conn.direction === "input" && (traffic.outPackets ?? 0) > 0) {
      this.countOut(conn, traffic.outPackets ?? 0, traffic.outBytes ?? 0);
      if (conn.protocol === "udp" && conn.control) conn.control.assured = true;
    }
    if (conn.protocol === "udp") conn.timeoutMs = this.timeoutsS.udp * 1000;
    this.armTimer(conn);
    return true;
  }

  /**
   * The end of a connection: `client` (the client's FIN first), `server` (the server's FIN
   * first; the director sees it only with NAT) or `reset`. The entry then lingers in
   * FIN_WAIT/TIME_WAIT/CLOSE until its timer fires; UDP simply stops and expires.
   */
  closeConnection(id: number, by: "client" | "server" | "reset" = "client"): boolean {
    const conn = this.live(id);
    if (!conn || !this.deliverable(conn)) return false;
    if (conn.protocol === "tcp") {
      const nat = conn.direction === "input";
      const steps: ["input" | "output", TcpEvent][] =
        by === "reset"
          ? [["input", "rst"]]
          : by === "client"
            ? nat
              ? [
                  ["input", "fin"],
                  ["output", "ack"],
                  ["output", "fin"],
                  ["input", "ack"],
                ]
              : [
                  ["input", "fin"],
                  ["input", "ack"],
                ]
            : nat
              ? [
                  ["output", "fin"],
                  ["input", "ack"],
                  ["input", "fin"],
                  ["output", "ack"],
                ]
              : [
                  ["input", "ack"],
                  ["input", "fin"],
                ];
      for (const [direction, event] of steps) {
        if (direction === "input") this.countIn(conn, 1, 52);
        else this.countOut(conn, 1, 52);
        this.tcpTransition(conn, direction, event);
      }
    } else if (conn.protocol === "sctp") {
      this.countIn(conn, 1, 52);
      this.settle(conn, 10, false);
    }
    this.armTimer(conn);
    return true;
  }

  private countIn(conn: Conn, packets: number, bytes: number): void {
    conn.service.counters.inPkts += packets;
    conn.service.counters.inBytes += bytes;
    conn.dest.counters.inPkts += packets;
    conn.dest.counters.inBytes += bytes;
  }

  private countOut(conn: Conn, packets: number, bytes: number): void {
    conn.service.counters.outPkts += packets;
    conn.service.counters.outBytes += bytes;
    conn.dest.counters.outPkts += packets;
    conn.dest.counters.outBytes += bytes;
  }

  /** ip_vs_conn_expire: a template that still controls connections waits 60 s more. */
  private expire(conn: Conn): void {
    if (conn.nControl > 0) {
      conn.timeoutMs = 60_000;
      this.armTimer(conn);
      return;
    }
    conn.alive = false;
    conn.timer++;
    this.conns.delete(conn.id);
    if (!conn.template) this.liveConnections--;
    if (conn.templateKey && this.templates.get(conn.templateKey) === conn) this.templates.delete(conn.templateKey);
    if (conn.control) conn.control.nControl--;
    // ip_vs_unbind_dest
    const dest = conn.dest;
    if (conn.template) dest.persistConns--;
    else if (conn.inactive) dest.inactConns--;
    else dest.activeConns--;
    const total = dest.activeConns + dest.inactConns;
    if (dest.lowerThreshold !== 0) {
      if (total < dest.lowerThreshold) dest.overloaded = false;
    } else if (dest.upperThreshold !== 0) {
      if (total * 4 < dest.upperThreshold * 3) dest.overloaded = false;
    } else dest.overloaded = false;
    dest.refs--;
    if (dest.refs === 0 && !dest.available) for (const [key, d] of this.trash) if (d === dest) this.trash.delete(key);
  }

  /**
   * Puts an existing connection on a given real server, bypassing the scheduler: what a
   * snapshot of a real table (counts only) turns into. `state` is where the connection is
   * now; it ends (established ones close, the others expire) after `remainingSeconds`.
   */
  seedConnection(seed: {
    service: Pick<IpvsServiceConfig, "protocol" | "address" | "port" | "fwmark" | "family">;
    destination: { address: string; port: number };
    client: string;
    clientPort: number;
    protocol?: "tcp" | "udp" | "sctp";
    active: boolean;
    remainingSeconds: number;
  }): number {
    const service = this.services.get(serviceKey(seed.service));
    if (!service) throw new SimulatorError(`${serviceKey(seed.service)}: No such service`);
    const dest = service.destinations.find(
      (d) => d.address === seed.destination.address && d.port === seed.destination.port,
    );
    if (!dest)
      throw new SimulatorError(`${serviceKey(seed.service)} ${destinationKey(seed.destination)}: No such destination`);
    const protocol = seed.protocol ?? (service.config.protocol === "fwmark" ? "tcp" : service.config.protocol);
    const vaddr = service.config.address ?? "0.0.0.0";
    const vport = service.config.port ?? 0;
    const conn = this.newConn(
      service,
      dest,
      protocol,
      seed.client,
      seed.clientPort,
      vaddr,
      vport,
      dest.port || vport,
      false,
      false,
    );
    const persistence = service.config.persistence;
    if (persistence) {
      // the client's template, as the kernel would have made it when it scheduled this connection
      const fwmark = service.config.protocol === "fwmark";
      const tProtocol: Conn["protocol"] = fwmark ? "ip" : protocol;
      const tVaddr = fwmark ? fwmarkAddress(service.config.fwmark ?? 0, service.config.family) : vaddr;
      const tVport = fwmark || vport === 21 ? 0 : vport;
      const snet = maskAddress(seed.client, persistence.netmask);
      const key = `${tProtocol}|${snet}|${tVaddr}|${tVport}|${service.config.family}`;
      let ct = this.templates.get(key);
      if (!ct) {
        const tDport = fwmark || vport === 21 ? 0 : dest.port;
        ct = this.newConn(service, dest, tProtocol, snet, 0, tVaddr, tVport, tDport, true, false);
        ct.timeoutMs = persistence.timeout * 1000;
        ct.templateKey = key;
        ct.assured = seed.active;
        this.templates.set(key, ct);
      }
      conn.control = ct;
      ct.nControl++;
      this.armTimer(ct);
    }
    const remaining = Math.max(0, seed.remainingSeconds) * 1000;
    if (protocol === "tcp") {
      this.setActive(conn, seed.active);
      conn.state = seed.active ? "ESTABLISHED" : conn.direction === "input" ? "TIME_WAIT" : "FIN_WAIT";
    } else if (protocol === "sctp") this.settle(conn, 0, seed.active);
    if (seed.active && protocol !== "udp") {
      conn.timeoutMs = this.timeoutsS.tcp * 1000;
      this.armTimer(conn);
      this.at(this.nowMs + remaining, () => {
        if (conn.alive) this.closeConnection(conn.id, "client");
      });
    } else {
      conn.timeoutMs = remaining;
      this.armTimer(conn);
    }
    return conn.id;
  }

  // ---------------------------------------------------------------- observation

  private findService(protocol: string, address: string, port: number, fwmark?: number): SimService | undefined {
    const family = address.includes(":") ? "inet6" : "inet";
    if (fwmark !== undefined) {
      const marked = this.services.get(`fwmark|${fwmark}|${family}`);
      if (marked) return marked;
    }
    return this.services.get(`${protocol}|${address}|${port}`) ?? this.services.get(`${protocol}|${address}|0`);
  }

  /**
   * Connection counts of a real server of a service, also after it was removed from the table
   * (while connections still use it); zeros when it is gone for good.
   */
  destinationLoad(
    service: Pick<IpvsServiceConfig, "protocol" | "address" | "port" | "fwmark" | "family">,
    destination: { address: string; port: number },
  ): { activeConns: number; inactConns: number; persistConns: number } {
    const key = serviceKey(service);
    const dkey = destinationKey(destination);
    const d =
      this.services.get(key)?.destinations.find((x) => destinationKey(x) === dkey) ?? this.trash.get(`${key}#${dkey}`);
    return d
      ? { activeConns: d.activeConns, inactConns: d.inactConns, persistConns: d.persistConns }
      : { activeConns: 0, inactConns: 0, persistConns: 0 };
  }

  /** The table as `ipvsadm -Ln` sees it now: live connection counts, counters and rates. */
  table(): IpvsTable {
    return {
      services: [...this.services.values()].map(
        (s): IpvsService => ({
          ...s.config,
          schedulerFlags: [...s.config.schedulerFlags],
          stats: statsOf(s.counters),
          rates: ratesOf(s.counters),
          destinations: [...s.destinations].reverse().map(
            (d): IpvsDestination => ({
              address: d.address,
              port: d.port,
              forwarding: d.forwarding,
              ...(d.tunnel ? { tunnel: d.tunnel } : {}),
              weight: d.weight,
              upperThreshold: d.upperThreshold,
              lowerThreshold: d.lowerThreshold,
              activeConns: d.activeConns,
              inactConns: d.inactConns,
              persistConns: d.persistConns,
              stats: statsOf(d.counters),
              rates: ratesOf(d.counters),
            }),
          ),
        }),
      ),
    };
  }

  /** The connection table (templates included), oldest first. */
  connections(): ConnectionEntry[] {
    return [...this.conns.values()].map((c) => ({
      id: c.id,
      protocol: c.protocol === "ip" ? "IP" : (c.protocol.toUpperCase() as "TCP" | "UDP" | "SCTP"),
      template: c.template,
      state: c.template ? (c.assured ? "ASSURED" : "NONE") : c.state,
      expiresIn: Math.max(0, Math.floor((c.expiresAt - this.nowMs) / 1000)),
      client: c.client,
      clientPort: c.cport,
      virtualAddress: c.vaddr,
      virtualPort: c.vport,
      destinationAddress: c.daddr,
      destinationPort: c.dport,
    }));
  }

  /** How many connections (not templates) are in the table. */
  connectionCount(): number {
    return this.liveConnections;
  }
}

/** The client address with the persistence netmask applied (template granularity). */
export function maskAddress(address: string, prefix: number): string {
  if (prefix === 32 && !address.includes(":")) return address;
  if (!address.includes(":")) {
    const n = address.split(".").reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const m = (n & mask) >>> 0;
    return [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join(".");
  }
  const words = ipv6Groups(address);
  const masked = words.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return formatIpv6(masked);
}

function ipv6Groups(address: string): number[] {
  const [head = "", tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = address.includes("::") && tail ? tail.split(":") : [];
  return [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => Number.parseInt(g, 16));
}

/** RFC 5952 text of eight groups (what inet_ntop prints). */
export function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** How the kernel writes a fwmark into a template's virtual address: htonl(mark) in the first word. */
function fwmarkAddress(fwmark: number, family: "inet" | "inet6"): string {
  if (family === "inet") return [fwmark >>> 24, (fwmark >>> 16) & 255, (fwmark >>> 8) & 255, fwmark & 255].join(".");
  return formatIpv6([fwmark >>> 16, fwmark & 0xffff, 0, 0, 0, 0, 0, 0]);
}
