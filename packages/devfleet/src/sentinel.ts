import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.ts";
import { findRedisServer } from "./redis.ts";

/** The master group's name the sentinels monitor. */
export const DEMO_MASTER_NAME = "mymaster";

export interface RedisNodeProcess {
  name: string;
  kind: "redis" | "sentinel";
  port: number;
  pid: number;
  child: ChildProcess;
}

/**
 * A Redis master, one replica and three sentinels, each a private process on a free loopback port
 * with its own directory under `dataDir` (the installed redis-server runs as a sentinel with
 * `--sentinel`). Sentinel sees a dead master after `downAfterMs` and promotes the replica. The demo
 * runs it (LVSFLEET_DEMO_SENTINEL=1), and so do the Sentinel and fail-over tests.
 */
export interface SentinelRedis {
  /** REDIS_URL for the servers: redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/mymaster */
  url: string;
  master: RedisNodeProcess;
  replica: RedisNodeProcess;
  sentinels: RedisNodeProcess[];
  /** Every process started so far, in order (a restarted node's new process too). */
  processes: RedisNodeProcess[];
  /** What the sentinels report as the master now: its port. */
  currentMasterPort(): Promise<number>;
  /**
   * Starts a killed data node again on its port, directory and arguments (as a process supervisor
   * would): as a master (a former master comes back as one, and the sentinels turn it into a replica
   * of the one they promoted, after some seconds), or with `replicaOf` as a replica of that port at
   * once. The new process is returned (and stopped with the others).
   */
  restart(node: RedisNodeProcess, options?: { replicaOf?: number }): Promise<RedisNodeProcess>;
  /** Stops everything it started, by PID: the sentinels first (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Kills everything it started at once (SIGKILL, by PID). */
  kill(): Promise<void>;
}

export interface SentinelRedisOptions {
  /** Each node's directory goes under it; emptied first (a sentinel's configuration names old ports). */
  dataDir: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** min-replicas-to-write on the master (the replica, once promoted, has none to wait for). */
  minReplicasToWrite?: number;
  /** The data nodes' names (their directories, and `name` in processes). */
  names?: { master: string; replica: string };
}

/** One command to a node on loopback, on a connection of its own that does not retry. */
export async function askRedisNode(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await redis.call(command, ...args);
  } finally {
    redis.disconnect();
  }
}

/** The fields of `INFO replication` on a node. */
export async function replicationInfo(port: number): Promise<Record<string, string>> {
  const text = String(await askRedisNode(port, "INFO", "replication"));
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]),
  );
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, processes: RedisNodeProcess[]) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => exited(p.child));
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (exited(child)) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The arguments without a `--replicaof host port`. */
function withoutReplicaOf(args: readonly string[]): string[] {
  return args.filter(
    (_, i, all) => all[i] !== "--replicaof" && all[i - 1] !== "--replicaof" && all[i - 2] !== "--replicaof",
  );
}

export async function startSentinelRedis(options: SentinelRedisOptions): Promise<SentinelRedis> {
  const binary = findRedisServer();
  if (!binary)
    throw new Error("redis-server is not installed: apt-get install -y redis-server (it also runs the sentinels)");
  const names = options.names ?? { master: "redis-master", replica: "redis-replica" };
  rmSync(options.dataDir, { recursive: true, force: true });
  const processes: RedisNodeProcess[] = [];
  const argsOf = new Map<string, string[]>();
  const stop = async () => {
    // sentinels first, so they do not promote the replica while the master goes down
    const sentinels = processes.filter((p) => p.kind === "sentinel");
    await Promise.all(sentinels.map((p) => stopProcess(p.child, "SIGTERM", 3_000)));
    await Promise.all(processes.filter((p) => p.kind === "redis").map((p) => stopProcess(p.child, "SIGTERM", 5_000)));
  };
  const kill = async () => {
    await Promise.all(processes.map((p) => stopProcess(p.child, "SIGKILL", 0)));
  };
  const launch = async (
    name: string,
    kind: RedisNodeProcess["kind"],
    args: string[],
    samePort?: number,
  ): Promise<RedisNodeProcess> => {
    const home = join(options.dataDir, name);
    mkdirSync(home, { recursive: true });
    argsOf.set(name, args);
    const port = samePort ?? (await freePort());
    const common = ["--bind", "127.0.0.1", "--port", String(port), "--dir", home, "--logfile", join(home, "log")];
    let argv: string[];
    if (kind === "sentinel") {
      // A sentinel rewrites its configuration file: it must have one of its own (`args` are its lines).
      const conf = join(home, "sentinel.conf");
      writeFileSync(conf, `${args.join("\n")}\n`);
      argv = [conf, "--sentinel", ...common];
    } else argv = [...common, ...args];
    const child = spawn(binary, argv, { stdio: "ignore" });
    const node = { name, kind, port, pid: child.pid ?? -1, child };
    processes.push(node);
    return node;
  };
  try {
    const downAfter = String(options.downAfterMs ?? 1_000);
    const failoverTimeout = String(options.failoverTimeoutMs ?? 3_000);
    // A replica that (re)joins is sent the data set at once (Redis waits 5 s by default for more to join).
    const persistence = [
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--repl-diskless-sync-delay",
      "0",
    ];
    const master = await launch(names.master, "redis", [
      ...persistence,
      ...(options.minReplicasToWrite ? ["--min-replicas-to-write", String(options.minReplicasToWrite)] : []),
      "--min-replicas-max-lag",
      "10",
    ]);
    const replica = await launch(names.replica, "redis", [
      ...persistence,
      "--replicaof",
      "127.0.0.1",
      String(master.port),
    ]);
    await until(
      "waiting for the replica to be in sync with the master",
      async () => (await replicationInfo(replica.port)).master_link_status === "up",
      15_000,
      processes,
    );
    const sentinels: RedisNodeProcess[] = [];
    for (let i = 1; i <= 3; i++)
      sentinels.push(
        await launch(`sentinel-${i}`, "sentinel", [
          `sentinel monitor ${DEMO_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${DEMO_MASTER_NAME} ${downAfter}`,
          `sentinel failover-timeout ${DEMO_MASTER_NAME} ${failoverTimeout}`,
        ]),
      );
    // Each sentinel must know the replica and the two others before a fail-over can be authorized.
    for (const sentinel of sentinels)
      await until(
        `waiting for ${sentinel.name} to see the replica and a quorum of sentinels`,
        async () =>
          String(await askRedisNode(sentinel.port, "SENTINEL", "CKQUORUM", DEMO_MASTER_NAME)).startsWith(
            "OK 3 usable",
          ) &&
          ((await askRedisNode(sentinel.port, "SENTINEL", "REPLICAS", DEMO_MASTER_NAME)) as unknown[]).length === 1,
        20_000,
        processes,
      );
    return {
      url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${DEMO_MASTER_NAME}`,
      master,
      replica,
      sentinels,
      processes,
      async currentMasterPort() {
        for (const sentinel of sentinels) {
          if (exited(sentinel.child)) continue;
          const answer = (await askRedisNode(
            sentinel.port,
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            DEMO_MASTER_NAME,
          )) as string[];
          return Number(answer[1]);
        }
        throw new Error("no sentinel is running");
      },
      async restart(node, restartOptions = {}) {
        if (node.kind !== "redis") throw new Error("only data nodes are restarted");
        if (!exited(node.child)) throw new Error(`${node.name} is running`);
        const args = withoutReplicaOf(argsOf.get(node.name) ?? []);
        if (restartOptions.replicaOf) args.push("--replicaof", "127.0.0.1", String(restartOptions.replicaOf));
        const again = await launch(node.name, "redis", args, node.port);
        await until(
          `waiting for ${node.name} to answer again`,
          async () => (await askRedisNode(again.port, "PING")) === "PONG",
          15_000,
          [again],
        );
        return again;
      },
      stop,
      kill,
    };
  } catch (error) {
    await kill();
    throw error;
  }
}
