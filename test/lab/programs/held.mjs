// Connections that stay open through a fail-over: N keep-alive connections from the client, each
// sending a request every INTERVAL ms on its own connection. Prints {"ready":true,"servers":[…]} once
// every connection has answered, then one JSON line per failed request {"c":index,"t":ms,"error":…}
// and, on SIGTERM or stdin end, {"done":true,"requests":n,"broken":[indexes of connections that failed
// or moved to another server]}.
//   held.mjs URL N [INTERVAL_MS=50]
import http from "node:http";

const [url, countArg, intervalArg = "50"] = process.argv.slice(2);
const count = Number(countArg);
const interval = Number(intervalArg);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const connections = Array.from({ length: count }, () => ({
  agent: new http.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1_000 }),
  server: undefined,
  port: undefined,
  broken: false,
}));
let requests = 0;

function request(c, index) {
  return new Promise((resolve) => {
    const t = Date.now();
    const req = http.get(url, { agent: c.agent, timeout: 2_000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        const server = body.trim();
        const port = req.socket?.localPort;
        requests++;
        if (c.server === undefined) {
          c.server = server;
          c.port = port;
        } else if (server !== c.server || port !== c.port) {
          // a new connection (the old one broke and the agent reconnected) or another server
          c.broken = true;
          print({ c: index, t, error: `moved from ${c.server}:${c.port} to ${server}:${port}` });
        }
        resolve();
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => {
      requests++;
      c.broken = true;
      print({ c: index, t, error: e.code ?? e.message });
      resolve();
    });
  });
}

await Promise.all(connections.map((c, i) => request(c, i)));
print({ ready: true, servers: connections.map((c) => c.server) });
let stopping = false;
const loops = connections.map(async (c, i) => {
  while (!stopping) {
    await new Promise((r) => setTimeout(r, interval));
    if (!stopping) await request(c, i);
  }
});
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(loops);
  print({ done: true, requests, broken: connections.flatMap((c, i) => (c.broken ? [i] : [])) });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
