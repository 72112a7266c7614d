import { readFileSync } from "node:fs";
import { type CommandRunner, HostCommandError, type RunOptions } from "@lvsfleet/hostops";
import { parseList } from "@lvsfleet/ipvs";
import { serviceKey } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { IpvsDataPlane, SERVICE_LISTING_LIMIT } from "../src/drivers/ipvs.ts";
import { serviceListingArgs, splitListings } from "../src/drivers/ipvs-listing.ts";

/** The sections of the recorded kernel output (fixtures/ipvsadm-service-listings.sh and -batch.sh, run in test/ipvs-guest). */
function recorded(): Map<string, string> {
  const text = readFileSync(new URL("fixtures/ipvsadm-service-listings.txt", import.meta.url), "utf8");
  const sections = new Map<string, string>();
  let name: string | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const heading = /^=== (.+)$/.exec(line);
    if (heading) {
      name = heading[1] as string;
      sections.set(name, "");
    } else if (name && !line.startsWith("rc=") && line !== "") sections.set(name, `${sections.get(name)}${line}\n`);
  }
  return sections;
}
const listings = recorded();
const listing = (name: string) => listings.get(name) ?? "";

/** ipvsadm answering from the recorded output; `No such service` for what the kernel lacks, as ipvsadm says it. */
class RecordedIpvsadm implements CommandRunner {
  readonly netns = undefined;
  readonly calls: string[] = [];
  constructor(
    private readonly answers: Record<string, string>,
    private readonly missing: readonly string[] = [],
  ) {}
  async run(command: string, args: readonly string[], options: RunOptions = {}) {
    const call = args[0] === "-R" ? `-R\n${options.input}` : args.join(" ");
    this.calls.push(call);
    if (this.missing.some((m) => call.includes(m))) throw new HostCommandError(command, args, 1, "No such service\n");
    return { stdout: this.answers[call] ?? "", stderr: "" };
  }
  async readFile() {
    return undefined;
  }
  async writeFile() {}
}

const TCP = "tcp|192.168.1.229|80";
const UDP = "udp|192.168.1.229|53";
const batchOf = (...lines: string[]) => `-R\n${lines.join("\n")}\n`;
const lines = (service: string) => [
  `-L -n --exact --tun-info ${service}`,
  `-L -n --exact --thresholds ${service}`,
  `-L -n --exact --persistent-conn ${service}`,
];

describe("ipvs read-back of the services a change touched", () => {
  it("names each kind of service as ipvsadm takes it", () => {
    expect(serviceListingArgs(TCP)).toEqual(["-t", "192.168.1.229:80"]);
    expect(serviceListingArgs(UDP)).toEqual(["-u", "192.168.1.229:53"]);
    expect(serviceListingArgs("sctp|10.1.1.1|9000")).toEqual(["--sctp-service", "10.1.1.1:9000"]);
    expect(serviceListingArgs("tcp|2001:db8::29|443")).toEqual(["-t", "[2001:db8::29]:443"]);
    expect(serviceListingArgs("fwmark|7|inet")).toEqual(["-f", "7"]);
    expect(serviceListingArgs("fwmark|8|inet6")).toEqual(["-f", "8", "-6"]);
    expect(serviceListingArgs("tcp|192.168.1.229|x")).toBeUndefined();
    // nothing but an address reaches the batch line
    expect(serviceListingArgs("tcp|192.168.1.229 -C|80")).toBeUndefined();
    expect(serviceListingArgs("tcp|192.168.1.229\n-C\n|80")).toBeUndefined();
  });

  it("splits the listings one ipvsadm -R printed (real kernel output) and each parses as its own", () => {
    const outputs = splitListings(listing("batch"));
    expect(outputs).toHaveLength(4);
    expect(parseList(outputs[0] ?? "").services.map(serviceKey)).toEqual([TCP]);
    expect(parseList(outputs[3] ?? "").services.map(serviceKey)).toEqual(["fwmark|8|inet6"]);
    expect(outputs[1]).toContain("Uthreshold");
    expect(outputs[2]).toContain("PersistConn");
  });

  it("reads two services in one ipvsadm -R: tunnel info, thresholds and persistent counts as observe() has them", async () => {
    const runner = new RecordedIpvsadm({
      [batchOf(...lines("-t 192.168.1.229:80"), ...lines("-u 192.168.1.229:53"))]:
        listing("t-tun") +
        listing("t-thresholds") +
        listing("t-persistent") +
        listing("u") +
        listing("u") +
        listing("u"),
    });
    const table = await new IpvsDataPlane({ runner }).observeServices([TCP, UDP]);
    expect(runner.calls).toHaveLength(1);
    expect(table.services.map(serviceKey)).toEqual([TCP, UDP]);
    const [tcp, udp] = table.services;
    expect(tcp).toMatchObject({ scheduler: "wrr", persistence: { timeout: 60 } });
    expect(tcp?.destinations).toMatchObject([
      { address: "192.168.1.220", port: 80, forwarding: "dr", weight: 3, upperThreshold: 100, lowerThreshold: 10 },
      {
        address: "192.168.1.231",
        forwarding: "tun",
        weight: 1,
        tunnel: { type: "gue", port: 6080, checksum: "csum" },
        upperThreshold: 0,
        persistConns: 0,
      },
    ]);
    expect(udp?.destinations).toMatchObject([{ address: "10.0.0.1", port: 53, forwarding: "nat", weight: 2 }]);
  });

  it("a service the kernel lacks stops the batch: the services are then listed one by one and the missing one left out", async () => {
    const runner = new RecordedIpvsadm(
      {
        "-Ln --exact --tun-info -t 192.168.1.229:80": listing("t-tun"),
        "-Ln --exact --thresholds -t 192.168.1.229:80": listing("t-thresholds"),
        "-Ln --exact --persistent-conn -t 192.168.1.229:80": listing("t-persistent"),
      },
      ["192.168.1.229:81"],
    );
    const table = await new IpvsDataPlane({ runner }).observeServices([TCP, "tcp|192.168.1.229|81"]);
    expect(table.services.map(serviceKey)).toEqual([TCP]);
    expect(table.services[0]?.destinations[0]).toMatchObject({ upperThreshold: 100, lowerThreshold: 10 });
    expect(runner.calls[0]).toMatch(/^-R\n/);
    expect(runner.calls.slice(1).sort()).toEqual([
      "-Ln --exact --persistent-conn -t 192.168.1.229:80",
      "-Ln --exact --persistent-conn -t 192.168.1.229:81",
      "-Ln --exact --thresholds -t 192.168.1.229:80",
      "-Ln --exact --thresholds -t 192.168.1.229:81",
      "-Ln --exact --tun-info -t 192.168.1.229:80",
      "-Ln --exact --tun-info -t 192.168.1.229:81",
    ]);
  });

  it(`more than ${SERVICE_LISTING_LIMIT} services are read with the whole table's three processes`, async () => {
    const runner = new RecordedIpvsadm({});
    const keys = Array.from({ length: SERVICE_LISTING_LIMIT + 1 }, (_, i) => `tcp|198.51.100.1|${i + 1}`);
    expect(await new IpvsDataPlane({ runner }).observeServices(keys)).toEqual({ services: [] });
    expect(runner.calls.sort()).toEqual(["-Ln --persistent-conn", "-Ln --thresholds", "-Sn"]);
  });
});
