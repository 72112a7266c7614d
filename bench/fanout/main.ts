// bench/fanout: one change fanned out to many sim director agents over mutual TLS, and a restart of
// the supervisor with every agent stream to re-attach.
//
//   node scripts/build.mjs && node bench/dist/fanout.js       (npm run bench:fanout)
//
// Settings (environment): FANOUT_AGENTS (1000), FANOUT_CHANGES (20), FANOUT_HOSTS (agent-host
// processes, 2), FANOUT_IDLE_SECONDS (idle window for the supervisor's CPU, 10),
// FANOUT_AGENT_DEADLINE_MS (60000) and FANOUT_APPLY_CONCURRENCY (32) for the server, REDIS_URL (a Redis
// already running; else a private redis-server is started). Prints the figures
// and, last, one JSON line (`{"fanout": …}`) that the CI test reads.

import { runAgentHost } from "./agent-host.ts";
import { runCoordinator } from "./coordinator.ts";

if (process.argv[2] === "agents") await runAgentHost();
else await runCoordinator();
