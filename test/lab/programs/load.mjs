// The lab's client. Two modes, output as JSON lines:
//   load.mjs burst URL N CONCURRENCY    N requests, each on a new connection; counts per server, failures, rate
//   load.mjs keep URL [TARGET]          one keep-alive connection: opens connections until one is answered by
//                                       TARGET (if given) and prints it; then each line on stdin sends one more
//                                       request on that same connection and prints who answered.
import http from "node:http";
import { createInterface } from "node:readline";

const [mode, url, a, b] = process.argv.slice(2);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function request(agent, timeoutMs = 3_000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ server: body.trim(), port: req.socket?.localPort }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

if (mode === "burst") {
  const total = Number(a);
  const concurrency = Number(b ?? 1);
  const agent = new http.Agent({ keepAlive: false });
  const counts = {};
  const errors = {};
  let failures = 0;
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < total) {
        try {
          const { server } = await request(agent);
          counts[server] = (counts[server] ?? 0) + 1;
        } catch (error) {
          failures++;
          errors[error.message] = (errors[error.message] ?? 0) + 1;
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  print({ counts, failures, errors, ms: Math.round(ms), rps: Math.round((total / ms) * 1000) });
} else if (mode === "keep") {
  let agent;
  let first;
  for (let attempt = 0; attempt < 50; attempt++) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1_000 });
    first = await request(agent);
    if (!a || first.server === a) break;
    agent.destroy();
  }
  print({ first: first.server, port: first.port });
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) {
    try {
      const next = await request(agent, 5_000);
      print({ next: next.server, port: next.port });
    } catch (error) {
      print({ error: error.message });
    }
  }
  agent.destroy();
} else {
  process.stderr.write("usage: load.mjs burst URL N CONCURRENCY | keep URL [TARGET]\n");
  process.exit(2);
}
