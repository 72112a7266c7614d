import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@lvsfleet/devfleet";
import { ExecRunner, LinuxHostDriver, writeSysctl } from "@lvsfleet/hostops";
import { AgentClient } from "@lvsfleet/rpc";

/**
 * A network of namespaces standing in for hosts: a client, two directors, real servers with
 * tiny web servers, joined by a bridge that lives in its own namespace (which also routes
 * between the two subnets, as a site's router would). Nothing is created in the host's own
 * namespace; every name carries this run's prefix (with the owning pid, so that a later run
 * can sweep what a killed one left behind), and teardown happens on failure and on signals.
 *
 *   198.18.1.0/24  client .10, directors .2/.3, VIP .100, router .1
 *   198.18.0.0/24  directors .2/.3, real servers .11/.12/…, router .1 (the real servers' default route)
 */

const run = promisify(execFile);
// From the repository root, so that a bundle of this file (bench/failover) finds them too.
const ROOT = `${repoRoot()}/`;
const PROGRAMS = join(ROOT, "test", "lab", "programs");

export const VIP = "198.18.1.100";
export const CLIENT_NET = "198.18.1";
export const SERVER_NET = "198.18.0";

export interface LabHost {
  /** client, dir1, dir2, rs1… */
  name: string;
  /** The network namespace that is this host. */
  ns: string;
  /** The address on the server network (client: on the client network). */
  address: string;
  mac: string;
}

export interface LabAgent {
  host: LabHost;
  client: AgentClient;
  pid: number;
  stop(): Promise<void>;
}

export interface BurstResult {
  counts: Record<string, number>;
  failures: number;
  errors: Record<string, number>;
  ms: number;
  rps: number;
}

export interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
}

const labs = new Set<Lab>();
let handlersInstalled = false;

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const lab of labs) lab.teardownSync();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", () => {
    for (const lab of labs) lab.teardownSync();
  });
}

/** Removes namespaces of lab runs whose process is gone (a killed test run). */
export async function sweepLeftovers(): Promise<string[]> {
  const { stdout } = await run("node", [join(PROGRAMS, "sweep.mjs")]);
  return (JSON.parse(stdout) as { removed: string[] }).removed;
}

export class Lab {
  readonly prefix = `lvslab${process.pid}x${randomBytes(2).toString("hex")}`;
  /** Named after the run, so that sweep.mjs can remove it after a killed run. */
  readonly dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
  readonly hosts = new Map<string, LabHost>();
  private readonly namespaces: string[] = [];
  private readonly children: Child[] = [];
  private tornDown = false;

  private constructor() {}

  /** Builds the network: namespaces, veths on the bridge, addresses, routes, the router. */
  static async build(options: { realServers?: number } = {}): Promise<Lab> {
    installSignalHandlers();
    await sweepLeftovers();
    const lab = new Lab();
    labs.add(lab);
    try {
      await lab.create(options.realServers ?? 2);
    } catch (error) {
      await lab.teardown();
      throw error;
    }
    return lab;
  }

  private nsOf(name: string): string {
    return `${this.prefix}-${name}`;
  }

  private async ip(...args: string[]): Promise<string> {
    try {
      return (await run("ip", args)).stdout;
    } catch (error) {
      throw new Error(
        `ip ${args.join(" ")}: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
      );
    }
  }

  private async addNamespace(name: string): Promise<string> {
    const ns = this.nsOf(name);
    await this.ip("netns", "add", ns);
    this.namespaces.push(ns);
    await this.ip("-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  private async create(realServers: number): Promise<void> {
    const sw = await this.addNamespace("sw");
    await this.ip("-n", sw, "link", "add", "br0", "type", "bridge");
    await this.ip("-n", sw, "link", "set", "br0", "up");
    await this.ip("-n", sw, "addr", "add", `${SERVER_NET}.1/24`, "dev", "br0");
    await this.ip("-n", sw, "addr", "add", `${CLIENT_NET}.1/24`, "dev", "br0");
    const router = new ExecRunner({ netns: sw });
    await writeSysctl(router, "net.ipv4.ip_forward", "1");
    await writeSysctl(router, "net.ipv4.conf.all.send_redirects", "0");
    await writeSysctl(router, "net.ipv4.conf.br0.send_redirects", "0");

    const plan: { name: string; addresses: string[]; gateway: string }[] = [
      { name: "client", addresses: [`${CLIENT_NET}.10/24`], gateway: `${CLIENT_NET}.1` },
      { name: "dir1", addresses: [`${SERVER_NET}.2/24`, `${CLIENT_NET}.2/24`], gateway: `${SERVER_NET}.1` },
      { name: "dir2", addresses: [`${SERVER_NET}.3/24`, `${CLIENT_NET}.3/24`], gateway: `${SERVER_NET}.1` },
      ...Array.from({ length: realServers }, (_, i) => ({
        name: `rs${i + 1}`,
        addresses: [`${SERVER_NET}.${11 + i}/24`],
        gateway: `${SERVER_NET}.1`,
      })),
    ];
    await Promise.all(
      plan.map(async ({ name, addresses, gateway }) => {
        const ns = await this.addNamespace(name);
        // The veth is created inside the bridge's namespace with its peer inside the host's: never in ours.
        await this.ip("-n", sw, "link", "add", `v-${name}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await this.ip("-n", sw, "link", "set", `v-${name}`, "master", "br0", "up");
        await this.ip("-n", ns, "link", "set", "eth0", "up");
        for (const address of addresses) await this.ip("-n", ns, "addr", "add", address, "dev", "eth0");
        await this.ip("-n", ns, "route", "add", "default", "via", gateway);
        const links = JSON.parse(await this.ip("-n", ns, "-j", "link", "show", "eth0")) as { address: string }[];
        this.hosts.set(name, {
          name,
          ns,
          address: (addresses[0] ?? "").split("/")[0] ?? "",
          mac: links[0]?.address ?? "",
        });
      }),
    );
  }

  host(name: string): LabHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no lab host ${name}`);
    return host;
  }

  get realServers(): LabHost[] {
    return [...this.hosts.values()].filter((h) => h.name.startsWith("rs")).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** hostops aimed at a lab host: what the host really has, read independently of its agent. */
  linux(name: string): LinuxHostDriver {
    return new LinuxHostDriver(new ExecRunner({ netns: this.host(name).ns }));
  }

  runner(name: string): ExecRunner {
    return new ExecRunner({ netns: this.host(name).ns });
  }

  /** The environment of every process the lab starts: LVSLAB_RUN lets sweep.mjs find them after a killed run. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, LVSLAB_RUN: this.prefix };
  }

  /**
   * Starts a program inside a host's namespace — or, with `name` undefined, in the machine's own
   * namespace (for programs that only use loopback: Redis, the server, relays) — and waits for its
   * first JSON line (`{"ready":true,…}`) unless `ready` is false. Its stderr and, after that line,
   * its stdout are kept for failure messages.
   */
  async spawnProgram(
    name: string | undefined,
    label: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; ready?: boolean } = {},
  ): Promise<{ child: Child; ready: Record<string, unknown> }> {
    const [file, argv] =
      name === undefined ? [command, args] : ["ip", ["netns", "exec", this.host(name).ns, command, ...args]];
    const process = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"], cwd: ROOT, env: this.env(options.env) });
    const child: Child = { name: `${label}@${name ?? "loopback"}`, process, output: [] };
    this.children.push(child);
    const keep = (d: Buffer) => {
      child.output.push(d.toString());
      if (child.output.length > 200) child.output.splice(0, 100);
    };
    process.stderr?.on("data", keep);
    if (options.ready === false) {
      process.stdout?.on("data", keep);
      return { child, ready: {} };
    }
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buffer = "";
      const timer = setTimeout(
        () => reject(new Error(`${child.name} not ready in 20 s: ${child.output.join("").slice(-2000)}`)),
        20_000,
      );
      const onData = (d: Buffer) => {
        buffer += d.toString();
        const line = buffer.split("\n").find((l) => l.startsWith("{") && l.includes('"ready":true'));
        if (line) {
          clearTimeout(timer);
          process.stdout?.off("data", onData);
          process.stdout?.on("data", keep);
          resolve(JSON.parse(line));
        }
      };
      process.stdout?.on("data", onData);
      process.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${child.name} exited (${code}) before it was ready: ${child.output.join("").slice(-2000)}`));
      });
    });
    return { child, ready };
  }

  /** Stops one process the lab started (SIGTERM, SIGKILL after 3 s). */
  async stopProgram(child: Child): Promise<void> {
    await this.stopChild(child);
  }

  /** A web server on port 80 of a real server that answers with the host's name. */
  async startWebServer(name: string): Promise<void> {
    await this.spawnProgram(name, "http", "node", [join(PROGRAMS, "http-server.mjs"), name]);
  }

  /**
   * Starts the real agent program (agents/<role>/dist/main.js, built by scripts/build.mjs) inside
   * the host's namespace, and a gRPC client that reaches it through a Unix-socket relay.
   */
  async startAgent(
    name: string,
    role: "director" | "realserver",
    driver: string,
    extraArgs: readonly string[] = [],
  ): Promise<LabAgent> {
    const host = this.host(name);
    const program = join(ROOT, "agents", role, "dist", "main.js");
    // The lab speaks plaintext gRPC through its relays; agents built with TLS support must be told so.
    const insecure = readFileSync(program, "utf8").includes("--insecure") ? ["--insecure"] : [];
    const { child, ready } = await this.spawnProgram(name, "agent", "node", [
      program,
      ...insecure,
      "--host",
      name,
      "--driver",
      driver,
      "--interface",
      "eth0",
      "--listen",
      "127.0.0.1:0",
      "--state-dir",
      join(this.dir, name),
      "--log-level",
      "warn",
      ...extraArgs,
    ]);
    const port = String(ready.endpoint ?? "")
      .split(":")
      .at(-1);
    const socket = join(this.dir, `${name}.sock`);
    const relay = await this.spawnProgram(name, "relay", "node", [join(PROGRAMS, "relay.mjs"), socket, port ?? "0"]);
    const client = new AgentClient({ host: name, endpoint: `unix:${socket}`, deadlineMs: 15_000 });
    const stop = async () => {
      client.close();
      await this.stopChild(relay.child);
      await this.stopChild(child);
    };
    return { host, client, pid: child.process.pid ?? 0, stop };
  }

  private async stopChild(child: Child): Promise<void> {
    const p = child.process;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }

  /** N requests from the client to the VIP, each on a new connection. */
  async burst(requests: number, concurrency = 1, url = `http://${VIP}/`): Promise<BurstResult> {
    const { stdout } = await run(
      "ip",
      [
        "netns",
        "exec",
        this.host("client").ns,
        "node",
        join(PROGRAMS, "load.mjs"),
        "burst",
        url,
        String(requests),
        String(concurrency),
      ],
      { timeout: 120_000 },
    );
    return JSON.parse(stdout) as BurstResult;
  }

  /**
   * One keep-alive connection from the client, opened until `target` answers it (if given).
   * `next()` sends one more request on that same connection and says who answered.
   */
  async keepConnection(
    target?: string,
    url = `http://${VIP}/`,
  ): Promise<{ first: string; port: number; next(): Promise<string>; close(): Promise<void> }> {
    const { child, ready: _ } = await this.spawnKeep(url, target);
    const lines: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    let buffer = "";
    child.process.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString();
      let index = buffer.indexOf("\n");
      while (index >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 1);
        const waiter = waiters.shift();
        if (waiter) waiter(line);
        else lines.push(line);
        index = buffer.indexOf("\n");
      }
    });
    const nextLine = () =>
      new Promise<string>((resolve, reject) => {
        const queued = lines.shift();
        if (queued !== undefined) return resolve(queued);
        const timer = setTimeout(() => reject(new Error("no answer on the kept connection in 10 s")), 10_000);
        waiters.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
    const first = JSON.parse(await nextLine()) as { first: string; port: number };
    return {
      first: first.first,
      port: first.port,
      next: async () => {
        child.process.stdin?.write("next\n");
        const answer = JSON.parse(await nextLine()) as { next?: string; error?: string };
        if (answer.error) throw new Error(`request on the kept connection failed: ${answer.error}`);
        return answer.next ?? "";
      },
      close: async () => {
        child.process.stdin?.end();
        await this.stopChild(child);
      },
    };
  }

  private async spawnKeep(url: string, target?: string): Promise<{ child: Child; ready: undefined }> {
    const process = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.host("client").ns,
        "node",
        join(PROGRAMS, "load.mjs"),
        "keep",
        url,
        ...(target ? [target] : []),
      ],
      { stdio: ["pipe", "pipe", "pipe"], env: this.env() },
    );
    const child: Child = { name: "keep@client", process, output: [] };
    process.stderr?.on("data", (d: Buffer) => child.output.push(d.toString()));
    this.children.push(child);
    return { child, ready: undefined };
  }

  /** MAC addresses that answer ARP for an address, as arping from the client sees them. */
  async arpAnswers(address = VIP, count = 3): Promise<string[]> {
    const { stdout } = await run(
      "ip",
      [
        "netns",
        "exec",
        this.host("client").ns,
        "arping",
        "-r",
        "-W",
        "0.3",
        "-c",
        String(count),
        "-i",
        "eth0",
        address,
      ],
      {
        timeout: 20_000,
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
    return [
      ...new Set(
        stdout
          .split("\n")
          .map((l) => l.trim().toLowerCase())
          .filter((l) => /^[0-9a-f:]{17}$/.test(l)),
      ),
    ].sort();
  }

  /** Forgets the client's ARP entries (what a gratuitous ARP from a new VIP holder achieves). */
  async flushClientNeighbours(): Promise<void> {
    await this.ip("-n", this.host("client").ns, "neigh", "flush", "dev", "eth0");
  }

  /** Stops every process the lab started, deletes its namespaces and files. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    for (const child of [...this.children].reverse()) await this.stopChild(child).catch(() => undefined);
    this.teardownSync();
  }

  /** The same, synchronously: for signal and exit handlers. */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    labs.delete(this);
    for (const child of this.children)
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    try {
      execFileSync("node", [join(PROGRAMS, "sweep.mjs"), "--prefix", this.prefix], { stdio: "ignore" });
    } catch {}
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** What each child said on stderr (for failure messages). */
  logs(): string {
    return this.children.map((c) => `--- ${c.name}\n${c.output.join("").slice(-3000)}`).join("\n");
  }
}
