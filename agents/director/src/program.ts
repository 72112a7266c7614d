import { join, resolve } from "node:path";
import {
  type AgentProgram,
  type DataPlaneDriver,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  loadActions,
  type RoleBehaviour,
  type RoleStatus,
  StateFile,
} from "@lvsfleet/agent-runtime";
import { desiredStateTable } from "@lvsfleet/model";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { directorDoctor } from "./doctor.ts";
import { selectDrivers } from "./drivers/select.ts";
import { DirectorFailover } from "./health/extension.ts";
import { ProbeGuard } from "./health/probe-guard.ts";
import { directorIntent } from "./lvsdr.ts";
import { DirectorScripts } from "./scripts/allowlist.ts";
import { withStaticVips } from "./vrrp/static-vips.ts";

export const VERSION = "0.1.0";

function directorBehaviour(
  iface: string,
  dataPlane: DataPlaneDriver,
  hostName: string,
  scripts: DirectorScripts,
): RoleBehaviour {
  // VIPs a VRRP instance carries are keepalived's to move: lvsdr and its doctor leave them alone.
  const simulated = dataPlane.name === "sim";
  const doctor = directorDoctor(dataPlane, scripts);
  return {
    intent(config, dataPlane) {
      if (config.kind !== "director")
        throw new RpcError(
          GrpcStatus.INVALID_ARGUMENT,
          "this host runs the director agent: start it with a director config",
        );
      return directorIntent(
        withStaticVips(config.director, hostName, simulated),
        dataPlane?.requiredSysctls(desiredStateTable(config.director)) ?? {},
      );
    },
    table(config) {
      return config.kind === "director"
        ? { desired: desiredStateTable(config.director), generation: config.director.generation }
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
    scripts: scripts.report,
    doctor: {
      sysctls: (config) => doctor.sysctls(config),
      spec: (spec) => doctor.spec?.(spec) ?? [],
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
    // The operator's allowlist of scripts the cluster spec may name (misc checks, quorum, notify),
    // read once at start; without --actions-file scripts are off.
    const file = options.actionsFile ? resolve(options.actionsFile) : undefined;
    const allowlist = file ? loadActions(file) : undefined;
    const scripts = new DirectorScripts(file, allowlist?.scripts);
    if (file)
      log.info({ file, scripts: scripts.report.scripts.map((s) => s.name) }, "scripts the cluster spec may name");
    if (allowlist && Object.keys(allowlist.actions).length > 0)
      log.warn({ file }, "the actions section is for real-server agents: this director runs none of them");
    const { dataPlane, host } = selectDrivers(options, stateDir);
    await dataPlane.init();
    // Health checks reach only these networks (LVSFLEET_PROBE_NETWORKS); keepalived is LVSFLEET_KEEPALIVED.
    const guard = ProbeGuard.fromEnv(process.env.LVSFLEET_PROBE_NETWORKS);
    const keepalived = process.env.LVSFLEET_KEEPALIVED || "/usr/sbin/keepalived";
    const agent = new HostAgent({
      info: { host: options.host, role: "director", driver: dataPlane.name, version: VERSION, startedAt: Date.now() },
      behaviour: directorBehaviour(options.interface, dataPlane, options.host, scripts),
      host,
      dataPlane,
      statusFile: new StateFile<RoleStatus>(join(stateDir, "role.json"), () => INITIAL_STATUS),
      ledgerFile: new StateFile<HostLedger>(join(stateDir, "ledger.json"), () => EMPTY_LEDGER),
      log,
      readbackIntervalMs: options.readbackInterval * 1000,
      extension: (events) =>
        new DirectorFailover(
          { hostName: options.host, driver: dataPlane.name, host, stateDir, log, guard, keepalived, scripts },
          events,
        ),
    });
    // a restarted agent picks its health checks up again and adopts (or restarts) its keepalived
    await agent.resume();
    return agent;
  },
};
