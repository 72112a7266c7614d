import type { DataPlaneDriver, DataPlaneSupport } from "@lvsfleet/agent-runtime";
import {
  type CommandRunner,
  ExecRunner,
  HostCommandError,
  ipvsadmList,
  ipvsadmListBatch,
  ipvsadmListService,
  ipvsadmRestore,
  ipvsadmSave,
  ipvsSupport,
  kernelRelease,
} from "@lvsfleet/hostops";
import { parseList, parseSave, renderRestore } from "@lvsfleet/ipvs";
import { type IpvsService, type IpvsTable, type Operation, serviceKey } from "@lvsfleet/model";
import {
  LISTINGS,
  parseListingNumbers,
  serviceListingArgs,
  splitListings,
  withListingNumbers,
} from "./ipvs-listing.ts";
import { safeIpvsSysctls } from "./ipvs-sysctls.ts";

/**
 * Up to this many services a read-back lists by name (three listings each: with tunnel info,
 * thresholds, persistent connections, all in one `ipvsadm -R`); more are read with the whole table's
 * three processes, which then cost no more.
 */
export const SERVICE_LISTING_LIMIT = 256;

export interface IpvsOptions {
  runner?: CommandRunner | undefined;
  /** The operator's IPVS sysctls (`--ipvs-sysctl`), over the safe defaults for the kernel. */
  sysctls?: Record<string, string> | undefined;
}

/**
 * Kernel IPVS through ipvsadm: a plan is one `ipvsadm -R` batch (one process however many
 * rules), the table is read back with `ipvsadm -Sn` (plus `-Ln --thresholds` and
 * `--persistent-conn` for thresholds and connection counts, which -S does not save). After a
 * change only the services it touched are read back: `-L -n --exact --tun-info -t VIP:PORT` (`-u`,
 * `--sctp-service`, `-f MARK [-6]`) with its `--thresholds` and `--persistent-conn` listings, every
 * listing of every service in one `ipvsadm -R` process. A service the kernel lacks stops that batch
 * ("No such service"); the services are then listed one at a time (three processes each).
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

  /** The named services as the kernel has them (see SERVICE_LISTING_LIMIT); a service it lacks is left out. */
  async observeServices(keys: readonly string[]): Promise<IpvsTable> {
    const wanted = [...new Set(keys)];
    if (wanted.length > SERVICE_LISTING_LIMIT) {
      const set = new Set(wanted);
      return { services: (await this.observe()).services.filter((s) => set.has(serviceKey(s))) };
    }
    const named = wanted.flatMap((key) => {
      const args = serviceListingArgs(key);
      return args ? [{ key, args }] : [];
    });
    const batch = await ipvsadmListBatch(
      this.runner,
      named.flatMap(({ args }) => LISTINGS.map((listing) => ["-L", "-n", "--exact", listing, ...args].join(" "))),
    );
    if (batch !== undefined) {
      const outputs = splitListings(batch);
      return {
        services: named.flatMap(({ key }, i) =>
          serviceFromListings(key, outputs[3 * i], outputs[3 * i + 1], outputs[3 * i + 2]),
        ),
      };
    }
    const services: IpvsService[] = [];
    for (const { key, args } of named) {
      const [listing, thresholds, persistent] = await Promise.all(
        LISTINGS.map((listing) => ipvsadmListService(this.runner, args, [listing])),
      );
      services.push(...serviceFromListings(key, listing, thresholds, persistent));
    }
    return { services };
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

/** One service from its three listings (none when the kernel has no such service). */
function serviceFromListings(
  key: string,
  listing: string | undefined,
  thresholds: string | undefined,
  persistent: string | undefined,
): IpvsService[] {
  if (listing === undefined) return [];
  const table = withListingNumbers(
    parseList(listing),
    parseListingNumbers(thresholds ?? ""),
    parseListingNumbers(persistent ?? ""),
  );
  return table.services.filter((s) => serviceKey(s) === key);
}
