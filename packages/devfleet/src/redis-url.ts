/**
 * REDIS_URL as devfleet reads it, in the forms the server accepts (server/src/store/redis-connection.ts,
 * which devfleet must not import: the server depends on nothing of devfleet's and the reverse holds too):
 * - `redis://[user:pass@]host[:6379][/db]`, `rediss://…`: one Redis;
 * - `redis+sentinel://[user:pass@]host:26379,host:26380,host:26381/mymaster[?db=N&sentinelPassword=…]`
 *   (`rediss+sentinel://` for TLS): the sentinels that know the master of `mymaster`.
 * devfleet only needs where to knock (is a Redis there? which port to start one on?); the server
 * checks every option and refuses what it does not know.
 */
export interface SentinelAddress {
  host: string;
  port: number;
}

export type DevRedisTarget =
  | { kind: "single"; host: string; port: number; tls: boolean }
  | {
      kind: "sentinel";
      sentinels: SentinelAddress[];
      name: string;
      tls: boolean;
      username?: string;
      password?: string;
      sentinelPassword?: string;
    };

const DEFAULT_REDIS_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** Reads a REDIS_URL; throws an Error naming the reason (never the URL: it may hold a password). */
export function parseDevRedisUrl(url: string): DevRedisTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === "redis" || scheme === "rediss") {
    let parsed: URL;
    try {
      parsed = new URL(`${scheme}${url.slice(scheme.length)}`);
    } catch {
      throw new Error(`REDIS_URL: not a valid ${scheme}:// URL (redis://[user:password@]host:port)`);
    }
    return {
      kind: "single",
      host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
      port: Number(parsed.port || DEFAULT_REDIS_PORT),
      tls: scheme === "rediss",
    };
  }
  if (scheme !== "redis+sentinel" && scheme !== "rediss+sentinel")
    throw new Error(
      `REDIS_URL: unknown scheme ${scheme === undefined ? "(none)" : `${scheme}://`} (redis://, rediss://, redis+sentinel:// or rediss+sentinel:// expected)`,
    );
  const rest = url.slice(scheme.length + 3);
  const queryAt = rest.indexOf("?");
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const slash = beforeQuery.indexOf("/");
  if (slash === -1)
    throw new Error("REDIS_URL: the Sentinel form needs the master's name: redis+sentinel://host:26379,…/mymaster");
  const name = decodeURIComponent(beforeQuery.slice(slash + 1));
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new Error("REDIS_URL: the master's name (the path) must be one name of letters, digits, . _ or -");
  const authority = beforeQuery.slice(0, slash);
  const at = authority.lastIndexOf("@");
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  if (hostList === "") throw new Error("REDIS_URL: the Sentinel form needs at least one sentinel host:port");
  const sentinels = hostList.split(",").map(sentinelAddress);
  const target: DevRedisTarget = { kind: "sentinel", sentinels, name, tls: scheme === "rediss+sentinel" };
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(":");
    const username = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
    const password = colon === -1 ? "" : decodeURIComponent(userInfo.slice(colon + 1));
    if (username) target.username = username;
    if (password) target.password = password;
  }
  const sentinelPassword = new URLSearchParams(queryAt === -1 ? "" : rest.slice(queryAt + 1)).get("sentinelPassword");
  if (sentinelPassword) target.sentinelPassword = sentinelPassword;
  return target;
}

function sentinelAddress(entry: string, index: number): SentinelAddress {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : entry.includes(":")
      ? [entry.slice(0, entry.lastIndexOf(":")), entry.slice(entry.lastIndexOf(":") + 1)]
      : [entry, undefined];
  const number = port === undefined || port === "" ? DEFAULT_SENTINEL_PORT : Number(port);
  if (host === "") throw new Error(`REDIS_URL: sentinel ${index + 1} has no host`);
  if (!Number.isInteger(number) || number < 1 || number > 65_535)
    throw new Error(`REDIS_URL: sentinel ${index + 1} (${entry}): the port must be a number from 1 to 65535`);
  return { host, port: number };
}

/** REDIS_URL as it may be printed: a password in it replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@?#]*?:)[^/@?#]*@/, "$1***@");
}
