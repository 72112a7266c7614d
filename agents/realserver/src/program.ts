import { join } from "node:path";
import {
  type AgentProgram,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  type RoleStatus,
  SimHostDriver,
  StateFile,
  stockSimHost,
} from "@lvsfleet/agent-runtime";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { ARP_SYSCTLS, realServerIntent } from "./realdr.ts";

export const VERSION = "0.1.0";

/** The real-server agent: realdr start/stop and events. */
export const realServerProgram: AgentProgram = {
  role: "real-server",
  name: "lvsfleet-realserver",
  async create({ options, stateDir, log }) {
    if (options.driver !== "sim")
      throw new Error(`unknown driver ${JSON.stringify(options.driver)}; this real-server agent supports: sim`);
    const [address, prefix] = (options.address ?? "192.0.2.1/24").split("/");
    const host = new SimHostDriver(
      new StateFile(join(stateDir, "sim-host.json"), () =>
        stockSimHost(address ?? "192.0.2.1", Number(prefix ?? 24), options.interface),
      ),
    );
    return new HostAgent({
      info: { host: options.host, role: "real-server", driver: host.name, version: VERSION, startedAt: Date.now() },
      behaviour: {
        intent(config) {
          if (config.kind !== "real-server")
            throw new RpcError(
              GrpcStatus.INVALID_ARGUMENT,
              "this host runs the real-server agent: start it with a real_server config",
            );
          return realServerIntent(config.realServer);
        },
        table: () => undefined,
        reportedSysctls: Object.keys(ARP_SYSCTLS),
      },
      host,
      statusFile: new StateFile<RoleStatus>(join(stateDir, "role.json"), () => INITIAL_STATUS),
      ledgerFile: new StateFile<HostLedger>(join(stateDir, "ledger.json"), () => EMPTY_LEDGER),
      log,
    });
  },
};
