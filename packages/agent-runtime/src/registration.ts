import type { AgentRole } from "@lvsfleet/model";
import type { Logger } from "pino";

export interface Registration {
  server: string;
  token: string | undefined;
  host: string;
  endpoint: string;
  role: AgentRole;
  driver: string;
}

/**
 * Announces the agent to the server (PUT /v1/agents/{host}) until it succeeds, then again every
 * minute so a server that lost its registry learns it back. Never throws; stop() ends it.
 */
export function keepRegistered(registration: Registration, log: Logger): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  const url = new URL(`/v1/agents/${encodeURIComponent(registration.host)}`, registration.server);
  const attempt = async () => {
    try {
      const response = await fetch(url, {
        method: "PUT",
        headers: {
          "content-type": "application/json",
          ...(registration.token ? { authorization: `Bearer ${registration.token}` } : {}),
        },
        body: JSON.stringify({ endpoint: registration.endpoint, role: registration.role, driver: registration.driver }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
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
      if (timer) clearTimeout(timer);
    },
  };
}
