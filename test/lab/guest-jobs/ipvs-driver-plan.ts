import type { IpvsTable } from "@lvsfleet/model";

/**
 * What the ipvs-driver guest job does, shared by the job (which runs it in the guest) and the
 * guest tier's test (which checks what the kernel read back against it). The addresses and the
 * namespace names must match ipvs-driver.sh; they are distinct from the other guest jobs' so
 * that all of them can run in one boot.
 */
export const VIP = "198.18.11.100";
export const REAL_SERVERS = ["198.18.12.2", "198.18.13.2"] as const;
/** The client's network namespace in the guest. */
export const CLIENT_NS = "ipvsd-client";

export function table(forwarding: "nat" | "dr", weights: number[]): IpvsTable {
  return {
    services: [
      {
        protocol: "tcp",
        address: VIP,
        port: 80,
        family: "inet",
        scheduler: "wrr",
        schedulerFlags: [],
        destinations: REAL_SERVERS.map((address, i) => ({
          address,
          port: 80,
          forwarding,
          weight: weights[i] ?? 0,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        })),
      },
    ],
  };
}

export interface Step {
  name: string;
  desired: IpvsTable;
  /** HTTP requests from the client after the step (each a new connection); 0: none. */
  requests: number;
}

/** Each step: plan against -Sn, one ipvsadm -R, read back, re-plan (must be empty), traffic. */
export const STEPS: Step[] = [
  { name: "nat-wrr-3:1", desired: table("nat", [3, 1]), requests: 12 },
  { name: "nat-wrr-3:1-again", desired: table("nat", [3, 1]), requests: 0 },
  { name: "dr-wrr-3:1", desired: table("dr", [3, 1]), requests: 12 },
  { name: "dr-wrr-1:1", desired: table("dr", [1, 1]), requests: 12 },
  { name: "dr-weight-0", desired: table("dr", [1, 0]), requests: 12 },
  { name: "empty", desired: { services: [] }, requests: 0 },
];
