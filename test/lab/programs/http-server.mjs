// A real server's web server for the lab: answers every request with its name (and the
// header x-server), after ?delay=MS if asked. Prints {"ready":true} once listening.
import http from "node:http";

const [name, port = "80"] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const delay = Number(new URL(req.url ?? "/", "http://x").searchParams.get("delay") ?? 0);
  setTimeout(
    () => {
      res.setHeader("x-server", name);
      res.end(`${name}\n`);
    },
    Math.min(delay, 30_000),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "0.0.0.0", () => process.stdout.write(`${JSON.stringify({ ready: true, name })}\n`));
process.on("SIGTERM", () => process.exit(0));
