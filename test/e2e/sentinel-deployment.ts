import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRedisServer, freePort } from "@lvsfleet/devfleet";
import { Redis } from "ioredis";

/** The master group's name the sentinels monitor. */
export const MASTER_NAME = "mymaster";

export interface RedisProcess {
  name: string;
  kind: "redis" | "sentinel";
  port: number;
  child: ChildProcess;
}

/**
 * A Redis master, one replica (`--replicaof`) and three sentinels, each a private process on a
 * free loopback port with its own directory (the installed redis-server runs as a sentinel with
 * `--sentinel`). Sentinel notices a dead master after `downAfterMs` and promotes the replica.
 */
export interface SentinelDeployment {
  /** REDIS_URL for the server: redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/mymaster */
  url: string;
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  dir: string;
  /** What the sentinels report as the master now: its port. */
  currentMasterPort(): Promise<number>;
  /** Every process started so far (a restarted node's new process too). */
  nodes(): RedisProcess[];
  /**
   * Starts a killed data node again on its port, directory and arguments (as a process supervisor
   * would): as a master (a former master comes back as one, and the sentinels turn it into a replica
   * of the one they promoted, after some seconds), or with `replicaOf` as a replica of that port at
   * once. The new process is returned (and stopped by stop()).
   */
  restart(node: RedisProcess, options?: { replicaOf?: number }): Promise<RedisProcess>;
  /** Stops everything it started (SIGKILL, by PID) and removes the directories. */
  stop(): Promise<void>;
}

/** One command to a node on loopback, on a connection of its own that does not retry. */
export async function ask(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
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
  const text = String(await ask(port, "INFO", "replication"));
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]),
  );
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, processes: RedisProcess[]) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead)
      throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting: ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startSentinelDeployment(
  options: {
    downAfterMs?: number;
    failoverTimeoutMs?: number;
    /** min-replicas-to-write on the master (the replica, once promoted, has none to wait for). */
    minReplicasToWrite?: number;
  } = {},
): Promise<SentinelDeployment> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed: apt-get install -y redis-server");
  const dir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-sentinel-"));
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
            p.child.once("exit", () => resolve());
            p.child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const argsOf = new Map<string, string[]>();
  const launch = async (
    name: string,
    kind: RedisProcess["kind"],
    args: string[],
    samePort?: number,
  ): Promise<RedisProcess> => {
    const home = join(dir, name);
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
    const handle = { name, kind, port, child };
    processes.push(handle);
    return handle;
  };
  try {
    const downAfter = String(options.downAfterMs ?? 500);
    const failoverTimeout = String(options.failoverTimeoutMs ?? 2_000);
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
    const master = await launch("master", "redis", [
      ...persistence,
      ...(options.minReplicasToWrite ? ["--min-replicas-to-write", String(options.minReplicasToWrite)] : []),
      "--min-replicas-max-lag",
      "10",
    ]);
    const replica = await launch("replica", "redis", [...persistence, "--replicaof", "127.0.0.1", String(master.port)]);
    await until(
      "the replica is in sync with the master",
      async () => (await replicationInfo(replica.port)).master_link_status === "up",
      15_000,
      processes,
    );
    const sentinels: RedisProcess[] = [];
    for (let i = 1; i <= 3; i++)
      sentinels.push(
        await launch(`sentinel-${i}`, "sentinel", [
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfter}`,
          `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeout}`,
        ]),
      );
    // Each sentinel must know the replica and the two others before a fail-over can be authorized.
    for (const sentinel of sentinels)
      await until(
        `${sentinel.name} sees the replica and a quorum of sentinels`,
        async () =>
          String(await ask(sentinel.port, "SENTINEL", "CKQUORUM", MASTER_NAME)).startsWith("OK 3 usable") &&
          ((await ask(sentinel.port, "SENTINEL", "REPLICAS", MASTER_NAME)) as unknown[]).length === 1,
        20_000,
        processes,
      );
    const deployment: SentinelDeployment = {
      url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${MASTER_NAME}`,
      master,
      replica,
      sentinels,
      dir,
      async currentMasterPort() {
        for (const sentinel of sentinels) {
          if (sentinel.child.exitCode !== null || sentinel.child.signalCode !== null) continue;
          const answer = (await ask(sentinel.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[];
          return Number(answer[1]);
        }
        throw new Error("no sentinel is running");
      },
      nodes: () => [...processes],
      async restart(node, restartOptions = {}) {
        if (node.kind !== "redis") throw new Error("only data nodes are restarted");
        if (node.child.exitCode === null && node.child.signalCode === null) throw new Error(`${node.name} is running`);
        const args = (argsOf.get(node.name) ?? []).filter(
          (_, i, all) => all[i] !== "--replicaof" && all[i - 1] !== "--replicaof" && all[i - 2] !== "--replicaof",
        );
        if (restartOptions.replicaOf) args.push("--replicaof", "127.0.0.1", String(restartOptions.replicaOf));
        const again = await launch(node.name, "redis", args, node.port);
        await until(`${node.name} answers again`, async () => (await ask(again.port, "PING")) === "PONG", 15_000, [
          again,
        ]);
        return again;
      },
      stop,
    };
    return deployment;
  } catch (error) {
    await stop();
    throw error;
  }
}
