import type { DataPlaneDriver, DataPlaneSupport } from "@lvsfleet/agent-runtime";
import {
  type CommandRunner,
  ExecRunner,
  HostCommandError,
  ipvsadmList,
  ipvsadmRestore,
  ipvsadmSave,
  ipvsSupport,
  kernelRelease,
} from "@lvsfleet/hostops";
import { parseSave, renderRestore } from "@lvsfleet/ipvs";
import type { IpvsTable, Operation } from "@lvsfleet/model";
import { parseListingNumbers, withListingNumbers } from "./ipvs-listing.ts";
import { safeIpvsSysctls } from "./ipvs-sysctls.ts";

export interface IpvsOptions {
  runner?: CommandRunner | undefined;
  /** The operator's IPVS sysctls (`--ipvs-sysctl`), over the safe defaults for the kernel. */
  sysctls?: Record<string, string> | undefined;
}

/**
 * Kernel IPVS through ipvsadm: a plan is one `ipvsadm -R` batch (one process however many
 * rules), the table is read back with `ipvsadm -Sn` (plus `-Ln --thresholds` and
 * `--persistent-conn` for thresholds and connection counts, which -S does not save).
 */
export class IpvsDataPlane implements DataPlaneDriver {
  readonly name = "ipvs";
  private readonly runner: CommandRunner;
  private release: string | undefined;
  private supportResult: DataPlaneSupport | undefined;

  constructor(private readonly options: IpvsOptions = {}) {
    this.runner = options.runner ?? new ExecRunner();
  }

  async support(): Promise<DataPlaneSupport> {
    if (this.supportResult) return this.supportResult;
    const kernel = await ipvsSupport(this.runner, { load: true });
    if (!kernel.available) {
      this.supportResult = {
        ...kernel,
        fix: "use a kernel with IPVS (CONFIG_IP_VS, modprobe ip_vs), or run the director with --driver nftables",
      };
      return this.supportResult;
    }
    try {
      await this.runner.run("ipvsadm", ["-v"]);
      this.supportResult = kernel;
    } catch (error) {
      this.supportResult = {
        available: false,
        detail: `ipvsadm does not run: ${error instanceof HostCommandError ? error.message : String(error)}`,
        fix: "apt-get install ipvsadm",
      };
    }
    return this.supportResult;
  }

  /** Says clearly, before anything else, when the kernel has no ip_vs. */
  async init(): Promise<void> {
    const support = await this.support();
    if (!support.available) throw new Error(`the ipvs data plane cannot run here: ${support.detail}; ${support.fix}`);
    this.release = await kernelRelease(this.runner);
  }

  async observe(): Promise<IpvsTable> {
    const [save, thresholds, persistent] = await Promise.all([
      ipvsadmSave(this.runner),
      ipvsadmList(this.runner, ["--thresholds"]),
      ipvsadmList(this.runner, ["--persistent-conn"]),
    ]);
    return withListingNumbers(parseSave(save), parseListingNumbers(thresholds), parseListingNumbers(persistent));
  }

  async execute(operations: readonly Operation[]): Promise<void> {
    await ipvsadmRestore(this.runner, renderRestore(operations));
  }

  /** NAT replies pass the director; the IPVS sysctls get the operator's or the kernel's safe values. */
  requiredSysctls(table: IpvsTable): Record<string, string> {
    const nat = (family: string) =>
      table.services.some((s) => s.family === family && s.destinations.some((d) => d.forwarding === "nat"));
    return {
      ...safeIpvsSysctls(this.release),
      ...(this.options.sysctls ?? {}),
      ...(nat("inet") ? { "net.ipv4.ip_forward": "1" } : {}),
      ...(nat("inet6") ? { "net.ipv6.conf.all.forwarding": "1" } : {}),
    };
  }

  async close(): Promise<void> {}
}
