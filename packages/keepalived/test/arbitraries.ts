import {
  type ClusterSpecInput,
  canonicalIp,
  type ForwardingMethod,
  type HealthCheckInput,
  type RealServerInput,
  SCHEDULERS,
  type SchedulerFlag,
  type VirtualServiceInput,
  type VrrpInstanceInput,
} from "@lvsfleet/model";
import fc from "fast-check";
import { sortAddresses } from "../src/to-spec.ts";

/**
 * Cluster specs in the form an import of keepalived.conf produces, so that spec → keepalived.conf →
 * spec can be compared for equality. The canonical form follows keepalived's own rules:
 * - a DR/TUN real server has the virtual server's port (keepalived resets any other), a fwmark
 *   DR/TUN real server has none; a sorry server follows the same rule;
 * - forwarding/inhibit overrides on a real server differ from the service's (equal ones are not written);
 * - the first VRRP instance runs on the director's interface, other instances name an interface no
 *   director uses (an override equal to one director's interface is indistinguishable from none);
 * - unicastPeers list every director's address (each file lists the others plus its own source);
 * - vips are the instances' VIPs in order, then service addresses in order of first use;
 * - a director with role master means no instance uses nopreempt, preempt_delay or AH (keepalived
 *   ignores them or the MASTER state); preempt_delay never comes with nopreempt;
 * - quorum is at most the real servers' total weight and hysteresis below it (keepalived lowers them);
 * - real servers have no agent host name and checks no rise/fall (keepalived.conf cannot say them);
 * - times have at most millisecond fractions; gratuitous-ARP times are whole seconds (keepalived's rule);
 * - no slowStart (keepalived has none).
 */

const word = (re: RegExp) => fc.stringMatching(re);
const name = word(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/);
const ipv4 = fc.ipV4().map(canonicalIp);
const ipv6 = fc.ipV6().map(canonicalIp);
const seconds = fc.integer({ min: 1, max: 600_000 }).map((ms) => ms / 1000);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/**
 * A script name (the spec names scripts; the directors' allowlists map names to programs). keepalived's
 * `notify` gets four arguments appended that notify_master & co. do not, so a name used for `notify`
 * imports back as another script than the same program elsewhere: those come from a disjoint set.
 */
const script = word(/^[a-z][a-z0-9_-]{0,12}$/);
const notifyAnyScript = word(/^[0-9][a-z0-9_-]{0,8}$/);

/** Drops undefined properties so that generated values compare like imported ones. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const timing = fc.record(
  {
    connectTimeout: seconds,
    retry: fc.integer({ min: 0, max: 10 }),
    delayBeforeRetry: seconds,
    delayLoop: seconds,
    warmup: seconds,
  },
  { requiredKeys: [] },
);

const statusRange = fc
  .tuple(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 99 }), fc.boolean())
  .map(([lo, span, range]) => (range ? `${lo}-${Math.min(599, lo + span)}` : String(lo)));

const url = fc.record(
  {
    path: word(/^\/[A-Za-z0-9._~/#!-]{0,20}$/),
    statusCodes: fc.array(statusRange, { minLength: 1, maxLength: 3 }),
    digest: word(/^[0-9a-f]{32}$/),
    virtualhost: word(/^[a-z][a-z0-9.-]{0,15}[a-z]$/),
  },
  { requiredKeys: ["path"] },
);

function healthCheck(needsPort: boolean, family: "inet" | "inet6"): fc.Arbitrary<HealthCheckInput> {
  const address = family === "inet" ? ipv4 : ipv6;
  const connection = fc.record({
    connectIp: maybe(address),
    connectPort: needsPort ? fc.integer({ min: 1, max: 65535 }) : maybe(fc.integer({ min: 1, max: 65535 })),
    bindTo: maybe(address),
  });
  const tcp = fc.tuple(connection, timing).map(([c, t]) => clean({ type: "tcp" as const, ...c, ...t }));
  const http = fc
    .tuple(
      fc.constantFrom("http" as const, "https" as const),
      fc.array(url, { minLength: 1, maxLength: 2 }),
      maybe(word(/^[a-z][a-z0-9.-]{0,15}[a-z]$/)),
      fc.boolean(),
      connection,
      timing,
    )
    .map(([type, urls, virtualhost, sni, c, t]) =>
      clean({ type, urls, virtualhost, ...(type === "https" && sni ? { enableSni: true } : {}), ...c, ...t }),
    );
  const misc = fc
    .tuple(script, maybe(fc.integer({ min: 1, max: 600 })), fc.boolean(), timing)
    .map(([name, timeout, dynamic, { connectTimeout: _none, ...t }]) =>
      clean({ type: "misc" as const, script: name, timeout, dynamic: dynamic || undefined, ...t }),
    );
  return fc.oneof(tcp, http, misc) as fc.Arbitrary<HealthCheckInput>;
}

const FORWARDING: ForwardingMethod[] = ["dr", "nat", "tun"];

function flagsFor(scheduler: string): fc.Arbitrary<SchedulerFlag[]> {
  if (scheduler === "sh" || scheduler === "mh")
    return fc.subarray([`${scheduler}-fallback`, `${scheduler}-port`] as SchedulerFlag[]);
  return fc.constant([]);
}

interface ServiceShape {
  kind: "address" | "fwmark";
  family: "inet" | "inet6";
  address?: string;
  port: number;
  mark?: number;
  fwmarkFamily?: "inet" | "inet6" | undefined;
  protocol: "tcp" | "udp" | "sctp";
}

function service(shape: ServiceShape, serviceName: string): fc.Arbitrary<VirtualServiceInput> {
  const address = shape.family === "inet" ? ipv4 : ipv6;
  return fc
    .record({
      scheduler: fc.constantFrom(...SCHEDULERS),
      forwarding: fc.constantFrom(...FORWARDING),
      persistence: maybe(
        fc.record(
          {
            timeout: fc.integer({ min: 1, max: 100_000 }),
            netmask: fc.integer({ min: 1, max: shape.family === "inet" ? 32 : 128 }),
          },
          { requiredKeys: ["timeout"] },
        ),
      ),
      inhibitOnFailure: fc.boolean(),
      delayLoop: maybe(seconds),
      alpha: maybe(fc.constant(true)),
      omega: maybe(fc.constant(true)),
      addresses: fc.uniqueArray(address, { minLength: 2, maxLength: 4 }),
    })
    .chain((base) => {
      const persistence =
        shape.port === 0 && shape.kind === "address" ? (base.persistence ?? { timeout: 300 }) : base.persistence;
      const [sorryAddress, ...rsAddresses] = base.addresses as [string, ...string[]];
      const portFor = (forwarding: ForwardingMethod) =>
        shape.kind === "fwmark"
          ? forwarding === "nat"
            ? fc.integer({ min: 0, max: 65535 })
            : fc.constant(0)
          : forwarding === "nat"
            ? fc.oneof(fc.constant(shape.port), fc.integer({ min: 1, max: 65535 }))
            : fc.constant(shape.port);
      const realServer = (rsAddress: string): fc.Arbitrary<RealServerInput> =>
        fc
          .record({
            forwarding: maybe(fc.constantFrom(...FORWARDING.filter((f) => f !== base.forwarding))),
            weight: fc.integer({ min: 0, max: 100 }),
            upperThreshold: fc.integer({ min: 0, max: 1000 }),
            lowerFraction: fc.integer({ min: 0, max: 100 }),
            inhibitOnFailure: maybe(fc.constant(!base.inhibitOnFailure)),
          })
          .chain((rs) =>
            portFor(rs.forwarding ?? base.forwarding).chain((port) =>
              maybe(fc.array(healthCheck(port === 0, shape.family), { minLength: 1, maxLength: 2 })).map(
                (healthChecks) =>
                  clean({
                    address: rsAddress,
                    port,
                    weight: rs.weight,
                    forwarding: rs.forwarding,
                    upperThreshold: rs.upperThreshold,
                    lowerThreshold: Math.floor((rs.upperThreshold * rs.lowerFraction) / 100),
                    inhibitOnFailure: rs.inhibitOnFailure,
                    healthChecks,
                  }),
              ),
            ),
          );
      return fc
        .tuple(
          fc.tuple(...rsAddresses.slice(0, 3).map(realServer)),
          maybe(
            fc.record({
              forwarding: maybe(fc.constantFrom(...FORWARDING.filter((f) => f !== base.forwarding))),
              inhibit: maybe(fc.constant(true)),
              natPort: maybe(fc.integer({ min: 0, max: 65535 })),
            }),
          ),
          fc.record({
            share: fc.integer({ min: 1, max: 100 }),
            hysteresis: fc.integer({ min: 0, max: 100 }),
            up: maybe(script),
            down: maybe(script),
          }),
          fc.boolean(),
        )
        .map(([realServers, sorry, quorumDraw, withQuorum]) => {
          const total = realServers.reduce((sum, rs) => sum + (rs.weight ?? 1), 0);
          const quorumWeight = Math.max(1, Math.floor((total * quorumDraw.share) / 100));
          const quorum =
            withQuorum && total >= 1
              ? clean({
                  weight: quorumWeight,
                  hysteresis: quorumDraw.hysteresis < quorumWeight ? quorumDraw.hysteresis : undefined,
                  up: quorumDraw.up,
                  down: quorumDraw.down,
                })
              : undefined;
          let sorryServer: VirtualServiceInput["sorryServer"];
          if (sorry) {
            const effective = sorry.forwarding ?? base.forwarding;
            const port =
              shape.kind === "fwmark"
                ? effective === "nat"
                  ? sorry.natPort
                  : undefined
                : effective === "nat"
                  ? (sorry.natPort ?? shape.port)
                  : shape.port;
            sorryServer = clean({ address: sorryAddress, port, forwarding: sorry.forwarding, inhibit: sorry.inhibit });
          }
          return clean({
            name: serviceName,
            protocol: shape.kind === "fwmark" ? ("fwmark" as const) : shape.protocol,
            address: shape.address,
            port: shape.kind === "fwmark" ? undefined : shape.port,
            fwmark: shape.mark,
            family: shape.kind === "fwmark" ? shape.fwmarkFamily : undefined,
            scheduler: base.scheduler,
            forwarding: base.forwarding,
            persistence,
            inhibitOnFailure: base.inhibitOnFailure,
            delayLoop: base.delayLoop,
            alpha: base.alpha,
            omega: base.omega,
            realServers,
            quorum,
            sorryServer,
          });
        });
    })
    .chain((s) => flagsFor(s.scheduler as string).map((schedulerFlags) => ({ ...s, schedulerFlags })));
}

export interface SpecOptions {
  /** Interface names to use; keepalived -t wants interfaces that exist on the host. */
  interfaces: readonly string[];
}

/** A ClusterSpec input in the canonical form described above. */
export function canonicalSpec(
  options: SpecOptions = { interfaces: ["eth0", "eth1", "ens3", "bond0"] },
): fc.Arbitrary<ClusterSpecInput> {
  return fc
    .record({
      name,
      pool4: fc.uniqueArray(ipv4, { minLength: 1, maxLength: 4 }),
      pool6: fc.uniqueArray(ipv6, { minLength: 0, maxLength: 2 }),
      withVrrp: fc.boolean(),
      serviceCount: fc.integer({ min: 1, max: 3 }),
    })
    .chain((top) => {
      const addresses = [...top.pool4, ...top.pool6];
      const shapes = fc.uniqueArray(
        fc.oneof(
          fc.record({
            kind: fc.constant("address" as const),
            address: fc.constantFrom(...addresses),
            port: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constant(80), fc.constant(0)),
            protocol: fc.constantFrom("tcp" as const, "udp" as const, "sctp" as const),
          }),
          fc.record({
            kind: fc.constant("fwmark" as const),
            mark: fc.integer({ min: 1, max: 100_000 }),
            fwmarkFamily: maybe(fc.constantFrom("inet" as const, "inet6" as const)),
            protocol: fc.constant("tcp" as const),
            port: fc.constant(0),
          }),
        ),
        {
          minLength: top.serviceCount,
          maxLength: top.serviceCount,
          selector: (s) =>
            s.kind === "fwmark" ? `m${s.mark}|${s.fwmarkFamily ?? "inet"}` : `${s.protocol}|${s.address}|${s.port}`,
        },
      );
      return fc.tuple(
        fc.constant(top),
        shapes,
        fc.uniqueArray(name, { minLength: top.serviceCount, maxLength: top.serviceCount }),
      );
    })
    .filter(([top, shapes]) => top.withVrrp || shapes.some((s) => s.kind === "address"))
    .chain(([top, shapes, names]) => {
      const services = fc.tuple(
        ...shapes.map((shape, i) => {
          const family =
            shape.kind === "fwmark" ? (shape.fwmarkFamily ?? "inet") : shape.address.includes(":") ? "inet6" : "inet";
          return service({ ...shape, family } as ServiceShape, names[i] as string);
        }),
      );
      const vrrp = top.withVrrp ? vrrpPart(top.pool4, options.interfaces) : fc.constant(undefined);
      return fc.tuple(fc.constant(top), services, vrrp).map(([t, svc, v]) => {
        const vips = [...(v ? t.pool4 : [])];
        for (const s of svc) if (s.address !== undefined && !vips.includes(s.address)) vips.push(s.address);
        return clean({
          name: t.name,
          vips,
          directors: v?.directors ?? [],
          services: svc,
          vrrp: v?.vrrp,
        }) as ClusterSpecInput;
      });
    });
}

function vrrpPart(pool4: string[], interfaces: readonly string[]) {
  return fc
    .record({
      directorCount: fc.integer({ min: 1, max: 3 }),
      instanceCount: fc.integer({ min: 1, max: Math.min(3, pool4.length) }),
      delayed: fc.boolean(),
      hosts: fc.uniqueArray(word(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), { minLength: 3, maxLength: 3 }),
      directorAddresses: fc.uniqueArray(ipv4, { minLength: 3, maxLength: 3 }),
      masterIndex: fc.integer({ min: -1, max: 2 }),
    })
    .chain((v) => {
      const directors = fc.tuple(
        ...Array.from({ length: v.directorCount }, (_, i) =>
          // Priority 255 (the address owner) does not go with nopreempt, which "delayed" may bring.
          fc
            .record({
              priority: fc.integer({ min: 1, max: v.delayed ? 254 : 255 }),
              interface: fc.constantFrom(...interfaces),
            })
            .map((d) => ({
              host: v.hosts[i] as string,
              address: v.directorAddresses[i] as string,
              role: !v.delayed && i === v.masterIndex ? ("master" as const) : ("backup" as const),
              priority: d.priority,
              interface: d.interface,
            })),
        ),
      );
      return directors.chain((ds) => {
        const used = new Set(ds.map((d) => d.interface));
        const spare = interfaces.filter((i) => !used.has(i));
        const chunks = split(pool4, v.instanceCount);
        const instances = fc.tuple(
          ...chunks.map((vips, i) =>
            instance(
              vips,
              i,
              i > 0 ? spare : [],
              ds.map((d) => d.address),
              v.delayed,
              ds.some((d) => d.role === "master"),
            ),
          ),
        );
        return fc
          .tuple(
            instances,
            fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: chunks.length, maxLength: chunks.length }),
            maybe(fc.record({ name: word(/^[A-Za-z][A-Za-z0-9_]{0,10}$/), notify: maybe(notify) })),
          )
          .map(([list, ids, group]) => ({
            directors: ds,
            vrrp: clean({
              instances: list.map((x, i) => ({ ...x, virtualRouterId: ids[i] as number })),
              syncGroup: list.length >= 2 && group ? clean(group) : undefined,
            }),
          }));
      });
    });
}

const notify = fc
  .record({ master: script, backup: script, fault: script, stop: script, any: notifyAnyScript }, { requiredKeys: [] })
  .filter((n) => Object.keys(n).length > 0);

function instance(
  vips: string[],
  index: number,
  spareInterfaces: string[],
  directorAddresses: string[],
  delayed: boolean,
  hasMaster: boolean,
): fc.Arbitrary<Omit<VrrpInstanceInput, "virtualRouterId">> {
  return fc
    .record({
      interface: spareInterfaces.length > 0 ? maybe(fc.constantFrom(...spareInterfaces)) : fc.constant(undefined),
      timing: fc.oneof(
        fc.record({ advertInt: maybe(fc.integer({ min: 1, max: 10 })), version: maybe(fc.constant(2 as const)) }),
        fc.record({
          advertInt: fc.integer({ min: 1, max: 500 }).map((n) => n / 100),
          version: fc.constant(3 as const),
        }),
      ),
      // Any printable ASCII but the double quote (keepalived cannot read one in a value), not ending in a
      // backslash when quoting is needed (keepalived would take \" as an escaped quote), not a lone brace.
      password: maybe(word(/^[!#-~]{0,7}[!#-[\]-~]$/).filter((p) => p !== "{" && p !== "}")),
      authType: hasMaster ? fc.constant("pass" as const) : fc.constantFrom("pass" as const, "ah" as const),
      extraPeers: maybe(fc.uniqueArray(ipv4, { minLength: 0, maxLength: 2 })),
      nopreempt: fc.boolean(),
      preemptDelay: maybe(fc.integer({ min: 0, max: 1_000_000 }).map((ms) => ms / 1000)),
      notify: maybe(notify),
      garp: maybe(
        fc
          .record(
            {
              repeat: fc.integer({ min: 1, max: 255 }),
              delay: fc.integer({ min: 0, max: 255 }),
              refresh: fc.integer({ min: 0, max: 86400 }),
              refreshRepeat: fc.integer({ min: 1, max: 255 }),
            },
            { requiredKeys: [] },
          )
          .filter((g) => Object.keys(g).length > 0),
      ),
    })
    .map((x) => {
      const peers =
        x.extraPeers === undefined ? undefined : sortAddresses([...new Set([...directorAddresses, ...x.extraPeers])]);
      return clean({
        name: `VI_${index + 1}`,
        vips,
        interface: x.interface,
        advertInt: x.timing.advertInt,
        version: x.timing.version,
        authentication:
          x.password !== undefined && x.timing.version !== 3 ? { type: x.authType, password: x.password } : undefined,
        unicastPeers: peers && peers.length >= 2 ? peers : undefined,
        nopreempt: delayed && x.nopreempt ? true : undefined,
        preemptDelay: delayed && !x.nopreempt ? x.preemptDelay : undefined,
        notify: x.notify,
        garp: x.garp,
      });
    });
}

function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0);
}
