import { describe, expect, it } from "vitest";
import { parseRedisUrl } from "../../../server/src/store/redis-connection.ts";
import { parseDevRedisUrl, redactRedisUrl } from "../src/redis-url.ts";

describe("devfleet reads REDIS_URL in the forms the server accepts", () => {
  it("reads redis:// and rediss:// as one Redis, with the default port", () => {
    expect(parseDevRedisUrl("redis://127.0.0.1:6380")).toEqual({
      kind: "single",
      host: "127.0.0.1",
      port: 6380,
      tls: false,
    });
    expect(parseDevRedisUrl("REDISS://user:pw@localhost/2")).toEqual({
      kind: "single",
      host: "localhost",
      port: 6379,
      tls: true,
    });
    expect(parseDevRedisUrl("redis://[::1]:7000")).toMatchObject({ host: "::1", port: 7000 });
  });

  it("reads the Sentinel form: every sentinel, the master's name, credentials and TLS", () => {
    expect(
      parseDevRedisUrl("redis+sentinel://u:p%40ss@127.0.0.1:26379,127.0.0.1:26380,[::1]/mymaster?sentinelPassword=s"),
    ).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "127.0.0.1", port: 26379 },
        { host: "127.0.0.1", port: 26380 },
        { host: "::1", port: 26379 },
      ],
      name: "mymaster",
      tls: false,
      username: "u",
      password: "p@ss",
      sentinelPassword: "s",
    });
    expect(parseDevRedisUrl("rediss+sentinel://h:1/m")).toMatchObject({ kind: "sentinel", tls: true });
  });

  it("finds the same sentinels and master name as the server's parser", () => {
    for (const url of [
      "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/mymaster",
      "redis+sentinel://a:1,b,[::1]:3/m.y_n-1?db=2",
      "rediss+sentinel://user:secret@h1:5000/x",
    ]) {
      const ours = parseDevRedisUrl(url);
      const theirs = parseRedisUrl(url);
      if (ours.kind !== "sentinel" || theirs.kind !== "sentinel") throw new Error(`${url} is not read as Sentinel`);
      expect(ours.sentinels).toEqual(theirs.options.sentinels);
      expect(ours.name).toBe(theirs.options.name);
      expect(ours.password).toBe(theirs.options.password);
    }
  });

  it("refuses what the server refuses, naming the reason", () => {
    expect(() => parseDevRedisUrl("http://127.0.0.1:6379")).toThrow(/unknown scheme http:\/\//);
    expect(() => parseDevRedisUrl("redis+sentinel://127.0.0.1:26379")).toThrow(/needs the master's name/);
    expect(() => parseDevRedisUrl("redis+sentinel:///mymaster")).toThrow(/at least one sentinel/);
    expect(() => parseDevRedisUrl("redis+sentinel://h:99999/m")).toThrow(/sentinel 1 \(h:99999\): the port/);
    expect(() => parseDevRedisUrl("redis+sentinel://h:1,:2/m")).toThrow(/sentinel 2 has no host/);
    expect(() => parseDevRedisUrl("redis+sentinel://h:1/a/b")).toThrow(/master's name/);
  });
});

describe("REDIS_URL in the demo's messages", () => {
  it("never shows a password: a malformed URL's error leaves the input out, a printed URL has it masked", () => {
    const url = "redis://admin:S3cretRedisPass@[bad-host:6379";
    let message = "";
    try {
      parseDevRedisUrl(url);
    } catch (error) {
      message = String(error) + JSON.stringify(error);
    }
    expect(message).toMatch(/REDIS_URL: not a valid redis:\/\/ URL/);
    expect(message).not.toContain("S3cretRedisPass");
    expect(redactRedisUrl("redis://admin:S3cret@127.0.0.1:6379/0")).toBe("redis://admin:***@127.0.0.1:6379/0");
    expect(redactRedisUrl("redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster")).toBe(
      "redis+sentinel://:***@127.0.0.1:26379,127.0.0.1:26380/mymaster",
    );
    expect(redactRedisUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });
});
