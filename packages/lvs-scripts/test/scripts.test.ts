import { ClusterSpec, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { importLvsScripts, type RealServerScript } from "../src/index.ts";
import { brief, dump, fixture } from "./helpers.ts";

/** The guide's scripts exactly as the seed has them (U+00A0 indentation included). */
const LVSDR = fixture("lvsdr.sh");
const REALDR = fixture("realdr.sh");

const DIRECTORS = [
  { host: "lb-master", address: "192.168.1.252", role: "master" as const, priority: 100 },
  { host: "lb-backup", address: "192.168.1.230", role: "backup" as const, priority: 90 },
];
const REAL_SERVERS: RealServerScript[] = [
  { text: REALDR, file: "web1/realdr.sh", host: "web1", address: "192.168.1.220" },
  { text: REALDR, file: "web2/realdr.sh", host: "web2", address: "192.168.1.231" },
];

function importGuide() {
  const result = importLvsScripts({ text: LVSDR, file: "lvsdr.sh", directors: DIRECTORS }, REAL_SERVERS, {
    name: "web",
  });
  if (!result.ok) throw new Error(dump(result.diagnostics));
  return result;
}

describe("the guide's lvsdr.sh and realdr.sh", () => {
  it("import into the demo cluster's spec, except for what lvsdr.sh leaves to keepalived", () => {
    const { spec } = importGuide();
    const demo = validate(ClusterSpec, DEMO_CLUSTER);
    // lvsdr.sh runs `ipvsadm -a ... -g` without -w (weight 1 for both real servers) and `-A` without -p;
    // the weights 3 and 1, persistence 60 and inhibit_on_failure are in the guide's keepalived.conf only.
    const service = demo.services[0] as NonNullable<(typeof demo.services)[0]>;
    expect(spec).toEqual({
      ...demo,
      services: [
        {
          ...service,
          persistence: undefined,
          inhibitOnFailure: false,
          realServers: service.realServers.map((rs) => ({ ...rs, weight: 1 })),
        },
      ],
    });
    expect(spec.services[0]?.realServers.map((rs) => [rs.host, rs.weight])).toEqual([
      ["web1", 1],
      ["web2", 1],
    ]);
  });

  it("reads the VIP from the ifconfig alias, the interface from its name, only what start runs", () => {
    const { spec } = importGuide();
    expect(spec.vips).toEqual(["192.168.1.229"]);
    expect(spec.directors.map((d) => d.interface)).toEqual(["eth0", "eth0"]);
  });

  it("repairs the copy-paste damage, once per line, and finds realdr.sh's ARP settings behind it", () => {
    const { diagnostics } = importGuide();
    expect(diagnostics.every((d) => d.code === "repair" && d.message.includes("U+00A0 NO-BREAK SPACE"))).toBe(true);
    const lvsdrLines = LVSDR.split("\n").filter((l) => l.includes("\u00a0")).length;
    const realdrLines = REALDR.split("\n").filter((l) => l.includes("\u00a0")).length;
    expect(diagnostics.filter((d) => d.file === "lvsdr.sh").length).toBe(lvsdrLines);
    expect(diagnostics.filter((d) => d.file === "web1/realdr.sh").length).toBe(realdrLines);
    expect(diagnostics.find((d) => d.file === "lvsdr.sh")).toMatchObject({ line: 8, column: 1 });
  });

  it("warns when a real-server script misses the ARP settings or carries another VIP", () => {
    const broken = REALDR.replace(/echo "1" >\/proc\/sys\/net\/ipv4\/conf\/all\/arp_ignore/, "true").replace(
      "SNS_VIP=192.168.1.229",
      "SNS_VIP=192.168.1.228",
    );
    const result = importLvsScripts(
      { text: LVSDR, file: "lvsdr.sh", directors: DIRECTORS },
      [{ text: broken, file: "realdr.sh", host: "web9", address: "192.168.1.99" }],
      { name: "web" },
    );
    const notes = result.diagnostics.filter((d) => d.code === "note").map(brief);
    expect(notes).toEqual([
      "1:1 warning note net.ipv4.conf.all.arp_ignore is not set on start, not 1: the real server may answer ARP for the VIP",
      "1:1 warning note web9 (192.168.1.99) is not a real server of any service",
      "9:31 warning note 192.168.1.228 is not one of the cluster's VIPs (192.168.1.229)",
    ]);
  });

  it("refuses ipvsadm lines it would have to guess about, with the script's line and column", () => {
    const loop = `VIP=10.0.0.1
ipvsadm -A -t $VIP:80 -s rr
for RIP in 10.0.0.2 10.0.0.3; do
  ipvsadm -a -t $VIP:80 -r $RIP:80 -g
done
`;
    const looped = importLvsScripts({ text: loop, file: "loop.sh" }, [], { name: "web" });
    expect(looped.ok).toBe(false);
    expect(looped.diagnostics.filter((d) => d.severity === "error").map(brief)).toEqual([
      "4:3 error unsupported an ipvsadm line inside a loop, condition or function: the importer does not run the script to see whether or how often it runs",
    ]);
    const typo = LVSDR.replace("-s wrr", "-s wrrr");
    const bad = importLvsScripts({ text: typo, file: "lvsdr.sh" }, [], { name: "web" });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.line}:${d.column}`)).toEqual([
      `15:${(LVSDR.split("\n")[14] as string).indexOf("wrr") + 1}`,
    ]);
    expect(bad.diagnostics.find((d) => d.severity === "error")?.message).toMatch(/wrrr/);
  });
});
