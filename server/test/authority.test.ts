import { ClusterSpec, DEMO_CLUSTER } from "@lvsfleet/model";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActorAuthority, bootstrapSource } from "../src/access/authority.ts";
import { type ChatRoles, chatRole, parseRoleMap, SLACK_ID } from "../src/access/chat-roles.ts";
import { type Actor, authorize, ForbiddenError, GLOBAL, reaches } from "../src/access/roles.ts";
import type { TokenRecord, TokenStore } from "../src/access/tokens.ts";
import { hostFields } from "../src/commands/host-ownership.ts";
import { createToken } from "../src/commands/tokens.ts";
import { roleNeeded } from "../src/queue/jobs.ts";
import { ownershipChange } from "../src/store/cluster-writer.ts";
import { answeringFleet, testContext } from "./support/context.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

const demo = ClusterSpec.parse(DEMO_CLUSTER);
const BOOT = bootstrapSource("a-bootstrap-token-for-tests");
const actor = (role: Actor["role"], clusters?: string[]): Actor => ({
  type: "token",
  name: "t",
  role,
  clusters,
  channel: "rest",
});

describe("authorize", () => {
  it("a global scope needs an actor without a cluster list, whatever its role", () => {
    expect(() => authorize(actor("admin"), "admin", "creating tokens", GLOBAL)).not.toThrow();
    expect(() => authorize(actor("admin", ["shop"]), "admin", "creating tokens", GLOBAL)).toThrow(
      /limited to clusters shop; creating tokens reaches the whole fleet and needs a token without a cluster list/,
    );
    expect(() => authorize(actor("viewer"), "admin", "creating tokens", GLOBAL)).toThrow(ForbiddenError);
  });

  it("reaches: all of the clusters, or all clusters when there is no list", () => {
    expect(reaches(actor("admin"), ["a", "b"])).toBe(true);
    expect(reaches(actor("admin", ["a"]), ["a"])).toBe(true);
    expect(reaches(actor("admin", ["a"]), ["a", "b"])).toBe(false);
  });
});

describe("createToken never hands out more than the creator has", () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  // a whole context on a private Redis: the tokens and the audit trail are the real stores
  const context = () => testContext(redis, answeringFleet({}));

  it("a limited admin is refused (global), and the refusal is audited; nothing is created", async () => {
    const ctx = context();
    await expect(createToken(ctx, actor("admin", ["shop"]), { name: "x", role: "viewer" })).rejects.toThrow(
      /reaches the whole fleet/,
    );
    expect(await ctx.tokens.list()).toEqual([]);
    expect(await ctx.audit.query()).toMatchObject([{ outcome: "denied", command: "create token" }]);
  });

  it("an unlimited admin creates any token", async () => {
    const ctx = context();
    await createToken(ctx, actor("admin"), { name: "x", role: "admin" });
    await createToken(ctx, actor("admin"), { name: "y", role: "viewer", clusters: ["web"] });
    expect((await ctx.tokens.list()).map((t) => `${t.name} ${t.role} ${t.clusters ?? "all"}`).sort()).toEqual([
      "x admin all",
      "y viewer web",
    ]);
  });
});

describe("chat identity", () => {
  const roles: ChatRoles = {
    users: parseRoleMap("U0001=admin,W0002=operator", "users", SLACK_ID.user),
    channels: parseRoleMap("C0003=viewer", "channels", SLACK_ID.channel),
    team: "T0001",
  };

  it("matches on the user id only, within the configured workspace; a channel caps the role", () => {
    expect(chatRole(roles, { id: "U0001", team: "T0001" }, undefined)).toBe("admin");
    expect(chatRole(roles, { id: "U0001", team: "T0001" }, "C0003")).toBe("viewer");
    expect(chatRole(roles, { id: "U0001", team: "T9999" }, undefined)).toBeUndefined();
    expect(chatRole(roles, { id: "U0001" }, undefined)).toBeUndefined();
    expect(chatRole(roles, { id: "U9999", team: "T0001" }, undefined)).toBeUndefined();
  });

  it("refuses a configuration that maps names instead of ids, saying why", () => {
    expect(() => parseRoleMap("alice=admin", "LVSFLEET_CHAT_USERS", SLACK_ID.user)).toThrow(
      /"alice" is not a Slack id .*never on a name their owner can change/,
    );
    expect(() => parseRoleMap("U01=root", "LVSFLEET_CHAT_USERS", SLACK_ID.user)).toThrow(/ID=ROLE/);
  });
});

describe("ActorAuthority: the authority of an actor, as it stands now", () => {
  const record = (over: Partial<TokenRecord>): TokenRecord => ({
    id: "1",
    name: "ops",
    role: "operator",
    createdAt: 0,
    createdBy: "x",
    ...over,
  });
  const store = (records: TokenRecord[]) =>
    ({
      get: async (id: string) => records.find((r) => r.id === id),
      list: async () => records,
    }) as unknown as TokenStore;
  const chat: ChatRoles = { users: new Map([["U1", "viewer"]]), channels: new Map() };
  const tokenActor = (over: Partial<Actor> = {}): Actor => ({
    type: "token",
    name: "ops",
    role: "operator",
    channel: "rest",
    source: { token: "1" },
    ...over,
  });

  it("a revoked or deleted token has none; a live one keeps its role, never more than it had", async () => {
    expect(await new ActorAuthority(store([]), chat, BOOT).current(tokenActor())).toBeUndefined();
    expect(
      await new ActorAuthority(store([record({ revokedAt: 5 })]), chat, BOOT).current(tokenActor()),
    ).toBeUndefined();
    expect((await new ActorAuthority(store([record({})]), chat, BOOT).current(tokenActor()))?.role).toBe("operator");
    expect((await new ActorAuthority(store([record({ role: "admin" })]), chat, BOOT).current(tokenActor()))?.role).toBe(
      "operator",
    );
  });

  it("the bootstrap admin's authority lasts as long as its token: a rotated LVSFLEET_API_TOKEN ends it", async () => {
    const admin: Actor = {
      type: "token",
      name: "bootstrap-admin",
      role: "admin",
      channel: "rest",
      source: { token: bootstrapSource("old-token-0123456789") },
    };
    expect(await new ActorAuthority(store([]), chat, bootstrapSource("old-token-0123456789")).current(admin)).toEqual(
      admin,
    );
    expect(
      await new ActorAuthority(store([]), chat, bootstrapSource("new-token-0123456789")).current(admin),
    ).toBeUndefined();
    expect(bootstrapSource("old-token-0123456789")).not.toContain("old-token");
  });

  it("clusters only narrow", async () => {
    const now = await new ActorAuthority(store([record({ clusters: ["a", "b"] })]), chat, BOOT).current(
      tokenActor({ clusters: ["a"] }),
    );
    expect(now?.clusters).toEqual(["a"]);
  });

  it("a chat user keeps the role it is mapped to now, and none once unmapped", async () => {
    const authority = new ActorAuthority(store([]), chat, BOOT);
    const user = (id: string): Actor => ({
      type: "chat",
      name: id,
      role: "admin",
      channel: "chat",
      source: { chatUser: id },
    });
    expect((await authority.current(user("U1")))?.role).toBe("viewer");
    expect(await authority.current(user("U2"))).toBeUndefined();
  });

  it("an actor recorded before sources existed is matched to exactly one live token of its name and role", async () => {
    const legacy = tokenActor({ source: undefined });
    expect(await new ActorAuthority(store([record({ id: "9" })]), chat, BOOT).current(legacy)).toBeDefined();
    expect(
      await new ActorAuthority(store([record({ id: "9" }), record({ id: "8" })]), chat, BOOT).current(legacy),
    ).toBeUndefined();
  });
});

describe("host ownership", () => {
  it("hostFields names where a spec names each host", () => {
    expect(Object.fromEntries(hostFields(demo))).toEqual({
      "lb-master": "directors[0].host",
      "lb-backup": "directors[1].host",
      web1: "services[0].realServers[0].host",
      web2: "services[0].realServers[1].host",
    });
  });

  it("a spec change claims what it adds and moves what it was allowed to; it costs nothing when the hosts stay", () => {
    const hosts = ["lb-master", "lb-backup", "web1", "web2"];
    expect(ownershipChange(undefined, demo, [])).toEqual({ claim: hosts, move: [] });
    expect(ownershipChange(demo, demo, [])).toEqual({ claim: [], move: [] });
    const fewer = structuredClone(demo);
    fewer.directors.pop();
    // dropping a host releases nothing here (only a PUT does, in HostOwners.settle); a move of a host
    // the spec does not name is dropped
    expect(
      ownershipChange(demo, fewer, [
        { host: "web2", from: "shop" },
        { host: "elsewhere", from: "shop" },
      ]),
    ).toEqual({ claim: [], move: [{ host: "web2", from: "shop" }] });
  });

  it("claims exactly the hosts the new spec adds, for any pair of host sets", () => {
    const names = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 5 });
    fc.assert(
      fc.property(names, names, (before, after) => {
        const spec = (hosts: string[]) =>
          ClusterSpec.parse({
            name: "x",
            vips: ["198.18.0.1"],
            directors: hosts.map((host, i) => ({
              host,
              address: `198.18.0.${i + 2}`,
              role: "backup",
              priority: 10,
            })),
          });
        const change = ownershipChange(spec(before), spec(after), []);
        expect(new Set(change.claim)).toEqual(new Set(after.filter((h) => !before.includes(h))));
      }),
    );
  });
});

describe("the role a job needs, for its retry", () => {
  it("is the one recorded, else admin for start/stop/spec and operator for weights", () => {
    expect(roleNeeded({ kind: "apply", command: "update cluster web", need: "operator" })).toBe("operator");
    expect(roleNeeded({ kind: "start", command: "start web" })).toBe("admin");
    expect(roleNeeded({ kind: "stop", command: "stop web" })).toBe("admin");
    expect(roleNeeded({ kind: "apply", command: "update cluster web" })).toBe("admin");
    expect(roleNeeded({ kind: "apply", command: "weight 192.168.1.220:80 in web/http: 3 -> 5" })).toBe("operator");
  });
});
