import { join } from "node:path";
import type { AgentOptions } from "@lvsfleet/agent-runtime";
import {
  type DataPlaneDriver,
  type HostDriver,
  SimDataPlane,
  SimHostDriver,
  StateFile,
  stockSimHost,
} from "@lvsfleet/agent-runtime";
import { LinuxHostDriver } from "@lvsfleet/hostops";
import type { IpvsTable } from "@lvsfleet/model";
import { IpvsDataPlane } from "./ipvs.ts";
import { parseIpvsSysctl } from "./ipvs-sysctls.ts";
import { NftablesDataPlane } from "./nftables.ts";

export const DRIVERS = ["sim", "nftables", "ipvs"] as const;

/**
 * The data plane and host drivers for --driver: `sim` (both simulated, the demo's default),
 * `nftables` (LVS-DR/NAT from nftables on this host, for kernels without ip_vs) or `ipvs`
 * (kernel IPVS through ipvsadm). The real ones work on this host through iproute2 and /proc/sys.
 * Throws with the list of drivers when unknown.
 */
export function selectDrivers(
  options: AgentOptions,
  stateDir: string,
): { dataPlane: DataPlaneDriver; host: HostDriver } {
  if (options.simTraffic && options.driver !== "sim")
    throw new Error(`--sim-traffic simulates clients for the sim driver only, not ${options.driver}`);
  switch (options.driver) {
    case "sim": {
      const [address, prefix] = (options.address ?? "192.0.2.1/24").split("/");
      const hostFile = new StateFile(join(stateDir, "sim-host.json"), () =>
        stockSimHost(address ?? "192.0.2.1", Number(prefix ?? 24), options.interface),
      );
      const tableFile = new StateFile<IpvsTable>(join(stateDir, "sim-ipvs.json"), () => ({ services: [] }));
      return {
        dataPlane: new SimDataPlane(tableFile, { load: options.simTraffic, backgroundTickMs: 1_000 }),
        host: new SimHostDriver(hostFile),
      };
    }
    case "nftables":
      return { dataPlane: new NftablesDataPlane({ device: options.interface }), host: new LinuxHostDriver() };
    case "ipvs":
      return {
        dataPlane: new IpvsDataPlane({ sysctls: Object.fromEntries(options.ipvsSysctl.map(parseIpvsSysctl)) }),
        host: new LinuxHostDriver(),
      };
    default:
      throw new Error(
        `unknown driver ${JSON.stringify(options.driver)}; this director supports: ${DRIVERS.join(", ")}`,
      );
  }
}
