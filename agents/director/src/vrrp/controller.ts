import type { ExtensionHost, HostDriver } from "@lvsfleet/agent-runtime";
import type { ClusterSpec, Director, HostChange, VrrpState, VrrpStatus } from "@lvsfleet/model";
import type { Logger } from "pino";
import { type KeepalivedFiles, renderVrrpConfig, vrrpVips } from "./config.ts";
import { switchSyncDaemon } from "./ipvs-sync.ts";
import { KeepalivedProcess } from "./keepalived.ts";
import { NotifyFifo, type NotifyLine } from "./notify.ts";
import { notifyScripts, type VrrpTransition } from "./notify-scripts.ts";
import { simulatedMaster } from "./static-vips.ts";
import { VipWatcher } from "./vip-watch.ts";

/** A keepalived that keeps dying is started again after 100 ms, 200 ms, … up to 5 s. */
const RESTART_MAX_MS = 5_000;
/** Alive this long: the next death counts as the first again. */
const STABLE_MS = 30_000;

export interface VrrpControllerOptions {
  /** keepalived: run the real one; simulated: the sim driver (state from the spec, nothing runs). */
  mode: "keepalived" | "simulated";
  binary: string;
  files: KeepalivedFiles;
  /** The host the VIPs live on (to remove what a killed keepalived left behind). */
  host: HostDriver;
  events: ExtensionHost;
  log: Logger;
  /** The data plane's name: with `ipvs`, each transition switches the kernel's connection-sync daemon. */
  dataPlane: string;
  /**
   * Runs a notify script by name from the agent's allowlist (real drivers). keepalived's own
   * configuration names no script: the agent runs them on the transitions keepalived reports.
   * Absent (sim): no script runs.
   */
  runNotify?: ((name: string, values: Record<string, string>) => void) | undefined;
}

/**
 * The director's side of VRRP. It renders the VRRP-only keepalived.conf from the spec, runs and
 * supervises keepalived (start, reload on change, stop), learns each instance's state from
 * keepalived's notify FIFO and streams it (`vrrp:<instance>` state events), watches which VIPs the
 * host holds (`vip:<address>` events, the server's split-brain check). When keepalived dies
 * without being asked to, the VIPs it left on the interface are removed at once (the other
 * director takes them; two holders would both answer ARP) and keepalived is started again.
 */
export class VrrpController {
  private readonly instances = new Map<string, VrrpStatus>();
  private readonly process: KeepalivedProcess;
  private readonly fifo: NotifyFifo;
  private readonly watcher: VipWatcher;
  private spec: ClusterSpec | undefined;
  private director: Director | undefined;
  private deaths = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(private readonly options: VrrpControllerOptions) {
    this.process = new KeepalivedProcess({
      binary: options.binary,
      files: options.files,
      log: options.log,
      onExit: (detail) => void this.onDied(detail),
    });
    this.fifo = new NotifyFifo(options.files.fifo, (line) => this.onNotify(line));
    this.watcher = new VipWatcher(options.host, (held, before) => this.onVips(held, before), {
      monitor: options.mode === "keepalived",
      ...(options.mode === "simulated" ? { rescanMs: 1_000 } : {}),
    });
  }

  /** Takes up (or follows a change of) VRRP for this director; stops it when the spec has none. */
  async configure(spec: ClusterSpec | undefined, director: Director | undefined): Promise<HostChange[]> {
    if (!spec?.vrrp || !director) return this.active ? this.stop() : [];
    this.spec = spec;
    this.director = director;
    this.active = true;
    const now = Date.now();
    const names = new Set(spec.vrrp.instances.map((i) => i.name));
    for (const name of this.instances.keys()) if (!names.has(name)) this.instances.delete(name);
    for (const instance of spec.vrrp.instances) {
      const known = this.instances.get(instance.name);
      this.instances.set(instance.name, {
        instance: instance.name,
        state: known?.state ?? "UNKNOWN",
        since: known?.since ?? now,
        vips: [...instance.vips],
        priority: director.priority,
        process: this.options.mode === "simulated" ? "simulated" : (known?.process ?? "starting"),
        ...(known?.detail ? { detail: known.detail } : {}),
      });
    }
    const changes: HostChange[] = [];
    let adopted = false;
    if (this.options.mode === "simulated") this.simulate(spec, director);
    else {
      await this.process.prepare();
      this.fifo.open();
      const { text } = renderVrrpConfig(spec, director, this.options.files.fifo);
      const change = await this.process.apply(text);
      if (change === "started" || change === "adopted") {
        this.startedAt = Date.now();
        this.setProcess("running");
      }
      adopted = change === "adopted";
      if (change !== "unchanged")
        changes.push({
          kind: "keepalived",
          description: `keepalived ${change} (VRRP only: ${spec.vrrp.instances.map((i) => `${i.name} vrid ${i.virtualRouterId} priority ${director.priority}`).join(", ")}; ${this.options.files.conf})`,
        });
    }
    await this.watcher.watch(vrrpVips(spec));
    // an adopted keepalived says nothing until its next transition: its VIPs tell where it stands
    if (adopted)
      for (const status of this.instances.values())
        if (status.state === "UNKNOWN")
          this.setState(
            status,
            status.vips.every((vip) => this.watcher.current().includes(vip)) ? "MASTER" : "BACKUP",
            "adopted a running keepalived: state from the VIPs held",
          );
    return changes;
  }

  /** The sim driver: the highest-priority director is MASTER (the master by role on a tie). */
  private simulate(spec: ClusterSpec, director: Director): void {
    const state: VrrpState = simulatedMaster(spec) === director.host ? "MASTER" : "BACKUP";
    for (const status of this.instances.values()) this.setState(status, state, "simulated (sim driver)");
  }

  /** Gives VRRP up: keepalived stops (the other director takes the VIPs), and nothing it held stays. */
  async stop(): Promise<HostChange[]> {
    if (!this.active) return [];
    this.active = false;
    clearTimeout(this.restartTimer);
    const changes: HostChange[] = [];
    if (this.options.mode === "keepalived") {
      const was = this.process.running;
      await this.process.stop();
      if (was) changes.push({ kind: "keepalived", description: "keepalived stopped (its VIPs released)" });
      changes.push(...(await this.removeVips("left after keepalived stopped")));
      this.fifo.close();
    }
    const priority = this.director?.priority ?? 0;
    for (const status of this.instances.values()) {
      if (status.state !== "STOP") this.runNotify({ kind: "INSTANCE", name: status.instance, state: "STOP", priority });
      this.setState(status, "STOP", "VRRP stopped with the role");
      status.process = "stopped";
    }
    const group = this.spec?.vrrp?.syncGroup;
    if (group) this.runNotify({ kind: "GROUP", name: group.name, state: "STOP", priority });
    this.watcher.stop();
    return changes;
  }

  private setProcess(process: VrrpStatus["process"], detail?: string): void {
    for (const status of this.instances.values()) {
      status.process = process;
      if (detail !== undefined) status.detail = detail;
    }
  }

  private setState(status: VrrpStatus, state: VrrpState, detail: string): void {
    if (status.state === state) return;
    const from = status.state;
    status.state = state;
    status.since = Date.now();
    status.detail = detail;
    this.options.log.info({ instance: status.instance, from, to: state, detail }, "VRRP state changed");
    this.options.events.publish({ type: "state", subject: `vrrp:${status.instance}`, from, to: state, detail });
  }

  /** The notify scripts of a transition, each run from the allowlist (never with the sim driver). */
  private runNotify(transition: VrrpTransition): void {
    if (!this.options.runNotify) return;
    for (const { name, values } of notifyScripts(this.spec, transition)) this.options.runNotify(name, values);
  }

  private onNotify(line: NotifyLine): void {
    if (!this.active) return;
    if (line.kind === "GROUP") {
      if (this.spec?.vrrp?.syncGroup?.name === line.name) this.runNotify(line);
      return;
    }
    const status = this.instances.get(line.name);
    if (!status) return;
    this.setState(status, line.state, `keepalived: priority ${line.priority}`);
    this.runNotify(line);
    const instance = this.spec?.vrrp?.instances.find((i) => i.name === line.name);
    if (this.options.dataPlane === "ipvs" && instance && this.director)
      void switchSyncDaemon(line.state, instance.interface ?? this.director.interface, instance.virtualRouterId).then(
        (problems) => {
          for (const problem of problems) this.options.log.warn({ instance: line.name }, problem);
        },
      );
  }

  private onVips(held: string[], before: string[]): void {
    for (const vip of held.filter((v) => !before.includes(v)))
      this.options.events.publish({
        type: "state",
        subject: `vip:${vip}`,
        from: "absent",
        to: "held",
        detail: "on this host",
      });
    for (const vip of before.filter((v) => !held.includes(v)))
      this.options.events.publish({
        type: "state",
        subject: `vip:${vip}`,
        from: "held",
        to: "absent",
        detail: "off this host",
      });
  }

  /** Removes the VRRP VIPs from this host's interfaces (what a dead keepalived left behind). */
  private async removeVips(why: string): Promise<HostChange[]> {
    const vips = vrrpVips(this.spec);
    const changes: HostChange[] = [];
    for (const address of await this.options.host.addresses().catch(() => []))
      if (vips.includes(address.address))
        try {
          await this.options.host.removeAddress(address);
          changes.push({
            kind: "remove-address",
            description: `del ${address.address}/${address.prefixLength} dev ${address.interface} (${why})`,
          });
        } catch (error) {
          this.options.log.error({ err: (error as Error).message, vip: address.address }, "cannot remove a VIP");
        }
    void this.watcher.read();
    return changes;
  }

  /** keepalived died: its VIPs go at once (the other director takes over), then it is started again. */
  private async onDied(detail: string): Promise<void> {
    if (!this.active) return;
    const removed = await this.removeVips(`keepalived ${detail}`);
    this.options.log.warn({ detail, removed: removed.map((c) => c.description) }, "keepalived died");
    for (const status of this.instances.values())
      this.setState(status, "FAULT", `keepalived ${detail}; ${removed.length} VIP(s) it left removed; restarting`);
    this.setProcess("restarting");
    this.deaths = Date.now() - this.startedAt > STABLE_MS ? 1 : this.deaths + 1;
    const delay = Math.min(RESTART_MAX_MS, 100 * 2 ** (this.deaths - 1));
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
    this.restartTimer.unref();
  }

  private async restart(): Promise<void> {
    if (!this.active || !this.spec || !this.director) return;
    try {
      await this.configure(this.spec, this.director);
      this.setProcess("running", "restarted after it died");
    } catch (error) {
      this.options.log.error({ err: (error as Error).message }, "cannot restart keepalived");
      void this.onDied(`could not be restarted: ${(error as Error).message}`);
    }
  }

  status(): VrrpStatus[] {
    return [...this.instances.values()].map((s) => ({ ...s, vips: [...s.vips] }));
  }

  held(): string[] {
    return this.watcher.current();
  }

  get enabled(): boolean {
    return this.active;
  }

  /** The agent exits: keepalived keeps running (fail static); this process stops watching. */
  close(): void {
    clearTimeout(this.restartTimer);
    this.process.detach();
    this.fifo.close();
    this.watcher.stop();
  }
}
