import type { DirectorScripts } from "../scripts/allowlist.ts";
import { httpProbe } from "./http-probe.ts";
import { miscProbe } from "./misc-probe.ts";
import type { Prober } from "./probe.ts";
import type { ProbeGuard } from "./probe-guard.ts";
import type { SimulatedHealth } from "./sim-probe.ts";
import { tcpProbe } from "./tcp-probe.ts";

/** Real checks: network ones only towards the networks the guard allows, scripts only from the allowlist. */
export function realProber(guard: ProbeGuard, scripts: DirectorScripts): Prober {
  return async (policy, subject, options) => {
    const { check } = policy;
    if (check.type === "misc") return miscProbe(check, subject, scripts, options);
    const refused = guard.refusal(policy.address) ?? (check.bindTo ? guard.refusal(check.bindTo) : undefined);
    if (refused) return { ok: false, detail: refused, ms: 0 };
    if (check.type === "tcp") return tcpProbe(check, policy.address, policy.port, options);
    return httpProbe(check, policy.address, policy.port, options);
  };
}

/** The sim driver's: every check type is simulated. */
export function simProber(simulated: SimulatedHealth): Prober {
  return async (_policy, subject) => simulated.probe(subject);
}
