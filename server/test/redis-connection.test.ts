import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ValidationError } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { parseRedisUrl, RedisUrlError, redisConnection } from "../src/store/redis-connection.ts";

const env = (REDIS_URL: string) => ({ REDIS_URL, LVSFLEET_API_TOKEN: "a-token-of-enough-length" });

function configError(url: string): string {
  try {
    loadConfig(env(url));
  } catch (error) {
    if (error instanceof ValidationError) return error.errors.map((e) => `${e.field}: ${e.message}`).join("\n");
    throw error;
  }
  throw new Error(`REDIS_URL accepted: ${url}`);
}

describe("REDIS_URL", () => {
  it("hands redis:// and rediss:// URLs (and host:port, a socket path) to ioredis as they are", () => {
    for (const url of [
      "redis://127.0.0.1:6379",
      "rediss://u:p@redis.example:6380/2",
      "/run/redis.sock",
      "127.0.0.1:6379",
    ])
      expect(parseRedisUrl(url)).toEqual({ kind: "url", url });
    // ioredis turns TLS on only for a lower-case rediss://: an upper-case one is handed over in lower case
    expect(parseRedisUrl("REDISS://:pw@h:6380")).toEqual({ kind: "url", url: "rediss://:pw@h:6380" });
  });

  it("rediss+sentinel:// talks TLS to the sentinels too, unless sentinelTls=false says they have none", () => {
    const tls = parseRedisUrl("rediss+sentinel://h:26379/mymaster");
    expect(tls.kind === "sentinel" && tls.options).toMatchObject({ tls: {}, sentinelTLS: {} });
    const clearSentinels = parseRedisUrl("rediss+sentinel://h:26379/mymaster?sentinelTls=false");
    expect(clearSentinels.kind === "sentinel" && clearSentinels.options.sentinelTLS).toBeUndefined();
    const plain = parseRedisUrl("redis+sentinel://h:26379/mymaster");
    expect(plain.kind === "sentinel" && plain.options.sentinelTLS).toBeUndefined();
  });

  it("reads the Sentinel form into ioredis' Sentinel options", () => {
    expect(parseRedisUrl("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,s3.example/mymaster")).toEqual({
      kind: "sentinel",
      options: {
        sentinels: [
          { host: "127.0.0.1", port: 26379 },
          { host: "127.0.0.1", port: 26380 },
          { host: "s3.example", port: 26379 },
        ],
        name: "mymaster",
        role: "master",
        failoverDetector: true,
      },
    });
  });

  it("reads credentials, db, the sentinels' own credentials, IPv6 and TLS", () => {
    const target = parseRedisUrl(
      "rediss+sentinel://lvs:p%40ss%3Aw@[::1]:26379,[fd00::2]/prod-1?db=3&sentinelUsername=sen&sentinelPassword=s%26cret&sentinelTls=true&role=master",
    );
    expect(target).toEqual({
      kind: "sentinel",
      options: {
        sentinels: [
          { host: "::1", port: 26379 },
          { host: "fd00::2", port: 26379 },
        ],
        name: "prod-1",
        role: "master",
        username: "lvs",
        password: "p@ss:w",
        db: 3,
        sentinelUsername: "sen",
        sentinelPassword: "s&cret",
        tls: {},
        enableTLSForSentinelMode: true,
        sentinelTLS: {},
        failoverDetector: true,
      },
    });
    expect(parseRedisUrl("redis+sentinel://:only-a-password@h:1/m")).toMatchObject({
      options: { password: "only-a-password" },
    });
  });

  it.each([
    ["redis+sentinel://h:26379", "needs the master's name"],
    ["redis+sentinel://h:26379/", "the master's name (the path) must be one name"],
    ["redis+sentinel://h:26379/a/b", "the master's name (the path) must be one name"],
    ["redis+sentinel:///mymaster", "at least one sentinel"],
    ["redis+sentinel://h:26379,,h2/mymaster", "sentinel 2 (empty): a sentinel needs a host"],
    ["redis+sentinel://h:port/mymaster", "sentinel 1 (h:port): port must be a number"],
    ["redis+sentinel://h:70000/mymaster", "sentinel 1 (h:70000)"],
    ["redis+sentinel://h/mymaster?db=x", "option db: must be a number"],
    ["redis+sentinel://h/mymaster?db=-1", "option db"],
    ["redis+sentinel://h/mymaster?role=slave", "option role: must be master"],
    ["redis+sentinel://h/mymaster?sentinelTls=yes", "option sentinelTls: must be true or false"],
    ["redis+sentinel://h/mymaster?sentinelpassword=x", "unknown option sentinelpassword"],
    ["redis+sentinel://h/mymaster?db=1&db=2", "option db is given twice"],
    ["redis+sentinel://u:%zz@h/mymaster", "the password is not valid percent-encoding"],
    ["rediss://h:6380?tls=", "rediss:// takes no options after '?'"],
    ["redis://h:6379/0?password=x", "redis:// takes no options after '?'"],
    ["http://127.0.0.1:6379", "unknown scheme http://"],
    ["sentinel://h:26379/mymaster", "unknown scheme sentinel://"],
  ])("refuses %s with the reason (%s)", (url, reason) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(reason);
  });

  it("a bad REDIS_URL is a configuration error naming REDIS_URL and the reason, never the password", () => {
    const message = configError("redis+sentinel://lvs:hunter2-secret@h:26379/mymaster?sentinelPassword=s3cr3t&tls=1");
    expect(message).toBe("REDIS_URL: unknown option tls");
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("s3cr3t");
    expect(configError("http://lvs:hunter2@redis:6379")).toBe(
      "REDIS_URL: unknown scheme http:// (redis://, rediss://, redis+sentinel:// or rediss+sentinel:// expected)",
    );
  });

  it("the configuration keeps a good URL as it is", () => {
    const url = "redis+sentinel://127.0.0.1:26379/mymaster?db=1";
    expect(loadConfig(env(url)).REDIS_URL).toBe(url);
    expect(loadConfig({ LVSFLEET_API_TOKEN: "a-token-of-enough-length" }).REDIS_URL).toBe("redis://127.0.0.1:6379");
  });

  it("the factory gives ioredis the Sentinel options and keeps the call site's options", () => {
    const redis = redisConnection("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster?db=2", {
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    expect(redis.options).toMatchObject({
      sentinels: [
        { host: "127.0.0.1", port: 26379 },
        { host: "127.0.0.1", port: 26380 },
      ],
      name: "mymaster",
      role: "master",
      db: 2,
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    redis.disconnect();
    const plain = redisConnection("redis://127.0.0.1:6390/4", { lazyConnect: true });
    expect(plain.options).toMatchObject({ host: "127.0.0.1", port: 6390, db: 4, lazyConnect: true });
    plain.disconnect();
  });
});

describe("LVSFLEET_PREFIX", () => {
  const prefix = (LVSFLEET_PREFIX: string) => loadConfig({ ...env("redis://127.0.0.1:6379"), LVSFLEET_PREFIX });
  it("may carry one hash tag", () => {
    for (const p of ["lvsfleet", "{lvsfleet}", "prod-{lvsfleet}", "{lvs}fleet_1"])
      expect(prefix(p).LVSFLEET_PREFIX).toBe(p);
  });
  it.each(["{}", "{a}{b}", "lvs fleet", "a:b", "{lvs", "lvs}"])("refuses %s", (p) => {
    expect(() => prefix(p)).toThrow(/LVSFLEET_PREFIX/);
  });
});

describe("one place makes the server's Redis connections", () => {
  it("no `new Redis(` in server/src but in store/redis-connection.ts (a connection made elsewhere would not know Sentinel)", () => {
    const src = fileURLToPath(new URL("../src", import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter(
      (f) =>
        /\bnew\s+(IORedis|Redis)\s*\(/.test(readFileSync(join(src, f), "utf8")) &&
        f !== join("store", "redis-connection.ts"),
    );
    expect(offenders.map((f) => relative(".", f))).toEqual([]);
  });
});
