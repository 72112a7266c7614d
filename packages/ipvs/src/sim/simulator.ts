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
import { EventQueue, type TimedEvent } from "./event-queue.ts";
import { SeededRandom } from "./random.ts";
import { schedulerFor } from "./scheduler-registry.ts";
import {
  DIRECTION_CODE,
  EVENT_CODE,
  nextTcpStateCode,
  S_CLOSED,
  S_ESTABLISHED,
  S_FIN_WAIT,
  S_NONE,
  S_TIME_WAIT,
  S_UDP,
  STATE_NAMES,
  TCP_TIMEOUT_BY_CODE,
  TCP_TIMEOUTS,
} from "./tcp-states.ts";
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
  /** Index in the connection table; the id is the slot plus SLOT_SPACE times the slot's reuse count. */
  slot: number;
  /** Creation order (the -Lnc listing is oldest first). */
  serial: number;
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
  /** A code of STATE_NAMES. */
  state: number;
  inactive: boolean;
  timeoutMs: number;
  expiresAt: number;
  /** The timer generation (never reset, also when the entry is reused); stale timers carry an older one. */
  timer: number;
  /** When the connection's live heap entry fires (-1: none). */
  queuedAt: number;
  control: Conn | undefined;
  nControl: number;
  assured: boolean;
  /** DIRECTION_CODE of the TCP table its input packets use. */
  direction: number;
  onePacket: boolean;
  alive: boolean;
  /** A template's place in `templates`: its group and key (the masked client address). */
  templateGroup: Map<string, Conn> | undefined;
  templateKey: string;
}

/** Event kinds (TimedEvent.kind): target and arg as noted. */
const EXPIRE = 0; // target: Conn, arg: its timer generation
const ESTIMATE = 1;
const SCHEDULER = 2; // target: SimService
const CALL = 3; // target: () => void
const CALL_WITH = 4; // target: (arg: number) => void, arg

/** Connection ids: slot + SLOT_SPACE × reuses of the slot (unique for 2^29 reuses of each of 2^24 slots). */
const SLOT_SPACE = 2 ** 24;

const INPUT = DIRECTION_CODE.input;
const OUTPUT = DIRECTION_CODE.output;
const SYN = EVENT_CODE.syn;
const ACK = EVENT_CODE.ack;
const FIN = EVENT_CODE.fin;
const RST = EVENT_CODE.rst;
/** The packets of a close, in order: [direction (INPUT or OUTPUT), event] pairs, flat. */
const CLOSE_STEPS = {
  reset: [INPUT, RST],
  clientNat: [INPUT, FIN, OUTPUT, ACK, OUTPUT, FIN, INPUT, ACK],
  clientDr: [INPUT, FIN, INPUT, ACK],
  serverNat: [OUTPUT, FIN, INPUT, ACK, INPUT, FIN, OUTPUT, ACK],
  serverDr: [INPUT, ACK, INPUT, FIN],
} as const;

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
  /** The connection table: entries by slot (dead ones are reused), and the free slots. */
  private readonly conns: Conn[] = [];
  private readonly freeSlots: number[] = [];
  private nextSerial = 1;
  /** Persistence templates by (protocol, virtual address, port, family), then by masked client address. */
  private readonly templates = new Map<string, Map<string, Conn>>();
  private readonly events: EventQueue;
  private liveConnections = 0;
  /** Service lookups repeat: the last one, valid while no service is added or deleted. */
  private lookup: {
    protocol: string;
    address: string;
    port: number;
    fwmark: number | undefined;
    service: SimService | undefined;
  } = { protocol: "", address: "", port: -1, fwmark: undefined, service: undefined };
  /** The first packet the schedulers see (one object, reused: no scheduler keeps it). */
  private readonly packet: FirstPacket = {
    protocol: "tcp",
    client: "",
    clientPort: 0,
    virtualAddress: "",
    virtualPort: 0,
  };
  private readonly random: SeededRandom;
  private timeoutsS: Timeouts;
  readonly sysctls: SimSysctls;

  constructor(options: SimulatorOptions = {}) {
    this.nowMs = options.startMs ?? 0;
    this.random = new SeededRandom(options.seed ?? 1);
    this.timeoutsS = { tcp: 900, tcpfin: 120, udp: 300, ...options.timeouts };
    this.sysctls = { ...DEFAULT_SYSCTLS, ...options.sysctls };
    this.events = new EventQueue(this.nowMs);
    this.events.push(this.nowMs + ESTIMATOR_INTERVAL_MS, ESTIMATE, undefined);
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
        this.lookup.port = -1;
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
    this.lookup.port = -1;
  }

  private newScheduler(service: SimService) {
    const state = schedulerFor(service, {
      now: this.nowMs,
      random: this.random,
      lblcExpiration: () => this.sysctls.lblcExpiration * 1000,
      lblcrExpiration: () => this.sysctls.lblcrExpiration * 1000,
    });
    if (state.timerDue !== undefined) this.events.push(state.timerDue, SCHEDULER, service);
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
    this.events.push(Math.max(atMs, this.nowMs), CALL, fn);
  }

  /** As at(), calling `fn(arg)`: a caller with one function for many events allocates nothing per event. */
  atCall(atMs: number, fn: (arg: number) => void, arg: number): void {
    if (atMs === Number.POSITIVE_INFINITY) return;
    this.events.push(Math.max(atMs, this.nowMs), CALL_WITH, fn, arg);
  }

  private advanceTo(target: number): void {
    const events = this.events;
    for (let event = events.next(target); event; event = events.next(target)) {
      const at = event.at;
      this.nowMs = at;
      this.fire(event, at);
      events.recycle(event);
    }
    this.nowMs = target;
  }

  private fire(event: TimedEvent, at: number): void {
    switch (event.kind) {
      case EXPIRE: {
        const conn = event.target as Conn;
        if (conn.alive && conn.timer === event.arg) {
          // one queued timer per connection: a timer pushed later is re-queued, not duplicated
          if (conn.expiresAt > at) {
            conn.queuedAt = conn.expiresAt;
            this.events.push(conn.expiresAt, EXPIRE, conn, conn.timer);
          } else {
            conn.queuedAt = -1;
            this.expire(conn);
          }
        }
        return;
      }
      case ESTIMATE:
        for (const s of this.services.values()) {
          estimate(s.counters);
          for (const d of s.destinations) estimate(d.counters);
        }
        this.events.push(at + ESTIMATOR_INTERVAL_MS, ESTIMATE, undefined);
        return;
      case SCHEDULER: {
        const service = event.target as SimService;
        if (this.services.get(serviceKey(service.config)) === service && service.scheduler.timer)
          this.events.push(service.scheduler.timer(service, at), SCHEDULER, service);
        return;
      }
      case CALL:
        (event.target as () => void)();
        return;
      case CALL_WITH:
        (event.target as (arg: number) => void)(event.arg);
        return;
    }
  }

  // ---------------------------------------------------------------- connections

  /** A new connection's first packet (a TCP SYN, a UDP datagram): finds the service and schedules it. */
  openConnection(request: ConnectionRequest): OpenResult {
    const protocol = request.protocol ?? "tcp";
    const service = this.findService(protocol, request.address, request.port, request.fwmark);
    if (!service) return { ok: false, reason: "no virtual service" };
    const config = service.config;
    const packet = this.packet;
    packet.protocol = protocol;
    packet.client = request.client;
    packet.clientPort = request.clientPort;
    packet.virtualAddress = request.address;
    packet.virtualPort = request.port;
    const onePacket = !!config.onePacket && protocol === "udp";
    let conn: Conn;
    if (config.persistence) {
      const scheduled = this.schedulePersistent(service, packet, protocol, onePacket);
      if (typeof scheduled === "string") return { ok: false, reason: scheduled };
      conn = scheduled;
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
    const id = conn.id;
    const dest = conn.dest;
    const dport = conn.dport;
    this.firstPacket(conn, request.bytes ?? (protocol === "tcp" ? 60 : 100));
    return {
      ok: true,
      id,
      destination: dport === dest.port ? endpointOf(dest) : { address: dest.address, port: dport },
    };
  }

  /** ip_vs_sched_persist: reuse or create the client's template, then the connection under it. */
  private schedulePersistent(
    service: SimService,
    packet: FirstPacket,
    protocol: "tcp" | "udp" | "sctp",
    onePacket: boolean,
  ): Conn | string {
    const config = service.config;
    const persistence = config.persistence!;
    // the common case, a whole IPv4 address, needs no parsing
    const snet =
      persistence.netmask === 32 && config.family === "inet" && !packet.client.includes(":")
        ? packet.client
        : maskAddress(packet.client, persistence.netmask);
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
    const group = this.templateGroup(service, tProtocol, tVaddr, tVport, config.family);
    let ct = group.get(snet);
    if (ct && !this.templateUsable(ct)) {
      this.invalidateTemplate(ct);
      ct = undefined;
    }
    if (!ct) {
      const dest = service.scheduler.schedule(service, packet, this.nowMs);
      if (!dest) return "no destination available";
      const tDport = samePort && config.port !== 21 ? dest.port : 0;
      ct = this.newConn(service, dest, tProtocol, snet, 0, tVaddr, tVport, tDport, true, false);
      ct.timeoutMs = persistence.timeout * 1000;
      ct.templateGroup = group;
      ct.templateKey = snet;
      group.set(snet, ct);
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
    return conn;
  }

  /** ip_vs_check_template: the server must still be in the table (and, with the sysctl, not quiescent). */
  private templateUsable(ct: Conn): boolean {
    const d = ct.dest;
    return d.available && !(this.sysctls.expireQuiescentTemplate && d.weight === 0);
  }

  /**
   * The templates of one (protocol, virtual address, port, family): the kernel hashes all of them in
   * its connection table; grouping them lets a connection find its client's template by the masked
   * address alone. The service remembers its last group.
   */
  private templateGroup(
    service: SimService,
    protocol: string,
    vaddr: string,
    vport: number,
    family: string,
  ): Map<string, Conn> {
    const last = service.lastTemplateGroup;
    if (last && last.protocol === protocol && last.vaddr === vaddr && last.vport === vport && last.family === family)
      return last.group as Map<string, Conn>;
    const key = `${protocol}|${vaddr}|${vport}|${family}`;
    let group = this.templates.get(key);
    if (!group) {
      group = new Map();
      this.templates.set(key, group);
    }
    service.lastTemplateGroup = { protocol, vaddr, vport, family, group };
    return group;
  }

  /** The kernel re-hashes an invalid template with ports 65535 so nothing finds it; it lives on until its timer. */
  private invalidateTemplate(ct: Conn): void {
    if (ct.templateGroup?.get(ct.templateKey) === ct) ct.templateGroup.delete(ct.templateKey);
    ct.templateGroup = undefined;
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
    const state = !template && protocol === "udp" ? S_UDP : S_NONE;
    const direction = dest.forwarding === "nat" ? DIRECTION_CODE.input : DIRECTION_CODE["input-only"];
    const reused = this.freeSlots.length > 0 ? this.conns[this.freeSlots.pop()!] : undefined;
    let conn: Conn;
    if (reused) {
      // a reused entry keeps its slot and its timer generation (so that its old timers stay stale)
      conn = reused;
      conn.id += SLOT_SPACE;
      conn.serial = this.nextSerial++;
      conn.protocol = protocol;
      conn.template = template;
      conn.client = client;
      conn.cport = cport;
      conn.vaddr = vaddr;
      conn.vport = vport;
      conn.daddr = dest.address;
      conn.dport = dport;
      conn.dest = dest;
      conn.service = service;
      conn.state = state;
      conn.inactive = true;
      conn.timeoutMs = 3000;
      conn.expiresAt = 0;
      conn.queuedAt = -1;
      conn.control = undefined;
      conn.nControl = 0;
      conn.assured = false;
      conn.direction = direction;
      conn.onePacket = onePacket;
      conn.alive = true;
      conn.templateGroup = undefined;
      conn.templateKey = "";
    } else {
      // every field in one literal: V8 keeps them all inside the object (no separate property store)
      const slot = this.conns.length;
      conn = {
        id: slot,
        slot,
        serial: this.nextSerial++,
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
        state,
        inactive: true,
        timeoutMs: 3000,
        expiresAt: 0,
        timer: 0,
        queuedAt: -1,
        control: undefined,
        nControl: 0,
        assured: false,
        direction,
        onePacket,
        alive: true,
        templateGroup: undefined,
        templateKey: "",
      };
      this.conns.push(conn);
    }
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
    if (conn.protocol === "tcp") this.tcpTransition(conn, INPUT, SYN);
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
    this.events.push(conn.expiresAt, EXPIRE, conn, conn.timer);
  }

  private stateTimeout(state: number): number {
    if (state === S_ESTABLISHED) return this.timeoutsS.tcp;
    if (state === S_FIN_WAIT) return this.timeoutsS.tcpfin;
    return TCP_TIMEOUT_BY_CODE[state]!;
  }

  /** set_tcp_state: moves the connection, keeps ActiveConn/InActConn in step, sets the timeout. */
  private tcpTransition(conn: Conn, direction: number, event: number): void {
    const table = direction === INPUT ? conn.direction : OUTPUT;
    const next = nextTcpStateCode(conn.state, table, event);
    if (next !== conn.state) {
      this.setActive(conn, next === S_ESTABLISHED);
      if (next === S_ESTABLISHED && conn.control) conn.control.assured = true;
    }
    conn.state = next;
    conn.timeoutMs = this.stateTimeout(next) * 1000;
  }

  /** UDP and SCTP (approximated): active while established, as for TCP. */
  private settle(conn: Conn, timeoutS: number, active: boolean): void {
    if (conn.protocol === "sctp") {
      this.setActive(conn, active);
      conn.state = active ? S_ESTABLISHED : S_CLOSED;
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
    const conn = this.conns[id % SLOT_SPACE];
    return conn && conn.id === id && conn.alive && !conn.template ? conn : undefined;
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
      if (conn.direction === INPUT) {
        this.countOut(conn, 1, 60);
        this.tcpTransition(conn, OUTPUT, SYN);
      }
      this.countIn(conn, 1, 52);
      this.tcpTransition(conn, INPUT, ACK);
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
    if (conn.direction === INPUT && (traffic.outPackets ?? 0) > 0) {
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
      const nat = conn.direction === INPUT;
      const steps =
        by === "reset"
          ? CLOSE_STEPS.reset
          : by === "client"
            ? nat
              ? CLOSE_STEPS.clientNat
              : CLOSE_STEPS.clientDr
            : nat
              ? CLOSE_STEPS.serverNat
              : CLOSE_STEPS.serverDr;
      for (let i = 0; i < steps.length; i += 2) {
        const direction = steps[i]!;
        if (direction === INPUT) this.countIn(conn, 1, 52);
        else this.countOut(conn, 1, 52);
        this.tcpTransition(conn, direction, steps[i + 1]!);
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
    this.freeSlots.push(conn.slot);
    if (!conn.template) this.liveConnections--;
    if (conn.templateGroup?.get(conn.templateKey) === conn) conn.templateGroup.delete(conn.templateKey);
    conn.templateGroup = undefined;
    if (conn.control) conn.control.nControl--;
    conn.control = undefined;
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
      const group = this.templateGroup(service, tProtocol, tVaddr, tVport, service.config.family);
      let ct = group.get(snet);
      if (!ct) {
        const tDport = fwmark || vport === 21 ? 0 : dest.port;
        ct = this.newConn(service, dest, tProtocol, snet, 0, tVaddr, tVport, tDport, true, false);
        ct.timeoutMs = persistence.timeout * 1000;
        ct.templateGroup = group;
        ct.templateKey = snet;
        ct.assured = seed.active;
        group.set(snet, ct);
      }
      conn.control = ct;
      ct.nControl++;
      this.armTimer(ct);
    }
    const remaining = Math.max(0, seed.remainingSeconds) * 1000;
    if (protocol === "tcp") {
      this.setActive(conn, seed.active);
      conn.state = seed.active ? S_ESTABLISHED : conn.direction === INPUT ? S_TIME_WAIT : S_FIN_WAIT;
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
    const last = this.lookup;
    if (last.port === port && last.address === address && last.protocol === protocol && last.fwmark === fwmark)
      return last.service;
    const service = this.findServiceNow(protocol, address, port, fwmark);
    this.lookup = { protocol, address, port, fwmark, service };
    return service;
  }

  private findServiceNow(protocol: string, address: string, port: number, fwmark?: number): SimService | undefined {
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
    const alive = this.conns.filter((c) => c.alive).sort((a, b) => a.serial - b.serial);
    return alive.map((c) => ({
      id: c.id,
      protocol: c.protocol === "ip" ? "IP" : (c.protocol.toUpperCase() as "TCP" | "UDP" | "SCTP"),
      template: c.template,
      state: c.template ? (c.assured ? "ASSURED" : "NONE") : STATE_NAMES[c.state]!,
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

/** A real server's address and port, one frozen object per destination (open results share it). */
function endpointOf(dest: SimDestination): { address: string; port: number } {
  dest.endpoint ??= Object.freeze({ address: dest.address, port: dest.port });
  return dest.endpoint;
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
