import { parseRestore, renderRestore } from "@lvsfleet/ipvs";
import { parseKeepalivedText } from "@lvsfleet/keepalived";
import {
  ClusterSpec,
  type ClusterSpecInput,
  DesiredTable,
  destinationConfigOf,
  FORWARDING_METHODS,
  HostName,
  InterfaceName,
  type IpvsTable,
  Name,
  type Operation,
  PROTOCOLS,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  serviceConfigOf,
  serviceKey,
  VrrpAuthentication,
  VrrpInstance,
} from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { parseDestinationComment, parseServiceComment } from "../src/drivers/nft-names.ts";
import { EMPTY_STATE, renderTransition, unsupportedReasons } from "../src/drivers/nft-render.ts";
import { renderVrrpConfig } from "../src/vrrp/config.ts";

/**
 * Defence in depth behind the agent's validation: whatever the model's schemas accept, the three
 * renderers an agent feeds (the `ipvsadm -R` batch, the nft script, the VRRP keepalived.conf) keep
 * every value inside its own token. Random valid tables and specs are rendered and read back.
 */
const RUNS = { numRuns: 150 };
/** The nft renderer writes hundreds of statements per table: fewer runs. */
const NFT_RUNS = { numRuns: 40 };
const TIMEOUT = 120_000;

/** Characters that end or split a token in one of the three languages, and a few that look alike. */
const HOSTILE = [..."aZ09-_.:@/\\\"'{}[]()#!;$`|&<>*?~^%,=+ \t\n\r\v\f", "\u0000", "\u00a0", "\u2028", "\u0085", "é"];
const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE), minLength: 1, maxLength: 10 });

const v4 = fc.ipV4();
const v6 = fc.ipV6();
const port = fc.integer({ min: 0, max: 65535 });
const weight = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 65535 }));

/** A desired table as the server would send it (before validation), one address family per service. */
function tableInput(options: { nft: boolean }) {
  const destination = (family: "inet" | "inet6", nat: boolean) =>
    fc.record({
      address: family === "inet" ? v4 : v6,
      port,
      forwarding: options.nft ? fc.constant(nat ? "nat" : "dr") : fc.constantFrom(...FORWARDING_METHODS),
      weight,
      upperThreshold: options.nft ? fc.constant(0) : fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
      lowerThreshold: fc.constant(0),
      tunnel: options.nft
        ? fc.constant(undefined)
        : fc.option(
            fc.record({
              type: fc.constantFrom("ipip", "gue", "gre"),
              port: port,
              checksum: fc.constantFrom("nocsum", "csum", "remcsum"),
            }),
            { nil: undefined },
          ),
    });
  const service = fc
    .record({
      family: fc.constantFrom("inet" as const, "inet6" as const),
      protocol: options.nft ? fc.constantFrom("tcp", "udp", "sctp") : fc.constantFrom(...PROTOCOLS),
      nat: fc.boolean(),
    })
    .chain(({ family, protocol, nat }) =>
      fc.record({
        protocol: fc.constant(protocol),
        family: fc.constant(family),
        address: protocol === "fwmark" ? fc.constant(undefined) : family === "inet" ? v4 : v6,
        port: protocol === "fwmark" ? fc.constant(undefined) : fc.integer({ min: 1, max: 65535 }),
        fwmark: protocol === "fwmark" ? fc.integer({ min: 1, max: 2 ** 32 - 1 }) : fc.constant(undefined),
        scheduler: options.nft ? fc.constantFrom("rr", "wrr", "sh", "dh") : fc.constantFrom(...SCHEDULERS),
        schedulerFlags: fc.subarray([...SCHEDULER_FLAGS]),
        persistence: fc.option(
          fc.record({
            timeout: fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 2678400 })),
            netmask: family === "inet" ? fc.integer({ min: 0, max: 32 }) : fc.integer({ min: 1, max: 128 }),
          }),
          { nil: undefined },
        ),
        onePacket:
          options.nft || protocol !== "udp" ? fc.constant(undefined) : fc.option(fc.constant(true), { nil: undefined }),
        destinations: fc.uniqueArray(destination(family, nat), {
          maxLength: 4,
          selector: (d) => `${d.address}|${d.port}`,
        }),
      }),
    )
    .map((s) => ({
      ...s,
      // flags only for their own scheduler (the schema refuses the others)
      schedulerFlags: s.schedulerFlags.filter((f) => f.startsWith(`${s.scheduler}-`)),
    }));
  return fc.uniqueArray(service, {
    minLength: 1,
    maxLength: 4,
    selector: (s) => `${s.protocol}|${s.address}|${s.port}|${s.fwmark}|${s.family}`,
  });
}

/** Only what the schema accepts (canonical addresses, consistent families): the renderers' whole input domain. */
function validTable(services: unknown[]): IpvsTable | undefined {
  const result = DesiredTable.safeParse({
    services: services.map((s) => Object.fromEntries(Object.entries(s as object).filter(([, v]) => v !== undefined))),
  });
  return result.success ? result.data : undefined;
}

function* operationsOf(table: IpvsTable): Generator<Operation> {
  for (const s of table.services) {
    const service = serviceConfigOf(s);
    yield { op: "add-service", service };
    yield { op: "edit-service", service };
    for (const d of s.destinations) {
      const destination = destinationConfigOf(d);
      yield { op: "add-destination", service, destination };
      yield { op: "edit-destination", service, destination };
      yield { op: "delete-destination", service, destination };
    }
    yield { op: "delete-service", service };
  }
}

/**
 * The real server's port as ipvsadm reads it back: DR and TUN cannot change the port, so it is the
 * virtual service's (a fwmark service has none); a deletion names the server as written.
 */
const portOf = (op: Operation & { destination: { port: number; forwarding: string } }) =>
  op.service.protocol !== "fwmark" && op.destination.forwarding !== "nat" && op.op !== "delete-destination"
    ? (op.service.port ?? 0)
    : op.destination.port;

/**
 * An operation as `ipvsadm -R` says it: flags once and sorted, a tunnel only on tun; a deletion
 * names only the service (and the real server), so only that part is compared.
 */
function normal(op: Operation): unknown {
  const service = { ...serviceConfigOf(op.service), schedulerFlags: [...new Set(op.service.schedulerFlags)].sort() };
  const identity = { key: serviceKey(op.service), family: op.service.family };
  switch (op.op) {
    case "add-service":
    case "edit-service":
      return { op: op.op, service };
    case "delete-service":
      return { op: op.op, ...identity };
    case "add-destination":
    case "edit-destination":
      return { op: op.op, ...identity, destination: { ...destinationConfigOf(op.destination), port: portOf(op) } };
    case "delete-destination":
      return { op: op.op, ...identity, address: op.destination.address, port: portOf(op) };
  }
}

/** An nft line split into words, a double-quoted string being one word. */
function nftWords(line: string): string[] {
  return line.match(/"[^"]*"|[^\s"]+/g) ?? [];
}

describe("renderers keep every value the schemas accept inside its token", () => {
  it(
    "ipvsadm -R: one line per operation, and reading the batch back gives the same operations",
    () => {
      fc.assert(
        fc.property(tableInput({ nft: false }), (services) => {
          const table = validTable(services);
          fc.pre(table !== undefined);
          const operations = [...operationsOf(table as IpvsTable)];
          const batch = renderRestore(operations);
          expect(batch.split("\n")).toHaveLength(operations.length + 1);
          for (const line of batch.trimEnd().split("\n")) expect(line).toMatch(/^-[A-Za-z0-9 .:[\],-]*$/);
          expect(parseRestore(batch).map(normal)).toEqual(operations.map(normal));
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "nft: each statement on its line, words from a safe set, comments read back, addresses whole",
    () => {
      const layout = { device: "eth0", table: "lvsfleet" };
      fc.assert(
        fc.property(tableInput({ nft: true }), (services) => {
          const table = validTable(services);
          fc.pre(table !== undefined);
          const supported = {
            services: (table as IpvsTable).services.filter((s) => unsupportedReasons(s).length === 0),
          };
          fc.pre(supported.services.length > 0);
          const script = renderTransition(EMPTY_STATE, supported, new Set(supported.services.map(serviceKey)), layout);
          const lines = script.trimEnd().split("\n");
          const comments: string[] = [];
          for (const line of lines) {
            expect(line).toMatch(/^(add|delete|flush) (table|chain|set|map|rule|element) (netdev|inet) lvsfleet( |$)/);
            for (const word of nftWords(line)) {
              if (word.startsWith('"')) {
                expect(word).toMatch(/^"[A-Za-z0-9 .:,_-]*"$/);
                comments.push(word.slice(1, -1));
              } else {
                expect(word).toMatch(/^[A-Za-z0-9_.:@&|!=<>(){}[\],;/-]+$/);
                // braces and semicolons are words of their own: no value carries one
                if (/[{};]/.test(word)) expect(["{", "}", ";"]).toContain(word);
              }
            }
          }
          // every service and real server is read back from its comment exactly
          const readServices = comments.map(parseServiceComment).filter((c) => c !== undefined);
          const readDestinations = comments.map(parseDestinationComment).filter((c) => c !== undefined);
          for (const s of supported.services) {
            const { onePacket: _o, ...config } = serviceConfigOf(s);
            expect(readServices).toContainEqual({ ...config, schedulerFlags: [...config.schedulerFlags].sort() });
            for (const d of s.destinations) {
              expect(readDestinations).toContainEqual(destinationConfigOf(d));
              const ip = s.family === "inet6" ? "ip6" : "ip";
              const to =
                d.forwarding === "dr"
                  ? `fwd ${ip} to ${d.address} device "eth0"`
                  : `dnat ${ip} to ${s.family === "inet6" ? `[${d.address}]` : d.address}:${d.port}`;
              expect(script).toContain(` ${to}`);
            }
          }
        }),
        NFT_RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "keepalived.conf: read back by the parser, every VRRP value is what the spec said",
    () => {
      /** Valid-looking values, and hostile ones the field's own schema accepts. */
      const name = (schema: z.ZodType, valid: fc.Arbitrary<string>) =>
        fc.oneof(
          valid,
          hostile.filter((s) => schema.safeParse(s).success),
        );
      const arbitrary = fc
        .record({
          inet6: fc.boolean(),
          vipCount: fc.integer({ min: 1, max: 3 }),
          hosts: fc.uniqueArray(name(HostName, fc.domain()), {
            minLength: 1,
            maxLength: 3,
            selector: (h) => h.toLowerCase(),
          }),
        })
        .chain(({ inet6, vipCount, hosts }) =>
          fc.record({
            name: name(Name, fc.constantFrom("web", "shop-2")),
            vips: fc.uniqueArray(inet6 ? v6 : v4, { minLength: vipCount, maxLength: vipCount }),
            directors: fc.tuple(
              ...hosts.map((host) =>
                fc.record({
                  host: fc.constant(host),
                  address: v4,
                  role: fc.constant("backup" as const),
                  priority: fc.integer({ min: 1, max: 254 }),
                  interface: name(InterfaceName, fc.constantFrom("eth0", "bond0.12", "enp3s0")),
                }),
              ),
            ),
            instances: fc.uniqueArray(
              fc.record({
                name: name(VrrpInstance.shape.name, fc.constantFrom("VI_1", "VI_2", "vrrp@web")),
                virtualRouterId: fc.integer({ min: 1, max: 255 }),
                interface: fc.option(name(InterfaceName, fc.constant("eth1")), { nil: undefined }),
                advertInt: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
                password: fc.option(
                  hostile.filter((p) => VrrpAuthentication.shape.password.safeParse(p).success),
                  { nil: undefined },
                ),
                nopreempt: fc.boolean(),
                unicast: fc.boolean(),
              }),
              { minLength: 1, maxLength: vipCount, selector: (i) => i.name },
            ),
            syncGroup: fc.option(name(VrrpInstance.shape.name, fc.constant("G1")), { nil: undefined }),
          }),
        )
        .map(
          (g): ClusterSpecInput => ({
            name: g.name,
            vips: g.vips,
            directors: g.directors,
            vrrp: {
              instances: g.instances.map((instance, i) => ({
                name: instance.name,
                virtualRouterId: ((instance.virtualRouterId + i) % 255) + 1,
                vips: [g.vips[i] as string],
                ...(instance.interface ? { interface: instance.interface } : {}),
                ...(instance.advertInt ? { advertInt: instance.advertInt } : {}),
                ...(instance.password
                  ? { authentication: { type: "pass" as const, password: instance.password } }
                  : {}),
                ...(instance.nopreempt ? { nopreempt: true } : {}),
                ...(instance.unicast ? { unicastPeers: g.directors.map((d) => d.address) } : {}),
              })),
              ...(g.syncGroup && g.instances.length > 1 ? { syncGroup: { name: g.syncGroup } } : {}),
            },
          }),
        );

      fc.assert(
        fc.property(arbitrary, (input) => {
          const parsed = ClusterSpec.safeParse(input);
          fc.pre(parsed.success);
          const spec = parsed.data as ClusterSpec;
          for (const director of spec.directors) {
            const fifo = "/var/lib/lvsfleet/keepalived/notify.fifo";
            const { text } = renderVrrpConfig(spec, director, fifo);
            const back = parseKeepalivedText(text, "keepalived.conf");
            expect(back.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
            expect(back.config.globalDefs?.routerId).toBe(director.host);
            expect(back.config.globalDefs?.extra).toContainEqual(
              expect.objectContaining({ keyword: "notify_fifo", args: [fifo] }),
            );
            const instances = spec.vrrp?.instances ?? [];
            expect(back.config.vrrpInstances.map((i) => i.name)).toEqual(instances.map((i) => i.name));
            instances.forEach((instance, i) => {
              const got = back.config.vrrpInstances[i]!;
              const iface = instance.interface ?? director.interface;
              expect(got).toMatchObject({
                interface: iface,
                virtualRouterId: instance.virtualRouterId,
                priority: director.priority,
                nopreempt: !!instance.nopreempt,
              });
              expect(got.authentication?.password).toBe(instance.authentication?.password);
              expect(got.virtualIpAddresses.map((v) => v.address)).toEqual(instance.vips);
              if (!instance.vips[0]?.includes(":"))
                expect(got.virtualIpAddresses[0]?.options).toEqual([
                  "dev",
                  iface,
                  "label",
                  `${iface}:${spec.vips.indexOf(instance.vips[0] as string) + 1}`,
                ]);
              if (instance.unicastPeers) {
                expect(got.unicastSrcIp).toBe(director.address);
                expect(got.unicastPeers.map((p) => p.address)).toEqual(
                  instance.unicastPeers.filter((a) => a !== director.address),
                );
              }
            });
            expect(back.config.vrrpSyncGroups.map((g) => g.name)).toEqual(
              spec.vrrp?.syncGroup ? [spec.vrrp.syncGroup.name] : [],
            );
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
