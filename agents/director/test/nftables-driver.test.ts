import { readFileSync } from "node:fs";
import { type CommandResult, type CommandRunner, HostCommandError, type RunOptions } from "@lvsfleet/hostops";
import { type IpvsService, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { describe, expect, it } from "vitest";
import { NftablesDataPlane, type NftProgress } from "../src/drivers/nftables.ts";

/**
 * The driver's own work around nft (no kernel here: a runner that answers with the recorded
 * listing and records every command): the state it keeps, the targeted read, transactions.
 */

type Json = Record<string, unknown>;
const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const items = (name: string) => (JSON.parse(text(name)) as { nftables: Json[] }).nftables;
const managed = { isManaged: () => true };
const HTTP = "tcp|198.18.1.100|80";

class RecordedKernel implements CommandRunner {
  readonly netns = undefined;
  readonly calls: { args: string[]; options: RunOptions }[] = [];
  /** `nft -f` calls to refuse (their indexes among -f calls). */
  refuse = new Set<number>();
  private applied = 0;

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({ args: [...args], options });
    if (command !== "nft") throw new Error(`unexpected ${command}`);
    if (args[0] === "-f") {
      if (this.refuse.has(this.applied++))
        throw new HostCommandError("nft", args, 1, "Error: No such file or directory");
      return { stdout: "", stderr: "" };
    }
    const [, , kind, family, table, name] = args;
    const listing = family === "netdev" ? items("nft-dr.json") : items("nft-nat.json");
    const answer = (list: Json[]) => ({ stdout: JSON.stringify({ nftables: list }), stderr: "" });
    if (kind === "tables") return answer(listing.filter((i) => i.table));
    if (kind === "table") return answer(listing);
    const found = listing.filter((i) => {
      if (kind === "chain")
        return (i.chain as Json | undefined)?.name === name || (i.rule as Json | undefined)?.chain === name;
      return (i.map as Json | undefined)?.name === name || (i.set as Json | undefined)?.name === name;
    });
    if (found.length === 0 || table !== "lvsfleet")
      throw new HostCommandError("nft", args, 1, "Error: No such file or directory");
    return answer(found);
  }
  async readFile(): Promise<string | undefined> {
    return undefined;
  }
  async writeFile(): Promise<void> {}

  lists(kind?: string) {
    return this.calls.filter((c) => c.args[1] === "list" && (kind === undefined || c.args[2] === kind));
  }
  scripts() {
    return this.calls.filter((c) => c.args[0] === "-f");
  }
}

const driverOn = (kernel: RecordedKernel, servicesPerTransaction?: number) =>
  new NftablesDataPlane({ device: "eth0", runner: kernel, servicesPerTransaction });

const withWeight = (table: { services: IpvsService[] }, key: string, weight: number) => ({
  services: table.services.map((s) =>
    serviceKey(s) === key ? { ...s, destinations: s.destinations.map((d, i) => (i === 1 ? { ...d, weight } : d)) } : s,
  ),
});

describe("nftables driver: a change costs what it changes", () => {
  it("after a full read, a weight change is rendered against the kept state: no table is read again", async () => {
    const kernel = new RecordedKernel();
    const driver = driverOn(kernel);
    const observed = await driver.observe();
    expect(kernel.lists("table")).toHaveLength(2);
    await driver.execute(plan(withWeight(observed, HTTP, 3), observed, managed));
    expect(kernel.lists("table")).toHaveLength(2);
    const [script] = kernel.scripts();
    expect(script?.options.input).toContain("flush chain netdev lvsfleet n_4tcp_198_18_1_100_80\n");
    expect(script?.options.input).not.toMatch(/_53|8080|9000|2001/);
    // A second change uses the state the first one left (the weight it wrote), still without a read.
    await driver.execute(plan(withWeight(observed, HTTP, 5), withWeight(observed, HTTP, 3), managed));
    expect(kernel.lists("table")).toHaveLength(2);
    expect(kernel.scripts()[1]?.options.input).toContain("meta mark set numgen inc mod 8");
  });

  it("without a kept state, execute reads the table first", async () => {
    const kernel = new RecordedKernel();
    const observed = await driverOn(new RecordedKernel()).observe();
    await driverOn(kernel).execute(plan(withWeight(observed, HTTP, 3), observed, managed));
    expect(kernel.lists("table")).toHaveLength(2);
    expect(kernel.scripts()).toHaveLength(1);
  });

  it("a transaction nft refuses forgets the state: the change is rendered against a fresh read and tried once more", async () => {
    const kernel = new RecordedKernel();
    const driver = driverOn(kernel);
    const observed = await driver.observe();
    kernel.refuse.add(0);
    await driver.execute(plan(withWeight(observed, HTTP, 3), observed, managed));
    expect(kernel.lists("table")).toHaveLength(4);
    expect(kernel.scripts()).toHaveLength(2);
    // Refused twice: the error reaches the caller, and the next change reads the table first.
    kernel.refuse.add(2).add(3);
    await expect(driver.execute(plan(withWeight(observed, HTTP, 7), observed, managed))).rejects.toThrow(
      /No such file or directory/,
    );
    await driver.execute(plan(withWeight(observed, HTTP, 9), observed, managed));
    expect(kernel.lists("table")).toHaveLength(8);
  });

  it("observeServices reads only the named services' own chains and their service map, one object per nft", async () => {
    const kernel = new RecordedKernel();
    const driver = driverOn(kernel);
    const full = await driver.observe();
    const before = kernel.calls.length;
    const read = await driver.observeServices([HTTP, "tcp|198.18.9.9|1"]);
    const listed = kernel.calls.slice(before).map((c) => c.args.slice(2).join(" "));
    expect(listed.sort()).toEqual(
      [
        "chain netdev lvsfleet s_4tcp_198_18_1_100_80",
        "chain netdev lvsfleet n_4tcp_198_18_1_100_80",
        "chain netdev lvsfleet o_4tcp_198_18_1_100_80",
        "chain netdev lvsfleet t_4tcp_198_18_1_100_80_198_18_0_11_80",
        "chain netdev lvsfleet t_4tcp_198_18_1_100_80_198_18_0_12_80",
        "map netdev lvsfleet svc4",
      ].sort(),
    );
    const strip = (s: IpvsService | undefined) => ({
      ...s,
      destinations: s?.destinations.map(({ activeConns, inactConns, persistConns, ...d }) => d),
    });
    expect(read.services.map(serviceKey)).toEqual([HTTP]);
    expect(strip(read.services[0])).toEqual(strip(full.services.find((s) => serviceKey(s) === HTTP)));
  });
});

describe("nftables driver: a big first install", () => {
  const service = (port: number): IpvsService => ({
    protocol: "tcp",
    address: "198.18.3.1",
    port,
    family: "inet",
    scheduler: "wrr",
    schedulerFlags: [],
    destinations: [1, 2].map((j) => ({
      address: `198.18.0.${j}`,
      port,
      forwarding: "dr" as const,
      weight: j,
      upperThreshold: 0,
      lowerThreshold: 0,
      activeConns: 0,
      inactConns: 0,
      persistConns: 0,
    })),
  });

  it("goes in transactions of whole services, in order, with a time limit sized to nft's work, reporting progress", async () => {
    const kernel = new RecordedKernel();
    const driver = driverOn(kernel, 3);
    const current = await driver.observe();
    const desired = { services: [...current.services, ...Array.from({ length: 7 }, (_, i) => service(2000 + i))] };
    const progress: NftProgress[] = [];
    await driver.execute(plan(desired, current, managed), { onProgress: (p) => progress.push(p) });
    const scripts = kernel.scripts();
    expect(scripts).toHaveLength(3);
    for (const s of scripts) {
      expect(s.options.timeoutMs).toBeGreaterThanOrEqual(60_000);
      expect(Number.isInteger(s.options.timeoutMs)).toBe(true);
    }
    expect(progress).toEqual([
      { transactions: 1, of: 3, services: 3 },
      { transactions: 2, of: 3, services: 6 },
      { transactions: 3, of: 3, services: 7 },
    ]);
    scripts.forEach((s, i) => {
      const ports = [...(s.options.input ?? "").matchAll(/svc4 \{ 198\.18\.3\.1 \. tcp \. (\d+) : jump/g)].map((m) =>
        Number(m[1]),
      );
      expect(ports).toEqual([2000, 2001, 2002, 2003, 2004, 2005, 2006].slice(i * 3, i * 3 + 3));
    });
  });
});
