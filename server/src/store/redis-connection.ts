import { Redis, type RedisOptions } from "ioredis";
import { z } from "zod";

/**
 * Where the server's Redis is, read from REDIS_URL:
 * - `redis://…`, `rediss://…` (and whatever else ioredis reads as a URL today): handed to ioredis as it is;
 * - `redis+sentinel://[user:pass@]host:26379,host:26380,host:26381/mymaster[?db=N&sentinelPassword=…]`
 *   (`rediss+sentinel://` for TLS to the data nodes): ioredis' Sentinel options — it asks the
 *   sentinels for the master of `mymaster`, and again after every fail-over.
 */
export type RedisTarget = { kind: "url"; url: string } | { kind: "sentinel"; options: SentinelOptions };

export type SentinelOptions = Pick<
  RedisOptions,
  | "sentinels"
  | "name"
  | "role"
  | "username"
  | "password"
  | "db"
  | "sentinelUsername"
  | "sentinelPassword"
  | "tls"
  | "enableTLSForSentinelMode"
  | "sentinelTLS"
  | "failoverDetector"
>;

export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const PLAIN_SCHEMES = new Set(["redis", "rediss"]);
const SENTINEL_SCHEMES = new Set(["redis+sentinel", "rediss+sentinel"]);
const DEFAULT_SENTINEL_PORT = 26379;

const Flag = z
  .enum(["true", "false", "1", "0"], { error: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

/** The query options of the Sentinel form; anything else is refused (a typo must not be ignored). */
const SentinelQuery = z.strictObject(
  {
    db: z.coerce.number({ error: "must be a number" }).int().min(0).max(65_535).optional(),
    /** The data nodes hold the data: lvsfleet writes, so only the master will do. */
    role: z.literal("master", { error: "must be master (lvsfleet writes; a replica cannot take writes)" }).optional(),
    sentinelUsername: z.string().min(1).optional(),
    sentinelPassword: z.string().min(1).optional(),
    /** TLS to the sentinels themselves (their `tls-port`). */
    sentinelTls: Flag.optional(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown option ${issue.keys.join(", ")}` : undefined) },
);

const SentinelHost = z.object({
  host: z.string().min(1, { error: "a sentinel needs a host" }),
  port: z.coerce.number({ error: "port must be a number" }).int().min(1).max(65_535),
});

/** Reads REDIS_URL; throws RedisUrlError with the reason (never the URL: it may hold a password). */
export function parseRedisUrl(url: string): RedisTarget {
  const written = SCHEME.exec(url)?.[1];
  const scheme = written?.toLowerCase();
  if (scheme === undefined) return { kind: "url", url };
  if (PLAIN_SCHEMES.has(scheme)) return { kind: "url", url: plainUrl(url, written!, scheme) };
  if (!SENTINEL_SCHEMES.has(scheme))
    throw new RedisUrlError(
      `unknown scheme ${scheme}:// (redis://, rediss://, redis+sentinel:// or rediss+sentinel:// expected)`,
    );
  return { kind: "sentinel", options: parseSentinel(url.slice(scheme.length + 3), scheme === "rediss+sentinel") };
}

/**
 * A redis:// or rediss:// URL as ioredis must get it: the scheme in lower case (ioredis turns TLS on
 * only for a lower-case `rediss://`, so `REDISS://` would silently connect in clear) and no query
 * options (ioredis copies each one into its options: `?tls=` would turn TLS off, `?password=` set one).
 */
function plainUrl(url: string, written: string, scheme: string): string {
  const rest = url.slice(written.length);
  if (rest.includes("?"))
    throw new RedisUrlError(
      `${scheme}:// takes no options after '?' (ioredis would take them as its own settings); put the database in the path: ${scheme}://host:6379/1`,
    );
  return scheme + rest;
}

function parseSentinel(rest: string, tls: boolean): SentinelOptions {
  const queryAt = rest.indexOf("?");
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? "" : rest.slice(queryAt + 1);
  const slash = beforeQuery.indexOf("/");
  if (slash === -1)
    throw new RedisUrlError("the Sentinel form needs the master's name: redis+sentinel://host:26379,…/mymaster");
  const authority = beforeQuery.slice(0, slash);
  const name = decode(beforeQuery.slice(slash + 1), "the master's name");
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new RedisUrlError(
      "the master's name (the path) must be one name of letters, digits, . _ or -, e.g. /mymaster",
    );
  const at = authority.lastIndexOf("@");
  const userInfo = at === -1 ? undefined : authority.slice(0, at);
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  if (hostList === "") throw new RedisUrlError("the Sentinel form needs at least one sentinel host:port");
  const sentinels = hostList.split(",").map((entry, i) => sentinelAddress(entry, i));
  const credentials = userInfo === undefined ? {} : parseUserInfo(userInfo);
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (key in params) throw new RedisUrlError(`option ${key} is given twice`);
    params[key] = value;
  }
  const checked = SentinelQuery.safeParse(params);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = issue.path.length > 0 ? `option ${String(issue.path[0])}: ` : "";
    throw new RedisUrlError(`${field}${issue.message}`);
  }
  const { db, sentinelUsername, sentinelPassword, sentinelTls } = checked.data;
  return {
    sentinels,
    name,
    role: "master",
    ...credentials,
    ...(db === undefined ? {} : { db }),
    ...(sentinelUsername === undefined ? {} : { sentinelUsername }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    // ioredis: TLS to the data nodes in Sentinel mode is `tls` with `enableTLSForSentinelMode`.
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    // rediss+sentinel: the sentinels in TLS too, unless sentinelTls=false says they have none (a
    // sentinel in clear could name any master, and would see sentinelPassword)
    ...((sentinelTls ?? tls) ? { sentinelTLS: {} } : {}),
    // Reconnect at once on the sentinels' +switch-master, not at the next failed command.
    failoverDetector: true,
  };
}

function sentinelAddress(entry: string, index: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : entry.includes(":")
      ? [entry.slice(0, entry.lastIndexOf(":")), entry.slice(entry.lastIndexOf(":") + 1)]
      : [entry, undefined];
  const checked = SentinelHost.safeParse({
    host,
    port: port === undefined || port === "" ? DEFAULT_SENTINEL_PORT : port,
  });
  if (!checked.success)
    throw new RedisUrlError(`sentinel ${index + 1} (${entry || "empty"}): ${checked.error.issues[0]!.message}`);
  return checked.data;
}

function parseUserInfo(userInfo: string): { username?: string; password?: string } {
  const colon = userInfo.indexOf(":");
  const username = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), "the user name");
  const password = colon === -1 ? undefined : decode(userInfo.slice(colon + 1), "the password");
  return {
    ...(username === "" ? {} : { username }),
    ...(password === undefined || password === "" ? {} : { password }),
  };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`${what} is not valid percent-encoding`);
  }
}

/** REDIS_URL checked at start (config.ts): the reason, or undefined when ioredis can use it. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof RedisUrlError) return error.message;
    throw error;
  }
}

/**
 * A connection to the server's Redis, whatever REDIS_URL's form, with the options a call site
 * needs (BullMQ's workers: `maxRetriesPerRequest: null`); the site's options win.
 */
export function redisConnection(url: string, options: RedisOptions = {}): Redis {
  const target = parseRedisUrl(url);
  return target.kind === "url"
    ? new Redis(target.url, options)
    : followFailovers(new Redis({ ...target.options, ...options }));
}

/** What ioredis rejects commands with once a connection has ended (its CONNECTION_CLOSED_ERROR_MSG). */
const CONNECTION_CLOSED = "Connection is closed.";

/**
 * A Sentinel connection that does not end in a fail-over. ioredis (6.0) ends a connection for good
 * when its connector is disconnected while it is still asking the sentinels for the master: the
 * failover detector does exactly that on `+switch-master`, and a reconnection already under way
 * (the master was killed) loses the race — the connection's status becomes `end`, and every later
 * command fails with "Connection is closed." (seen in test/ha: a server's writes answered 500 and
 * its worker's jobs failing after a master kill). Such a connection is connected again; one closed
 * on purpose (disconnect(), quit()) is not. Duplicates (BullMQ's blocking connections) get the same.
 */
function followFailovers(redis: Redis): Redis {
  let closing = false;
  let lostWhileConnecting = false;
  redis.on("error", (error: Error) => {
    if (redis.status === "connecting" && error.message === CONNECTION_CLOSED) lostWhileConnecting = true;
  });
  redis.on("end", () => {
    if (closing || !lostWhileConnecting) return;
    lostWhileConnecting = false;
    setImmediate(() => {
      if (!closing && redis.status === "end") redis.connect().catch(() => undefined);
    });
  });
  const disconnect = redis.disconnect.bind(redis);
  redis.disconnect = (reconnect?: boolean) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  const quit = redis.quit.bind(redis);
  redis.quit = ((...args: Parameters<Redis["quit"]>) => {
    closing = true;
    return quit(...args);
  }) as Redis["quit"];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = ((override?: Partial<RedisOptions>) => followFailovers(duplicate(override))) as Redis["duplicate"];
  return redis;
}
