import { ValidationError } from "@lvsfleet/model";
import { requestLogFields } from "@lvsfleet/rpc";
import pino from "pino";
import { loadConfig } from "./config.ts";
import { startServer } from "./server.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  const reason =
    error instanceof ValidationError ? error.errors.map((e) => `${e.field}: ${e.message}`).join("\n") : String(error);
  process.stderr.write(`lvsfleet-server: bad configuration\n${reason}\n`);
  process.exit(2);
}
// Every line logged while serving a request or running its job carries the request id (reqId).
const log = pino({ name: "lvsfleet-server", level: config.LOG_LEVEL, mixin: requestLogFields });
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config, log);
} catch (error) {
  // E.g. Redis unreachable, or an HTTPS certificate file that went away since the configuration was read.
  process.stderr.write(`lvsfleet-server: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}
// A line the demo and tests wait for.
process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    void server.close().then(() => process.exit(0));
  });
