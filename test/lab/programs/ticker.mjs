// Steady traffic for the fail-over tests: from the client namespace, one HTTP request on a new
// connection every INTERVAL ms, whatever the previous ones are doing (open loop), each with a
// TIMEOUT. One JSON line per request when it ends: {"t":sent ms since the epoch,"ms":duration,
// "server":"rs1"} or {"t":…,"ms":…,"error":"ECONNREFUSED"}. Prints {"ready":true} first; stops on
// SIGTERM or when stdin closes, after the requests in flight end.
//   ticker.mjs URL [INTERVAL_MS=20] [TIMEOUT_MS=1000]
import http from "node:http";

const [url, intervalArg = "20", timeoutArg = "1000"] = process.argv.slice(2);
const interval = Number(intervalArg);
const timeout = Number(timeoutArg);
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
let inFlight = 0;
let stopping = false;

function once() {
  const t = Date.now();
  const started = performance.now();
  inFlight++;
  const done = (result) => {
    inFlight--;
    print({ t, ms: Math.round(performance.now() - started), ...result });
    if (stopping && inFlight === 0) process.exit(0);
  };
  const req = http.get(url, { agent, timeout }, (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => done({ server: body.trim() }));
    res.on("error", (e) => done({ error: e.code ?? e.message }));
  });
  req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
  req.on("error", (e) => done({ error: e.code ?? e.message }));
}

const timer = setInterval(once, interval);
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  if (inFlight === 0) process.exit(0);
  setTimeout(() => process.exit(0), timeout + 500).unref();
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
print({ ready: true, interval, timeout });
