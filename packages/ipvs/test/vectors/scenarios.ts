import type { IpvsDestinationConfig, IpvsServiceConfig, Operation, Scheduler, SchedulerFlag } from "@lvsfleet/model";

/**
 * Scheduler test vectors: sequences of table changes and connections that run both through the
 * real kernel IPVS (test/ipvs-guest, LVS-NAT between network namespaces inside the qemu guest)
 * and through the simulator. The kernel's choices are recorded in golden/vectors.txt.
 *
 * Each scenario uses its own virtual port, so destinations the kernel keeps in its trash from an
 * earlier scenario (with their TIME_WAIT connections) are never reused by a later one.
 */

/** The real servers of the guest topology; each serves its own name over HTTP on port 80. */
export const REAL_SERVERS = { rs1: "198.18.2.2", rs2: "198.18.3.2", rs3: "198.18.4.2", rs4: "198.18.5.2" } as const;
export type RealServerName = keyof typeof REAL_SERVERS;
/** Virtual addresses on the director. */
export const VIPS = ["198.18.1.100", "198.18.1.101", "198.18.1.102", "198.18.1.103"] as const;

export type Step =
  | { ops: Operation[] }
  | { connect: { from: string; vip?: string }[] }
  | { sysctl: "expire_quiescent_template"; value: 0 | 1 };

export interface Scenario {
  name: string;
  port: number;
  steps: Step[];
}

const service = (
  vip: string,
  port: number,
  scheduler: Scheduler,
  extra: Partial<IpvsServiceConfig> = {},
): IpvsServiceConfig => ({
  protocol: "tcp",
  address: vip,
  port,
  family: "inet",
  scheduler,
  schedulerFlags: [] as SchedulerFlag[],
  ...extra,
});

const rs = (
  name: RealServerName,
  weight: number,
  extra: Partial<IpvsDestinationConfig> = {},
): IpvsDestinationConfig => ({
  address: REAL_SERVERS[name],
  port: 80,
  forwarding: "nat",
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});

/** Client source addresses the guest's client namespace owns. */
export const clientAddress = (i: number) => (i < 40 ? `198.18.1.${10 + i}` : `198.18.6.${10 + (i - 40)}`);

const times = (n: number, from = clientAddress(0), vip?: string) =>
  Array.from({ length: n }, () => (vip ? { from, vip } : { from }));
const spread = (n: number, first = 0) => Array.from({ length: n }, (_, i) => ({ from: clientAddress(first + i) }));

function scenario(
  name: string,
  port: number,
  scheduler: Scheduler,
  build: (svc: IpvsServiceConfig) => Step[],
  extra: Partial<IpvsServiceConfig> = {},
): Scenario {
  const svc = service(VIPS[0], port, scheduler, extra);
  return { name, port, steps: [{ ops: [{ op: "add-service", service: svc }] }, ...build(svc)] };
}

const add = (svc: IpvsServiceConfig, ...dests: IpvsDestinationConfig[]): Step => ({
  ops: dests.map((destination) => ({ op: "add-destination", service: svc, destination })),
});
const edit = (svc: IpvsServiceConfig, ...dests: IpvsDestinationConfig[]): Step => ({
  ops: dests.map((destination) => ({ op: "edit-destination", service: svc, destination })),
});
const del = (svc: IpvsServiceConfig, ...dests: IpvsDestinationConfig[]): Step => ({
  ops: dests.map((destination) => ({ op: "delete-destination", service: svc, destination })),
});

export const SCENARIOS: Scenario[] = [
  scenario("rr", 8001, "rr", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 1), rs("rs3", 1)),
    { connect: times(7) },
    edit(s, rs("rs2", 0)),
    { connect: times(4) },
    add(s, rs("rs4", 1)),
    { connect: times(5) },
    del(s, rs("rs3", 1)),
    { connect: times(4) },
    edit(s, rs("rs2", 1)),
    { connect: times(4) },
  ]),
  scenario("wrr-guide", 8002, "wrr", (s) => [
    add(s, rs("rs1", 3), rs("rs2", 1)),
    { connect: times(12) },
    add(s, rs("rs3", 2)),
    { connect: times(12) },
    edit(s, rs("rs1", 0)),
    { connect: times(6) },
    edit(s, rs("rs1", 4)),
    { connect: times(14) },
    del(s, rs("rs2", 1)),
    { connect: times(6) },
  ]),
  scenario("wrr-gcd", 8003, "wrr", (s) => [add(s, rs("rs1", 4), rs("rs2", 2), rs("rs3", 6)), { connect: times(14) }]),
  scenario("lc", 8004, "lc", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 1), rs("rs3", 1), rs("rs4", 1)),
    { connect: times(10) },
    edit(s, rs("rs3", 0)),
    { connect: times(5) },
  ]),
  scenario("wlc", 8005, "wlc", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 3), rs("rs4", 4)),
    { connect: times(20) },
  ]),
  scenario("sed", 8006, "sed", (s) => [add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 3)), { connect: times(6) }]),
  scenario("nq", 8007, "nq", (s) => [add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 3)), { connect: times(6) }]),
  scenario("fo", 8008, "fo", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 3), rs("rs3", 3)),
    { connect: times(3) },
    edit(s, rs("rs3", 0)),
    { connect: times(3) },
  ]),
  scenario("ovf", 8009, "ovf", (s) => [add(s, rs("rs1", 2), rs("rs2", 5)), { connect: times(4) }]),
  scenario("thresholds", 8010, "rr", (s) => [
    add(
      s,
      rs("rs1", 1, { upperThreshold: 2 }),
      rs("rs2", 1, { upperThreshold: 3 }),
      rs("rs3", 1, { upperThreshold: 4 }),
    ),
    { connect: times(11) },
  ]),
  scenario("sh", 8011, "sh", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 1), rs("rs4", 1)),
    { connect: spread(16) },
    edit(s, rs("rs2", 0)),
    { connect: spread(8) },
  ]),
  scenario(
    "sh-fallback-port",
    8012,
    "sh",
    (s) => [
      add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 1), rs("rs4", 0)),
      { connect: [...spread(6), ...times(6, clientAddress(1))] },
    ],
    { schedulerFlags: ["sh-fallback", "sh-port"] },
  ),
  scenario("mh", 8013, "mh", (s) => [
    add(s, rs("rs1", 1), rs("rs2", 2), rs("rs3", 1), rs("rs4", 1)),
    { connect: spread(16) },
    edit(s, rs("rs4", 0)),
    { connect: spread(8) },
  ]),
  scenario(
    "mh-fallback-port",
    8014,
    "mh",
    (s) => [
      add(s, rs("rs1", 1), rs("rs2", 1), rs("rs3", 1), rs("rs4", 0)),
      { connect: [...spread(6), ...times(6, clientAddress(1))] },
    ],
    { schedulerFlags: ["mh-fallback", "mh-port"] },
  ),
  ...(["dh", "lblc", "lblcr"] as const).map((scheduler, k): Scenario => {
    const port = 8015 + k;
    const services = VIPS.map((vip) => service(vip, port, scheduler));
    const dests = [rs("rs1", 1), rs("rs2", 2), rs("rs3", 1)];
    return {
      name: scheduler,
      port,
      steps: [
        {
          ops: services.flatMap((svc): Operation[] => [
            { op: "add-service", service: svc },
            ...dests.map((destination): Operation => ({ op: "add-destination", service: svc, destination })),
          ]),
        },
        { connect: [0, 1, 2, 3, 0, 0, 1, 3, 2, 2, 0, 1].map((v) => ({ from: clientAddress(v), vip: VIPS[v]! })) },
      ],
    };
  }),
  scenario(
    "persistence",
    8018,
    "wrr",
    (s) => [
      add(s, rs("rs1", 3), rs("rs2", 1)),
      { connect: [...spread(3), ...spread(3, 40), ...spread(2, 2)] },
      edit(s, rs("rs1", 0)),
      { connect: [...spread(2), ...spread(2, 40), ...spread(2, 20)] },
      { sysctl: "expire_quiescent_template", value: 1 },
      { connect: [...spread(2), ...spread(2, 40)] },
      { sysctl: "expire_quiescent_template", value: 0 },
      edit(s, rs("rs1", 3)),
      del(s, rs("rs2", 1)),
      { connect: [...spread(2), ...spread(2, 40)] },
    ],
    { persistence: { timeout: 60, netmask: 24 } },
  ),
];

/** Every connection of every scenario gets its own client port, in order: 20000, 20001, … */
export const FIRST_CLIENT_PORT = 20000;
