import { join } from "node:path";
import { type AgentOptions, type HostDriver, SimHostDriver, StateFile, stockSimHost } from "@lvsfleet/agent-runtime";
import { LinuxHostDriver } from "@lvsfleet/hostops";

export const HOST_DRIVERS = ["sim", "linux"] as const;

/**
 * The host a real-server agent works on: `sim` (in memory, saved in the state directory) or
 * `linux` (this host, through iproute2 and /proc/sys). Throws with the list when unknown.
 */
export function selectHostDriver(options: AgentOptions, stateDir: string): HostDriver {
  switch (options.driver) {
    case "sim": {
      const [address, prefix] = (options.address ?? "192.0.2.1/24").split("/");
      return new SimHostDriver(
        new StateFile(join(stateDir, "sim-host.json"), () =>
          stockSimHost(address ?? "192.0.2.1", Number(prefix ?? 24), options.interface),
        ),
      );
    }
    case "linux":
      return new LinuxHostDriver();
    default:
      throw new Error(
        `unknown driver ${JSON.stringify(options.driver)}; this real-server agent supports: ${HOST_DRIVERS.join(", ")}`,
      );
  }
}
