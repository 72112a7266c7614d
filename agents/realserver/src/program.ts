import { join } from "node:path";
import {
  type AgentProgram,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  loadActions,
  type RoleStatus,
  runAllowedAction,
  StateFile,
} from "@lvsfleet/agent-runtime";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { realServerDoctor } from "./doctor.ts";
import { selectHostDriver } from "./host.ts";
import { ARP_SYSCTLS, configErrors, realServerIntent } from "./realdr.ts";

export const VERSION = "0.1.0";

/** The real-server agent: realdr start/stop, its doctor, and events. */
export const realServerProgram: AgentProgram = {
  role: "real-server",
  name: "lvsfleet-realserver",
  async create({ options, stateDir, log }) {
    const host = selectHostDriver(options, stateDir);
    // The operator's allowlist of actions (rolling jobs run them by name); read once, at start.
    const actions = options.actionsFile ? loadActions(options.actionsFile) : undefined;
    if (actions) log.info({ actions: Object.keys(actions.actions) }, "actions the server may run");
    return new HostAgent({
      info: { host: options.host, role: "real-server", driver: host.name, version: VERSION, startedAt: Date.now() },
      behaviour: {
        intent(config) {
          if (config.kind !== "real-server")
            throw new RpcError(
              GrpcStatus.INVALID_ARGUMENT,
              "this host runs the real-server agent: start it with a real_server config",
            );
          const errors = configErrors(config.realServer);
          if (errors.length > 0) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, errors.join("; "));
          return realServerIntent(config.realServer);
        },
        table: () => undefined,
        reportedSysctls: Object.keys(ARP_SYSCTLS),
        doctor: realServerDoctor,
      },
      host,
      statusFile: new StateFile<RoleStatus>(join(stateDir, "role.json"), () => INITIAL_STATUS),
      ledgerFile: new StateFile<HostLedger>(join(stateDir, "ledger.json"), () => EMPTY_LEDGER),
      log,
      ...(actions ? { runAction: (name: string) => runAllowedAction(actions, name, log) } : {}),
    });
  },
};
