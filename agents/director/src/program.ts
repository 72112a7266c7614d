import { join } from "node:path";
import {
  type AgentProgram,
  type DataPlaneDriver,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  type RoleBehaviour,
  type RoleStatus,
  StateFile,
} from "@lvsfleet/agent-runtime";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { directorDoctor } from "./doctor.ts";
import { selectDrivers } from "./drivers/select.ts";
import { DirectorFailover } from "./health/extension.ts";
import { ProbeGuard } from "./health/probe-guard.ts";
import { directorIntent } from "./lvsdr.ts";
import { withStaticVips } from "./vrrp/static-vips.ts";

export const VERSION = "0.1.0";

function directorBehaviour(iface: string, dataPlane: DataPlaneDriver, hostName: string): RoleBehaviour {
  // VIPs a VRRP instance carries are keepalived's to move: lvsdr and its doctor leave them alone.
  const simulated = dataPlane.name === "sim";
  const doctor = directorDoctor(dataPlane);
  return {
    intent(config, dataPlane) {
      if (config.kind !== "director")
        throw new RpcError(
          GrpcStatus.INVALID_ARGUMENT,
          "this host runs the director agent: start it with a director config",
        );
      return directorIntent(
        withStaticVips(config.director, hostName, simulated),
        dataPlane?.requiredSysctls(config.director.desired) ?? {},
      );
    },
    table(config) {
      return config.kind === "director"
        ? { desired: config.director.desired, generation: config.director.generation }
        : undefined;
    },
    reportedSysctls: [
      "net.ipv4.ip_forward",
      "net.ipv6.conf.all.forwarding",
      `net.ipv4.conf.${iface}.send_redirects`,
      "net.ipv4.vs.conn_reuse_mode",
      "net.ipv4.vs.expire_nodest_conn",
      "net.ipv4.vs.expire_quiescent_template",
    ],
    doctor: {
      sysctls: (config) => doctor.sysctls(config),
      check: (input) =>
        doctor.check(
          input.config?.kind === "director"
            ? {
                ...input,
                config: { kind: "director", director: withStaticVips(input.config.director, hostName, simulated) },
              }
            : input,
        ),
    },
  };
}

/** The director agent: lvsdr start/stop, the IPVS table, events. */
export const directorProgram: AgentProgram = {
  role: "director",
  name: "lvsfleet-director",
  async create({ options, stateDir, log }) {
    const { dataPlane, host } = selectDrivers(options, stateDir);
    await dataPlane.init();
    // Health checks reach only these networks (LVSFLEET_PROBE_NETWORKS); keepalived is LVSFLEET_KEEPALIVED.
    const guard = ProbeGuard.fromEnv(process.env.LVSFLEET_PROBE_NETWORKS);
    const keepalived = process.env.LVSFLEET_KEEPALIVED || "/usr/sbin/keepalived";
    const agent = new HostAgent({
      info: { host: options.host, role: "director", driver: dataPlane.name, version: VERSION, startedAt: Date.now() },
      behaviour: directorBehaviour(options.interface, dataPlane, options.host),
      host,
      dataPlane,
      statusFile: new StateFile<RoleStatus>(join(stateDir, "role.json"), () => INITIAL_STATUS),
      ledgerFile: new StateFile<HostLedger>(join(stateDir, "ledger.json"), () => EMPTY_LEDGER),
      log,
      extension: (events) =>
        new DirectorFailover(
          { hostName: options.host, driver: dataPlane.name, host, stateDir, log, guard, keepalived },
          events,
        ),
    });
    // a restarted agent picks its health checks up again and adopts (or restarts) its keepalived
    await agent.resume();
    return agent;
  },
};
