import type { Operation } from "@lvsfleet/model";

/** Every operation the planner emits, in one batch (recorded in the guest as restore.Sn.txt). */
export const RESTORE_OPERATIONS: Operation[] = (() => {
  const web = {
    protocol: "tcp" as const,
    address: "192.168.1.229",
    port: 80,
    family: "inet" as const,
    scheduler: "wrr" as const,
    schedulerFlags: [],
    persistence: { timeout: 60, netmask: 32 },
  };
  const dns = { ...web, protocol: "udp" as const, port: 53, scheduler: "rr" as const, persistence: undefined };
  const mark = {
    protocol: "fwmark" as const,
    fwmark: 5,
    family: "inet6" as const,
    scheduler: "sh" as const,
    schedulerFlags: ["sh-port" as const],
  };
  const rs = (address: string, port: number, weight: number) => ({
    address,
    port,
    forwarding: "dr" as const,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  return [
    { op: "add-service", service: web },
    { op: "add-destination", service: web, destination: rs("192.168.1.220", 80, 3) },
    { op: "add-destination", service: web, destination: rs("192.168.1.231", 80, 1) },
    { op: "add-service", service: dns },
    { op: "add-destination", service: dns, destination: { ...rs("192.168.1.220", 53, 1), forwarding: "nat" } },
    { op: "add-service", service: mark },
    {
      op: "add-destination",
      service: mark,
      destination: {
        ...rs("2001:db8::5", 0, 2),
        forwarding: "tun",
        tunnel: { type: "gue", port: 6080, checksum: "csum" },
      },
    },
    { op: "edit-service", service: { ...web, scheduler: "wlc", persistence: { timeout: 120, netmask: 24 } } },
    {
      op: "edit-destination",
      service: web,
      destination: { ...rs("192.168.1.231", 80, 0), upperThreshold: 50, lowerThreshold: 5 },
    },
    { op: "delete-destination", service: dns, destination: { ...rs("192.168.1.220", 53, 1), forwarding: "nat" } },
    { op: "delete-service", service: dns },
  ];
})();
