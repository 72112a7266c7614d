import { type ChildProcess, spawn } from "node:child_process";
import type { HostDriver } from "@lvsfleet/agent-runtime";

/** Addresses are read again this often even without a netlink notice (a safety net). */
const RESCAN_MS = 5_000;
/** Notices that come together (keepalived adds several addresses at once) are read once. */
const DEBOUNCE_MS = 5;

/**
 * Which of the cluster's VIPs this host holds, kept current: `ip -o monitor address` tells at once
 * when an address comes or goes (keepalived taking over, an operator's `ip addr add`), and the
 * host's addresses are then read again. Without a monitor (the sim driver) it only rescans.
 */
export class VipWatcher {
  private held: string[] = [];
  private monitor: ChildProcess | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private vips: string[] = [];
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: HostDriver,
    private readonly onChange: (held: string[], before: string[]) => void,
    private readonly options: { monitor: boolean; rescanMs?: number } = { monitor: true },
  ) {}

  /** Watches these VIPs from now on (and reads the host at once). */
  async watch(vips: string[]): Promise<void> {
    this.vips = [...vips];
    if (this.vips.length === 0) return this.stop();
    if (!this.rescan) {
      this.rescan = setInterval(() => this.schedule(), this.options.rescanMs ?? RESCAN_MS);
      this.rescan.unref();
    }
    if (this.options.monitor && !this.monitor) this.startMonitor();
    await this.read();
  }

  private startMonitor(): void {
    const child = spawn("ip", ["-o", "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout?.on("data", () => this.schedule());
    child.once("error", () => undefined);
    child.once("exit", () => {
      if (this.monitor !== child) return;
      this.monitor = undefined;
      // a monitor that died is started again while there is something to watch
      if (this.rescan) setTimeout(() => this.rescan && !this.monitor && this.startMonitor(), 1_000).unref();
    });
    child.unref();
    this.monitor = child;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.read();
    }, DEBOUNCE_MS);
    this.pending.unref();
  }

  /** Reads the host's addresses (one read at a time) and reports a change. */
  read(): Promise<void> {
    this.reading = this.reading.then(async () => {
      try {
        const addresses = await this.host.addresses();
        const held = this.vips.filter((vip) => addresses.some((a) => a.address === vip));
        if (held.join(",") !== this.held.join(",")) {
          const before = this.held;
          this.held = held;
          this.onChange(held, before);
        }
      } catch {}
    });
    return this.reading;
  }

  current(): string[] {
    return [...this.held];
  }

  stop(): void {
    clearInterval(this.rescan);
    clearTimeout(this.pending);
    this.rescan = undefined;
    this.pending = undefined;
    const monitor = this.monitor;
    this.monitor = undefined;
    monitor?.kill();
  }
}
