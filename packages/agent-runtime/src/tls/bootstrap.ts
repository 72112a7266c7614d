import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { AgentRole } from "@lvsfleet/model";
import type { TlsMaterial } from "@lvsfleet/pki/light";
import type { Logger } from "pino";
import type { AgentOptions } from "../options.ts";
import { certificateTimes, loadAgentMaterial } from "./identity.ts";

/** Runs this agent program again as `<program> enroll|renew <options>` and waits for it. */
function runChild(action: "enroll" | "renew", argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const script = process.argv[1];
  if (!script) return Promise.reject(new Error("cannot find the agent program to run enrollment"));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, script, action, ...argv],
      { env, timeout: 60_000, maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const reason = stderr.trim().split("\n").at(-1) || error.message;
        reject(new Error(`${action} failed: ${reason}`));
      },
    );
  });
}

async function joinToken(options: AgentOptions): Promise<string | undefined> {
  if (process.env.LVSFLEET_JOIN_TOKEN) return process.env.LVSFLEET_JOIN_TOKEN.trim();
  if (options.joinTokenFile) return (await readFile(options.joinTokenFile, "utf8")).trim();
  return undefined;
}

/**
 * The agent's certificate, enrolling first when there is none (with the join token and the CA pin)
 * and renewing when it is due. Enrollment and renewal run in a child process.
 */
export async function ensureAgentIdentity(params: {
  role: AgentRole;
  options: AgentOptions;
  stateDir: string;
  argv: string[];
  log: Logger;
}): Promise<TlsMaterial> {
  const { options, stateDir, argv, log } = params;
  let material = await loadAgentMaterial(stateDir);
  if (!material) {
    const token = await joinToken(options);
    if (!options.server || !options.caPin || !token)
      throw new Error(
        "this agent is not enrolled: start it once with --server URL, --ca-pin PIN and a join token (LVSFLEET_JOIN_TOKEN or --join-token-file) from POST /v1/pki/join-tokens (admin), or run it with --insecure in a lab",
      );
    await runChild("enroll", argv, { ...process.env, LVSFLEET_JOIN_TOKEN: token });
    material = await loadAgentMaterial(stateDir);
    if (!material) throw new Error("enrollment wrote no identity");
    log.info({ notAfter: certificateTimes(material).notAfter.toISOString() }, "enrolled with the server");
    return material;
  }
  const { renewAt, notAfter } = certificateTimes(material);
  if (renewAt.getTime() <= Date.now() && options.server) {
    try {
      await runChild("renew", argv, process.env);
      material = (await loadAgentMaterial(stateDir)) ?? material;
      log.info({ notAfter: certificateTimes(material).notAfter.toISOString() }, "renewed the agent certificate");
    } catch (error) {
      if (notAfter.getTime() <= Date.now()) throw error;
      log.warn(
        { err: (error as Error).message, notAfter: notAfter.toISOString() },
        "certificate renewal failed; the current one is still valid",
      );
    }
  }
  return material;
}

/** Renews again and again at 2/3 of each certificate's lifetime; retries every 10 minutes on failure. */
export function keepRenewed(params: {
  current(): TlsMaterial;
  options: AgentOptions;
  stateDir: string;
  argv: string[];
  log: Logger;
  onRenewed(material: TlsMaterial): void;
}): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (retry = false) => {
    const { renewAt } = certificateTimes(params.current());
    const delay = retry ? 600_000 : Math.max(60_000, renewAt.getTime() - Date.now());
    timer = setTimeout(renew, Math.min(delay, 2 ** 31 - 1));
    timer.unref();
  };
  const renew = async () => {
    if (certificateTimes(params.current()).renewAt.getTime() > Date.now()) return schedule();
    try {
      await runChild("renew", params.argv, process.env);
      const material = await loadAgentMaterial(params.stateDir);
      if (!material) throw new Error("renewal wrote no identity");
      params.onRenewed(material);
      params.log.info({ notAfter: certificateTimes(material).notAfter.toISOString() }, "renewed the agent certificate");
      schedule();
    } catch (error) {
      params.log.error({ err: (error as Error).message }, "certificate renewal failed; retrying in 10 minutes");
      schedule(true);
    }
  };
  if (params.options.server) schedule();
  return { stop: () => clearTimeout(timer) };
}

/** `<agent> enroll|renew <options>`: the child side (loads the X.509 library), then exits. */
export async function runIdentityCommand(
  action: "enroll" | "renew",
  role: AgentRole,
  options: AgentOptions,
  stateDir: string,
): Promise<void> {
  const { enrollAgent, renewAgent } = await import("./enroll.ts");
  if (!options.server) throw new Error("--server is required");
  if (action === "enroll") {
    const token = await joinToken(options);
    if (!token || !options.caPin)
      throw new Error("enroll needs a join token (LVSFLEET_JOIN_TOKEN or --join-token-file) and --ca-pin");
    await enrollAgent({
      host: options.host,
      role,
      server: options.server,
      token,
      caPin: options.caPin,
      stateDir,
      roots: options.serverCaRoots,
    });
  } else await renewAgent({ host: options.host, server: options.server, stateDir, roots: options.serverCaRoots });
}
