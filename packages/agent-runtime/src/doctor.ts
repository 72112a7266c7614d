import type { ClusterSpec, HostAddress, HostRoute, Problem, RoleConfig } from "@lvsfleet/model";
import type { DataPlaneDriver, DataPlaneSupport, HostDriver, HostLinkState } from "./drivers.ts";

/** What a doctor looks at: a snapshot of the host, read once. */
export interface HostFacts {
  kernelRelease: string | undefined;
  addresses: HostAddress[];
  routes: HostRoute[];
  /** Undefined when the host driver cannot list interfaces. */
  links: HostLinkState[] | undefined;
  /** The sysctls the doctor asked for; undefined for keys the host does not have. */
  sysctls: Record<string, string | undefined>;
  /** The data plane's own verdict on the kernel (directors). */
  dataPlane?: (DataPlaneSupport & { driver: string }) | undefined;
}

export interface DoctorInput {
  facts: HostFacts;
  /** The role's configuration (from the last start), if the host ever had one. */
  config: RoleConfig | undefined;
  /**
   * True once the role runs: then everything start puts in place must be there. Before that,
   * only what start cannot fix itself is checked (the preflight).
   */
  running: boolean;
  /** The cluster spec the role holds (the latest a Start or Apply carried), or the one a Start brings. */
  spec?: ClusterSpec | undefined;
}

/** A role's preflight check: which sysctls it reads, and a pure function from facts to problems. */
export interface Doctor {
  sysctls(config: RoleConfig | undefined): string[];
  check(input: DoctorInput): Problem[];
  /**
   * What this host finds wrong with a cluster spec alone, without looking at the host (a director:
   * scripts its allowlist does not have). Its errors refuse an Apply; check() includes them too.
   */
  spec?(spec: ClusterSpec): Problem[];
}

/** Reads the facts a doctor needs from the host and the data plane. */
export async function gatherFacts(
  host: HostDriver,
  dataPlane: DataPlaneDriver | undefined,
  sysctlKeys: Iterable<string>,
): Promise<HostFacts> {
  const [addresses, routes, links, kernelRelease, support] = await Promise.all([
    host.addresses(),
    host.routes(),
    host.links?.(),
    host.kernelRelease?.(),
    dataPlane?.support?.(),
  ]);
  const sysctls: Record<string, string | undefined> = {};
  for (const key of new Set(sysctlKeys)) sysctls[key] = await host.readSysctl(key);
  return {
    kernelRelease,
    addresses,
    routes,
    links,
    sysctls,
    ...(dataPlane ? { dataPlane: { driver: dataPlane.name, ...(support ?? { available: true, detail: "" }) } } : {}),
  };
}

/** A sysctl that does not have the value the role needs, with the command that sets it. */
export function sysctlProblem(
  code: string,
  key: string,
  want: string,
  have: string | undefined,
  why: string,
  severity: Problem["severity"] = "error",
): Problem {
  return {
    code,
    severity,
    subject: key,
    message: `${key} is ${have ?? "missing"}, needs ${want}: ${why}`,
    fix:
      have === undefined
        ? `load the kernel support for ${key}, then sysctl -w ${key}=${want}`
        : `sysctl -w ${key}=${want}`,
  };
}

/** Problems that stop a start: errors found before the role runs. */
export function blockingProblems(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "error");
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.message} (fix: ${p.fix})`).join("; ");
}
