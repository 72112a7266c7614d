import { clusterHosts, type Problem, type RoleState, scriptProblems } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import { HostNotOwnedError } from "../store/host-owners.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";
import { ownedElsewhere } from "./host-ownership.ts";

/** What the doctor found on one host of a cluster. */
export interface HostDoctor {
  host: string;
  kind: "director" | "real-server";
  /** True when the host's agent answered and ran its doctor (its problems are the host's real ones). */
  checked: boolean;
  roleState?: RoleState | undefined;
  /** Every problem, each with its fix; empty when the host is fit for its role. */
  problems: Problem[];
}

export interface ClusterDoctor {
  cluster: string;
  /** True when every host was checked and none has a problem. */
  healthy: boolean;
  /** Problems over all hosts. */
  problemCount: number;
  hosts: HostDoctor[];
}

/** A host the server cannot ask is a problem too: nothing else can be checked there. */
function unreachable(host: string, why: string, endpoint: string): Problem {
  return {
    code: "agent-unreachable",
    severity: "error",
    subject: host,
    message: `the agent on ${host} did not answer at ${endpoint}: ${why}`,
    fix: `start lvsfleet's agent on ${host} (see docs/operations.md) and make sure this server can reach ${endpoint}`,
  };
}

function notOwned(host: string, owner: string, cluster: string): Problem {
  return {
    code: "host-owned-elsewhere",
    severity: "error",
    subject: host,
    message: ownedElsewhere(host, owner, cluster),
    fix: `remove ${host} from cluster ${cluster}'s spec, or have an admin of both clusters move it (PUT /v1/clusters/${cluster}?moveHosts=${host})`,
  };
}

function unowned(host: string, cluster: string): Problem {
  return {
    code: "host-not-owned",
    severity: "error",
    subject: host,
    message: new HostNotOwnedError(host, cluster).message,
    fix: `another cluster's spec names ${host} too: remove it there, or have an admin of both move it (PUT /v1/clusters/${cluster}?moveHosts=${host})`,
  };
}

function notRegistered(host: string): Problem {
  return {
    code: "agent-not-registered",
    severity: "error",
    subject: host,
    message: `no agent has registered as ${host}`,
    fix: `enroll the agent on ${host} (POST /v1/pki/join-tokens) and start it with --host ${host} --server <this server's URL>`,
  };
}

/**
 * The preflight check of every host of a cluster, read live: each agent's doctor runs against its
 * host's real state (addresses, routes, sysctls, the kernel's data-plane support) and reports every
 * problem with the fix (GetState's problems). Hosts whose agent cannot be asked are reported as such.
 * Read-only; viewer.
 */
export async function clusterDoctor(ctx: CommandContext, actor: Actor, cluster: string): Promise<ClusterDoctor> {
  canRead(actor, cluster);
  const stored = await ctx.clusters.get(cluster);
  if (!stored) throw new NotFoundError(`no cluster named ${cluster}`);
  const named = clusterHosts(stored.spec);
  const readings = await ctx.fleet.states(
    cluster,
    named.map((h) => h.host),
    { deadline: "status" },
  );
  const hosts = named.map((h, i): HostDoctor => {
    const base = { host: h.host, kind: h.kind };
    const reading = readings[i]!;
    if (reading.ok) {
      const { state } = reading;
      const own = state.problems ?? [];
      // The stored spec against the director's allowlist: a spec it refused is not the one it holds.
      const refused =
        h.kind === "director" && state.scripts
          ? scriptProblems(stored.spec, state.scripts).filter((p) => !own.some((o) => o.message === p.message))
          : [];
      return {
        ...base,
        checked: state.problems !== undefined,
        roleState: state.roleState,
        problems: [...own, ...refused],
      };
    }
    switch (reading.reason) {
      case "owned-elsewhere":
        return { ...base, checked: false, problems: [notOwned(h.host, reading.owner, cluster)] };
      case "not-registered":
        return { ...base, checked: false, problems: [notRegistered(h.host)] };
      case "not-owned":
        return { ...base, checked: false, problems: [unowned(h.host, cluster)] };
      default:
        return {
          ...base,
          checked: false,
          problems: [unreachable(h.host, reading.error, reading.registration.endpoint)],
        };
    }
  });
  const problemCount = hosts.reduce((n, h) => n + h.problems.length, 0);
  return { cluster, healthy: problemCount === 0 && hosts.every((h) => h.checked), problemCount, hosts };
}
