import { join } from "node:path";
import type { AgentOptions } from "@lvsfleet/agent-runtime";
import { type DataPlaneDriver, type HostDriver, SimHostDriver, StateFile, stockSimHost } from "@lvsfleet/agent-runtime";
import type { IpvsTable } from "@lvsfleet/model";
import { SimDataPlane } from "./sim.ts";

export const DRIVERS = ["sim"] as const;

/** The data plane and host drivers for --driver. Throws with the list of drivers when unknown. */
export function selectDrivers(
  options: AgentOptions,
  stateDir: string,
): { dataPlane: DataPlaneDriver; host: HostDriver } {
  switch (options.driver) {
    case "sim": {
      const [address, prefix] = (options.address ?? "192.0.2.1/24").split("/");
      const hostFile = new StateFile(join(stateDir, "sim-host.json"), () =>
        stockSimHost(address ?? "192.0.2.1", Number(prefix ?? 24), options.interface),
      );
      const tableFile = new StateFile<IpvsTable>(join(stateDir, "sim-ipvs.json"), () => ({ services: [] }));
      return { dataPlane: new SimDataPlane(tableFile), host: new SimHostDriver(hostFile) };
    }
    default:
      throw new Error(
        `unknown driver ${JSON.stringify(options.driver)}; this director supports: ${DRIVERS.join(", ")}`,
      );
  }
}
