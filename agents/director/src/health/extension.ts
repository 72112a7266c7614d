import type { ExtensionHost, HostDriver, RoleExtension, RoleUpdate } from "@lvsfleet/agent-runtime";
import {
  type FailoverBeat,
  type FailoverReport,
  formatEndpoint,
  type HostChange,
  type IpvsTable,
  type RealServerHealth,
  type SimulatedHealthChange,
} from "@lvsfleet/model";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import type { Logger } from "pino";
import type { DirectorScripts } from "../scripts/allowlist.ts";
import { runNamedScript } from "../scripts/named.ts";
import { keepalivedFiles } from "../vrrp/config.ts";
import { VrrpController } from "../vrrp/controller.ts";
import { HealthMonitor } from "./monitor.ts";
import type { ProbeGuard } from "./probe-guard.ts";
import { realProber, simProber } from "./probers.ts";
import { SimulatedHealth } from "./sim-probe.ts";

export interface DirectorFailoverOptions {
  /** This director's host name (how it finds itself among the spec's directors). */
  hostName: string;
  /** The data plane: `sim` simulates health and VRRP; the others check and run keepalived for real. */
  driver: string;
  host: HostDriver;
  stateDir: string;
  log: Logger;
  guard: ProbeGuard;
  keepalived: string;
  /** The agent's own allowlist: the only programs a spec's misc checks, quorum and notify scripts can run. */
  scripts: DirectorScripts;
}

/**
 * The director's health checks and VRRP as one role extension: effective() overlays the health
 * decisions on the desired table, configure() follows the spec (checks and keepalived), stop()
 * gives both up. With the sim driver nothing is probed and nothing runs: health is simulated
 * (SetSimulatedHealth) and VRRP follows the spec's priorities.
 */
export class DirectorFailover implements RoleExtension {
  private readonly monitor: HealthMonitor;
  private readonly vrrp: VrrpController;
  private readonly simulated: SimulatedHealth | undefined;

  constructor(
    private readonly options: DirectorFailoverOptions,
    events: ExtensionHost,
  ) {
    const sim = options.driver === "sim";
    this.simulated = sim ? new SimulatedHealth() : undefined;
    this.monitor = new HealthMonitor({
      prober: this.simulated ? simProber(this.simulated) : realProber(options.guard, options.scripts),
      host: events,
      log: options.log,
      // the sim driver runs no script: it only checks names (the doctor, Start and Apply refuse unknown ones)
      ...(sim
        ? {}
        : {
            runScript: (name: string, values: Record<string, string>) =>
              void runNamedScript(options.scripts, options.log, name, "quorum", values),
          }),
    });
    this.vrrp = new VrrpController({
      mode: sim ? "simulated" : "keepalived",
      binary: options.keepalived,
      files: keepalivedFiles(options.stateDir),
      host: options.host,
      events,
      log: options.log,
      dataPlane: options.driver,
      ...(sim
        ? {}
        : {
            runNotify: (name: string, values: Record<string, string>) =>
              void runNamedScript(options.scripts, options.log, name, "notify", values),
          }),
    });
  }

  effective(desired: IpvsTable): IpvsTable {
    return this.monitor.effective(desired);
  }

  async configure(update: RoleUpdate): Promise<HostChange[]> {
    this.monitor.configure(update.spec, update.desired);
    const director = update.spec?.directors.find((d) => d.host === this.options.hostName);
    return this.vrrp.configure(update.spec, director);
  }

  async stop(): Promise<HostChange[]> {
    this.monitor.stop();
    return this.vrrp.stop();
  }

  async report(): Promise<FailoverReport> {
    const health = this.monitor.report();
    return { ...health, vrrp: this.vrrp.status(), vipsHeld: this.vrrp.held() };
  }

  beat(): FailoverBeat | undefined {
    if (!this.monitor.active && !this.vrrp.enabled) return undefined;
    return {
      vipsHeld: this.vrrp.held(),
      vrrp: this.vrrp.status().map((s) => ({ instance: s.instance, state: s.state })),
      realServersDown: this.monitor.down(),
    };
  }

  async setSimulatedHealth(change: SimulatedHealthChange): Promise<RealServerHealth[]> {
    if (!this.simulated)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `this director runs the ${this.options.driver} data plane: its real servers are checked for real, not simulated`,
      );
    const endpoint = formatEndpoint(change.address, change.port);
    const matches = (rs: RealServerHealth) =>
      rs.address === change.address && rs.port === change.port && (!change.service || rs.service === change.service);
    const known = this.monitor.report().realServers.filter((rs) => matches(rs) && rs.action !== "sorry");
    if (known.length === 0)
      throw new RpcError(
        GrpcStatus.NOT_FOUND,
        `no virtual service${change.service ? ` named ${change.service}` : ""} has the real server ${endpoint}; nothing changed`,
      );
    const policies = this.policiesFor(change);
    if (policies === 0)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `${endpoint} has no health checks in the spec: add healthChecks to the real server to simulate its failure`,
      );
    this.simulated.set(change);
    return this.monitor.report().realServers.filter(matches);
  }

  /** How many checks the applied spec has on that real server. */
  private policiesFor(change: SimulatedHealthChange): number {
    return this.monitor
      .currentPolicies()
      .filter((s) => !change.service || s.name === change.service)
      .flatMap((s) => s.realServers)
      .filter((rs) => rs.address === change.address && rs.port === change.port)
      .reduce((n, rs) => n + rs.checks.length, 0);
  }

  async close(): Promise<void> {
    this.monitor.stop();
    this.vrrp.close();
  }
}
