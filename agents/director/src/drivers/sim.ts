import type { DataPlaneDriver, StateFile } from "@lvsfleet/agent-runtime";
import type { IpvsTable, Operation } from "@lvsfleet/model";
import { applyOperations } from "@lvsfleet/planner";

/**
 * An in-memory IPVS table, saved in the agent's state directory so that a restarted agent
 * finds its "kernel" table as it left it (a real director keeps its table when the agent dies).
 * Refuses what the kernel refuses (adding a service twice, editing a missing destination).
 */
export class SimDataPlane implements DataPlaneDriver {
  readonly name = "sim";
  private table: IpvsTable | undefined;

  constructor(private readonly file: StateFile<IpvsTable>) {}

  async init(): Promise<void> {
    this.table = await this.file.read();
  }

  async observe(): Promise<IpvsTable> {
    this.table ??= await this.file.read();
    return structuredClone(this.table);
  }

  async execute(operations: readonly Operation[]): Promise<void> {
    if (operations.length === 0) return;
    this.table = applyOperations(await this.observe(), operations);
    await this.file.write(this.table);
  }

  /** As kernel IPVS: NAT needs the director to forward (replies pass through it). */
  requiredSysctls(table: IpvsTable): Record<string, string> {
    const nat = (family: string) =>
      table.services.some((s) => s.family === family && s.destinations.some((d) => d.forwarding === "nat"));
    return {
      ...(nat("inet") ? { "net.ipv4.ip_forward": "1" } : {}),
      ...(nat("inet6") ? { "net.ipv6.conf.all.forwarding": "1" } : {}),
    };
  }

  async close(): Promise<void> {}
}
