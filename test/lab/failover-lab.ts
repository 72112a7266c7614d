import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { repoRoot } from "@lvsfleet/devfleet";
import type { Lab } from "./lab.ts";

/**
 * Instruments for the fail-over tests and the fail-over benchmark: steady client traffic with every
 * request's fate, the VIP's holders over time read from the directors' own netlink events, the
 * client's ARP entry, the webhook's messages, and keepalived's pids.
 */

// From the repository root, so that the bundled bench/failover finds them too.
const PROGRAMS = join(repoRoot(), "test", "lab", "programs");

/** One request of the ticker: when it was sent, and who answered or why it failed. */
export interface Tick {
  t: number;
  ms: number;
  server?: string;
  error?: string;
}

/** A request from the client every `intervalMs` on a new connection (programs/ticker.mjs). */
export class Traffic {
  readonly ticks: Tick[] = [];

  private constructor(private readonly child: ChildProcess) {}

  static async start(lab: Lab, url: string, intervalMs = 20, timeoutMs = 1_000): Promise<Traffic> {
    const { child } = await lab.spawnProgram("client", "ticker", "node", [
      join(PROGRAMS, "ticker.mjs"),
      url,
      String(intervalMs),
      String(timeoutMs),
    ]);
    const traffic = new Traffic(child.process);
    let buffer = "";
    child.process.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString();
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.startsWith("{")) {
          const tick = JSON.parse(line) as Tick & { ready?: boolean };
          if (!tick.ready) traffic.ticks.push(tick);
        }
        end = buffer.indexOf("\n");
      }
    });
    return traffic;
  }

  /** Requests sent in [from, to). */
  between(from: number, to = Number.POSITIVE_INFINITY): Tick[] {
    return this.ticks.filter((t) => t.t >= from && t.t < to);
  }

  /** Waits until every request sent before `time` has ended. */
  async settle(time: number, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const last = this.ticks.at(-1);
      if (last && last.t >= time) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    this.child.kill("SIGTERM");
  }
}

/** When (ms since the epoch) a director started and stopped holding an address, from `ip monitor`. */
export class AddressWatch {
  readonly changes: { t: number; held: boolean }[] = [];
  private readonly child: ChildProcess;
  private held: boolean;

  constructor(ns: string, address: string, initiallyHeld: boolean) {
    this.held = initiallyHeld;
    this.changes.push({ t: Date.now(), held: initiallyHeld });
    this.child = spawn("ip", ["-n", ns, "-o", "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
    let buffer = "";
    this.child.stdout?.on("data", (d: Buffer) => {
      const now = Date.now();
      buffer += d.toString();
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.includes(` ${address}/`)) {
          const held = !line.startsWith("Deleted");
          if (held !== this.held) {
            this.held = held;
            this.changes.push({ t: now, held });
          }
        }
        end = buffer.indexOf("\n");
      }
    });
  }

  holds(): boolean {
    return this.held;
  }

  /** The first time at or after `from` when it held (or let go of) the address. */
  firstAfter(from: number, held: boolean): number | undefined {
    return this.changes.find((c) => c.t >= from && c.held === held)?.t;
  }

  /** Intervals during which it held the address, clipped to [from, to]. */
  heldIntervals(from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    let start: number | undefined;
    let state = false;
    for (const c of this.changes) {
      if (c.t <= from) {
        state = c.held;
        continue;
      }
      if (c.t > to) break;
      if (c.held && !state) start = c.t;
      if (!c.held && state) out.push([start ?? from, c.t]);
      state = c.held;
      if (!c.held) start = undefined;
    }
    if (state) out.push([start ?? from, to]);
    return out;
  }

  stop(): void {
    this.child.kill();
  }
}

/** How long two directors both held the VIP in [from, to]. */
export function overlapMs(a: AddressWatch, b: AddressWatch, from: number, to: number): number {
  let total = 0;
  for (const [a0, a1] of a.heldIntervals(from, to))
    for (const [b0, b1] of b.heldIntervals(from, to)) total += Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  return total;
}

/** An HTTP server on 127.0.0.1 standing in for the chat's incoming webhook; keeps every message. */
export async function webhookCapture(): Promise<{
  url: string;
  messages: { t: number; text: string }[];
  waitFor(pattern: RegExp, since?: number, timeoutMs?: number): Promise<{ t: number; text: string }>;
  close(): void;
}> {
  const messages: { t: number; text: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const t = Date.now();
      for (const text of String((JSON.parse(body) as { text?: string }).text ?? "").split("\n"))
        messages.push({ t, text });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/lab-hook`,
    messages,
    async waitFor(pattern, since = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.t >= since && pattern.test(m.text));
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `no webhook message matching ${pattern} in ${timeoutMs} ms; got:\n${messages.map((m) => m.text).join("\n")}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => server.close(),
  };
}

/**
 * The pids of a director agent's keepalived from its pid files: the VRRP child first, then the
 * parent. Killed in this order, it is a crash: a parent killed first has its child told (it sends
 * priority 0 and removes its VIPs, a clean stop).
 */
export function keepalivedPids(stateDir: string): number[] {
  return ["vrrp.pid", "keepalived.pid"].flatMap((file) => {
    try {
      const pid = Number(readFileSync(join(stateDir, "keepalived", file), "utf8").trim());
      return Number.isInteger(pid) && pid > 1 ? [pid] : [];
    } catch {
      return [];
    }
  });
}

/** Whether a process is alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** The client's neighbour entry for an address: the MAC it sends to, or undefined. */
export async function neighbourMac(lab: Lab, address: string): Promise<string | undefined> {
  const { stdout } = await lab.runner("client").run("ip", ["-j", "neigh", "show", address]);
  const entries = JSON.parse(stdout.trim() || "[]") as { lladdr?: string; state?: string[] }[];
  return entries.find((e) => e.lladdr && !(e.state ?? []).includes("FAILED"))?.lladdr;
}

export async function until<T>(
  what: string,
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  timeoutMs = 5_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** When the client's neighbour entry for an address changed MAC, from `ip monitor neigh` (a GARP lands here). */
export class NeighbourWatch {
  readonly changes: { t: number; mac: string }[] = [];
  private readonly child: ChildProcess;

  constructor(ns: string, address: string) {
    this.child = spawn("ip", ["-n", ns, "-o", "monitor", "neigh"], { stdio: ["ignore", "pipe", "ignore"] });
    let buffer = "";
    this.child.stdout?.on("data", (d: Buffer) => {
      const now = Date.now();
      buffer += d.toString();
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const mac = new RegExp(`^${address.replaceAll(".", "\\.")} .*lladdr ([0-9a-f:]{17})`).exec(line)?.[1];
        if (mac && mac !== this.changes.at(-1)?.mac) this.changes.push({ t: now, mac });
        end = buffer.indexOf("\n");
      }
    });
  }

  /** The first time at or after `from` the entry pointed at `mac`. */
  firstAfter(from: number, mac: string): number | undefined {
    return this.changes.find((c) => c.t >= from && c.mac === mac)?.t;
  }

  stop(): void {
    this.child.kill();
  }
}

/** Keep-alive connections held open through a fail-over (programs/held.mjs); which of them broke. */
export async function holdConnections(
  lab: Lab,
  url: string,
  count: number,
  intervalMs = 50,
): Promise<{ servers: string[]; stop(): Promise<{ requests: number; broken: number[] }> }> {
  const { child, ready } = await lab.spawnProgram("client", "held", "node", [
    join(PROGRAMS, "held.mjs"),
    url,
    String(count),
    String(intervalMs),
  ]);
  let buffer = "";
  let done: { requests: number; broken: number[] } | undefined;
  child.process.stdout?.on("data", (d: Buffer) => {
    buffer += d.toString();
    for (const line of buffer.split("\n"))
      if (line.includes('"done":true')) done = JSON.parse(line) as { requests: number; broken: number[] };
    buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
  });
  return {
    servers: ready.servers as string[],
    async stop() {
      child.process.kill("SIGTERM");
      await until("held connections report", () => done, Boolean, 5_000);
      return done as { requests: number; broken: number[] };
    },
  };
}
