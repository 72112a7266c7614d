import type { AgentRole } from "@lvsfleet/model";
import { type ApiTrust, requestApi } from "@lvsfleet/rpc/https";
import type { Logger } from "pino";

export interface Registration {
  server: string;
  /** Whom to trust for the server's HTTPS certificate (the CA the agent holds now: it may be renewed). */
  trust(): ApiTrust;
  host: string;
  endpoint: string;
  role: AgentRole;
  driver: string;
  /**
   * How the agent proves who it is. Enrolled (mutual TLS): a body signed with its certificate's key,
   * POSTed to /v1/pki/register. Insecure mode: a bearer token (LVSFLEET_AGENT_TOKEN) on PUT /v1/agents/{host}.
   */
  proof:
    | {
        kind: "certificate";
        sign(fields: { host: string; endpoint: string; role: AgentRole; driver: string }): unknown;
      }
    | { kind: "token"; token: string | undefined };
}

function request(registration: Registration): {
  url: URL;
  init: { method: string; body: string; headers?: Record<string, string> };
} {
  const { server, host, endpoint, role, driver, proof } = registration;
  if (proof.kind === "certificate")
    return {
      url: new URL("/v1/pki/register", server),
      init: { method: "POST", body: JSON.stringify(proof.sign({ host, endpoint, role, driver })) },
    };
  return {
    url: new URL(`/v1/agents/${encodeURIComponent(host)}`, server),
    init: {
      method: "PUT",
      body: JSON.stringify({ endpoint, role, driver }),
      ...(proof.token ? { headers: { authorization: `Bearer ${proof.token}` } } : {}),
    },
  };
}

/**
 * Announces the agent to the server until it succeeds, then again every minute so a server that
 * lost its registry learns it back. Never throws; stop() ends it, renew() announces again now
 * (after a certificate renewal).
 */
export function keepRegistered(registration: Registration, log: Logger): { stop(): void; renew(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  const attempt = async () => {
    clearTimeout(timer);
    try {
      const { url, init } = request(registration);
      const response = await requestApi(url, {
        ...init,
        headers: { "content-type": "application/json", ...init.headers },
        timeoutMs: 5_000,
        trust: registration.trust(),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 200)}`);
      if (failures > 0 || !timer) log.info({ server: registration.server }, "registered with the server");
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures === 1 || failures % 10 === 0)
        log.warn(
          { server: registration.server, err: (error as Error).message, failures },
          "registration failed; retrying",
        );
    }
    if (!stopped)
      timer = setTimeout(attempt, failures === 0 ? 60_000 : Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
  };
  void attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    renew() {
      if (!stopped) void attempt();
    },
  };
}
