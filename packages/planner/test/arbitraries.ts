import type { IpvsDestination, IpvsService, IpvsTable, IpvsTunnel } from "@lvsfleet/model";
import { destinationKey, FORWARDING_METHODS, SCHEDULERS, serviceKey } from "@lvsfleet/model";
import fc from "fast-check";

/** Small pools of addresses and ports, so that desired and observed tables overlap often. */
const vip = fc.constantFrom("192.168.1.229", "192.168.1.228", "2001:db8::29");
const rip = fc.constantFrom("192.168.1.220", "192.168.1.231", "192.168.1.232", "2001:db8::20");

/** Encapsulations of a tun destination, as the parsers produce them (ipip is absent, the default). */
const tunnel: fc.Arbitrary<IpvsTunnel | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({
    type: fc.constant("gue" as const),
    port: fc.constantFrom(5555, 6080),
    checksum: fc.constantFrom("nocsum" as const, "csum" as const, "remcsum" as const),
  }),
  fc.record({ type: fc.constant("gre" as const), checksum: fc.constantFrom("nocsum" as const, "csum" as const) }),
);

export const destination: fc.Arbitrary<IpvsDestination> = fc
  .record({
    address: rip,
    port: fc.constantFrom(80, 8080),
    forwarding: fc.constantFrom(...FORWARDING_METHODS),
    weight: fc.integer({ min: 0, max: 65535 }),
    upperThreshold: fc.constantFrom(0, 100),
    lowerThreshold: fc.constantFrom(0, 10),
    activeConns: fc.nat(1000),
    inactConns: fc.nat(1000),
    persistConns: fc.nat(10),
    tunnel,
  })
  .map(({ tunnel, ...d }) => (d.forwarding === "tun" && tunnel ? { ...d, tunnel } : d));

export const service: fc.Arbitrary<IpvsService> = fc
  .record({
    kind: fc.constantFrom("tcp", "udp", "fwmark"),
    address: vip,
    port: fc.constantFrom(80, 443),
    fwmark: fc.integer({ min: 1, max: 3 }),
    scheduler: fc.constantFrom(...SCHEDULERS),
    persistence: fc.option(fc.record({ timeout: fc.constantFrom(60, 300), netmask: fc.constantFrom(24, 32) }), {
      nil: undefined,
    }),
    destinations: fc.uniqueArray(destination, { selector: destinationKey, maxLength: 5 }),
    onePacket: fc.boolean(),
  })
  .map(({ kind, address, port, fwmark, onePacket, ...rest }) =>
    kind === "fwmark"
      ? { protocol: "fwmark" as const, fwmark, family: "inet" as const, schedulerFlags: [], ...rest }
      : {
          protocol: kind as "tcp" | "udp",
          address,
          port,
          family: address.includes(":") ? ("inet6" as const) : ("inet" as const),
          schedulerFlags: [],
          // one-packet scheduling (-o) is for UDP services only
          ...(kind === "udp" && onePacket ? { onePacket: true } : {}),
          ...rest,
        },
  );

export const table: fc.Arbitrary<IpvsTable> = fc
  .uniqueArray(service, { selector: serviceKey, maxLength: 6 })
  .map((services) => ({ services }));
