import { ClusterSpec, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import type { Actor } from "../src/commands/actor.ts";
import type { CommandContext } from "../src/commands/context.ts";
import { weightDanger } from "../src/commands/danger.ts";
import { AmbiguousError, NotFoundError, UnclearError } from "../src/commands/errors.ts";
import { locateRealServer, resolveCluster, resolveHost, resolveRealServer } from "../src/commands/resolve.ts";

const web = validate(ClusterSpec, DEMO_CLUSTER);
const shop = validate(ClusterSpec, {
  ...DEMO_CLUSTER,
  name: "shop",
  vips: ["192.168.2.229"],
  services: [
    {
      ...DEMO_CLUSTER.services![0]!,
      address: "192.168.2.229",
      realServers: [
        { address: "192.168.1.220", port: 8080, weight: 1, host: "web1" },
        { address: "192.168.2.10", port: 80, weight: 1, host: "shop1" },
      ],
    },
  ],
});

/** The cluster store as resolution sees it, counting every spec read. */
function store(specs: ClusterSpec[]) {
  const reads: string[] = [];
  const get = async (name: string) => {
    reads.push(name);
    const spec = specs.find((s) => s.name === name);
    return spec ? { spec, generation: 1, updatedAt: 0 } : undefined;
  };
  const clusters = { names: async () => specs.map((s) => s.name).sort(), get, readable: get };
  return { ctx: { clusters } as unknown as Pick<CommandContext, "clusters">, reads };
}

const operator: Actor = { type: "token", name: "ops", role: "operator", channel: "rest" };

describe("resolution of short forms (commands/resolve.ts)", () => {
  it("finds a real server across the clusters the actor may see, reading each spec once, and returns the spec read", async () => {
    const { ctx, reads } = store([web, shop]);
    const { match, spec } = await resolveRealServer(ctx, operator, { address: "192.168.2.10" });
    expect(match).toEqual({ cluster: "shop", service: "http", address: "192.168.2.10", port: 80, weight: 1 });
    expect(spec).toBe(shop);
    expect(reads.sort()).toEqual(["shop", "web"]);
  });

  it("a named cluster is read once; the danger is judged on that same spec", async () => {
    const { ctx, reads } = store([web, shop]);
    const { match, spec } = await resolveRealServer(ctx, operator, { address: "192.168.1.220", cluster: "web" });
    expect(reads).toEqual(["web"]);
    expect(weightDanger(spec, match, 0)).toBeUndefined();
    const lone = structuredClone(spec);
    lone.services[0]!.realServers[1]!.weight = 0;
    expect(weightDanger(lone, match, 0)).toMatch(/leaves service web\/http with no weight/);
  });

  it("an address on several clusters is ambiguous and lists them; a limited token sees only its own", async () => {
    const { ctx } = store([web, shop]);
    const ambiguous = resolveRealServer(ctx, operator, { address: "192.168.1.220" });
    await expect(ambiguous).rejects.toThrow(AmbiguousError);
    await expect(ambiguous).rejects.toMatchObject({
      candidates: ["192.168.1.220:8080 in shop/http", "192.168.1.220:80 in web/http"],
    });
    const limited = { ...operator, clusters: ["web"] };
    expect((await resolveRealServer(ctx, limited, { address: "192.168.1.220" })).match.cluster).toBe("web");
    await expect(resolveRealServer(ctx, limited, { address: "192.168.2.10" })).rejects.toMatchObject({
      message: "no real server 192.168.2.10",
      candidates: ["192.168.1.220:80 in web/http", "192.168.1.231:80 in web/http"],
    });
  });

  it("an unknown named cluster is not found", async () => {
    const { ctx } = store([web]);
    await expect(resolveRealServer(ctx, operator, { address: "192.168.1.220", cluster: "nope" })).rejects.toThrow(
      NotFoundError,
    );
  });

  it("resolveCluster: the one named, or the only one; otherwise it asks which", async () => {
    expect(await resolveCluster(store([web]).ctx, undefined)).toBe("web");
    await expect(resolveCluster(store([web, shop]).ctx, undefined)).rejects.toThrow(
      new UnclearError("which cluster? clusters: shop, web"),
    );
    await expect(resolveCluster(store([web]).ctx, "shop")).rejects.toThrow(
      new UnclearError("no cluster named shop; clusters: web"),
    );
  });

  it("resolveHost: cluster and host from one, two or no words; a host the cluster does not name is not found", async () => {
    const { ctx } = store([web]);
    for (const words of [[], ["web"]]) {
      const all = await resolveHost(ctx, words);
      expect([all.cluster, all.host]).toEqual(["web", undefined]);
    }
    expect(await resolveHost(ctx, ["lb-backup"])).toMatchObject({ cluster: "web", host: "lb-backup", spec: web });
    expect(await resolveHost(ctx, ["web", "web2"])).toMatchObject({ cluster: "web", host: "web2" });
    await expect(resolveHost(ctx, ["lb-9"])).rejects.toThrow(new NotFoundError("no host lb-9 in cluster web"));
  });

  it("locateRealServer: a port-less address on one port is found; a missing service or server lists what there is", () => {
    expect(locateRealServer(web, { service: "http", address: "192.168.1.231" }).realServer.port).toBe(80);
    expect(() => locateRealServer(web, { service: "ftp", address: "192.168.1.231" })).toThrow(
      "no service ftp in cluster web; services: http",
    );
    expect(() => locateRealServer(web, { service: "http", address: "192.168.1.9", port: 80 })).toThrow(
      "no real server 192.168.1.9:80 in web/http; real servers: 192.168.1.220:80, 192.168.1.231:80",
    );
  });
});
