import { type DataPlaneDriver, type Doctor, type DoctorInput, sysctlProblem } from "@lvsfleet/agent-runtime";
import { type DirectorRoleConfig, desiredStateTable, type IpvsTable, type Problem } from "@lvsfleet/model";
import { IPVS_SYSCTL_REASONS } from "./drivers/ipvs-sysctls.ts";
import type { DirectorScripts } from "./scripts/allowlist.ts";

/** What the director's doctor asks of the data plane (pure answers, from the driver). */
export interface DataPlaneNeeds {
  /** Sysctls the data plane needs for the table (ip_forward for NAT, the IPVS ones for ipvs). */
  requiredSysctls(table: IpvsTable): Record<string, string>;
  /** What the data plane would refuse in the table (nftables: schedulers, TUN, fwmark…). */
  unsupported?(table: IpvsTable): string[];
  /** The one interface the data plane receives VIP traffic on, when it is bound to one (nftables). */
  device?: string | undefined;
}

const SYSCTL_REASONS: Record<string, string> = {
  ...IPVS_SYSCTL_REASONS,
  "net.ipv4.ip_forward": "NAT replies come back through the director, which must forward them",
  "net.ipv6.conf.all.forwarding": "IPv6 NAT replies come back through the director, which must forward them",
  "net.ipv4.conf.all.send_redirects":
    "the director forwards NAT traffic out of the interface it came in on and would send clients ICMP redirects",
};

function reason(key: string): string {
  return (
    SYSCTL_REASONS[key] ??
    (key.endsWith(".send_redirects") ? (SYSCTL_REASONS["net.ipv4.conf.all.send_redirects"] ?? "") : "")
  );
}

function directorConfig(input: DoctorInput): DirectorRoleConfig | undefined {
  return input.config?.kind === "director" ? input.config.director : undefined;
}

/** The director's checks (pure): data plane support, the VIP interface, the VIPs, the sysctls. */
export function directorProblems(input: DoctorInput, needs: DataPlaneNeeds): Problem[] {
  const { facts, running } = input;
  const problems: Problem[] = [];
  if (facts.dataPlane && !facts.dataPlane.available)
    problems.push({
      code: "data-plane-unavailable",
      severity: "error",
      subject: facts.dataPlane.driver,
      message: facts.dataPlane.detail,
      fix: facts.dataPlane.fix ?? "choose another --driver",
    });
  const config = directorConfig(input);
  if (!config) return problems;
  const table = desiredStateTable(config);
  const link = facts.links?.find((l) => l.name === config.interface);
  if (facts.links && !link)
    problems.push({
      code: "interface-missing",
      severity: "error",
      subject: config.interface,
      message: `the VIP interface ${config.interface} does not exist on this host (it has ${facts.links.map((l) => l.name).join(", ")})`,
      fix: "set the director's interface in the cluster spec to one this host has",
    });
  else if (link && !link.up)
    problems.push({
      code: "interface-down",
      severity: "error",
      subject: config.interface,
      message: `the VIP interface ${config.interface} is down`,
      fix: `ip link set ${config.interface} up`,
    });
  if (needs.device !== undefined && needs.device !== config.interface)
    problems.push({
      code: "interface-mismatch",
      severity: "error",
      subject: config.interface,
      message: `the cluster puts the VIPs on ${config.interface} but this director's data plane listens on ${needs.device}`,
      fix: `restart the agent with --interface ${config.interface}, or set the director's interface to ${needs.device} in the cluster spec`,
    });
  for (const why of needs.unsupported?.(table) ?? [])
    problems.push({
      code: "unsupported-by-driver",
      severity: "error",
      subject: facts.dataPlane?.driver ?? "data plane",
      message: why,
      fix: "change the service, or run this director with a driver that supports it (--driver ipvs on a kernel with ip_vs)",
    });
  if (!running) return problems;
  for (const vip of config.vips)
    if (!facts.addresses.some((a) => a.address === vip && a.interface === config.interface))
      problems.push({
        code: "vip-missing",
        severity: "error",
        subject: vip,
        message: `VIP ${vip} is not on ${config.interface}: clients cannot reach the services through this director`,
        fix: `lvsfleet start again, or ip addr add ${vip}/${vip.includes(":") ? 128 : 32} dev ${config.interface}`,
      });
  for (const [key, want] of Object.entries(needs.requiredSysctls(table))) {
    const have = facts.sysctls[key];
    if (have !== want)
      problems.push(
        sysctlProblem(
          key.split(".").at(-1)?.replaceAll("_", "-") ?? key,
          key,
          want,
          have,
          reason(key),
          key.startsWith("net.ipv4.vs.") ? "warning" : "error",
        ),
      );
  }
  return problems;
}

/**
 * The director's doctor, bound to its data plane and its script allowlist: besides the host, it
 * checks that every script the spec names is one the allowlist holds (before start, too: a spec
 * naming another is refused by Start and Apply).
 */
export function directorDoctor(dataPlane: DataPlaneDriver & Partial<DataPlaneNeeds>, scripts: DirectorScripts): Doctor {
  const needs: DataPlaneNeeds = {
    device: dataPlane.device,
    requiredSysctls: (table) => dataPlane.requiredSysctls(table),
    ...(dataPlane.unsupported ? { unsupported: (table) => dataPlane.unsupported?.(table) ?? [] } : {}),
  };
  return {
    sysctls(config) {
      return config?.kind === "director"
        ? Object.keys(dataPlane.requiredSysctls(desiredStateTable(config.director)))
        : [];
    },
    check: (input) => [
      ...directorProblems(input, needs),
      ...scripts.problems(input.spec ?? directorConfig(input)?.spec),
    ],
    spec: (spec) => scripts.problems(spec),
  };
}
