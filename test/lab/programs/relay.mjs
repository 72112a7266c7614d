// Bridges a Unix socket (reachable from the test process) to 127.0.0.1:PORT inside a network
// namespace (where an agent listens), so the test can speak gRPC to agents in namespaces.
import { rmSync } from "node:fs";
import net from "node:net";

const [socket, port] = process.argv.slice(2);
rmSync(socket, { force: true });
const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), "127.0.0.1");
  client.pipe(upstream).pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(socket, () => process.stdout.write(`${JSON.stringify({ ready: true, socket })}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
