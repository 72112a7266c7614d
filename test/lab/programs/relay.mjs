// Byte relays between the lab's network namespaces and the machine's loopback, which cannot reach
// each other by IP (the lab never connects a namespace to the host's own network). A Unix socket
// in the lab's temp directory is reachable from every namespace, so a pair of relays — one in the
// namespace, one outside — joins a TCP port on one side's loopback to a port on the other's.
//
//   relay.mjs LISTEN TARGET [LISTEN TARGET…]
//
// An endpoint is an absolute path (a Unix socket), 127.x.y.z:PORT (TCP on loopback; listening on
// port 0 takes a free one) or PORT (127.0.0.1:PORT). Anything but loopback is refused. Prints
// {"ready":true,"listening":[…]} (the real addresses, in argument order) once every listener is up.
import { rmSync } from "node:fs";
import net from "node:net";

function endpoint(text) {
  if (text.startsWith("/")) return { path: text };
  const match = /^(?:(127\.\d{1,3}\.\d{1,3}\.\d{1,3}):)?(\d{1,5})$/.exec(text);
  if (!match) {
    process.stderr.write(`relay: ${JSON.stringify(text)} is not a Unix socket path, 127.x.y.z:PORT or PORT\n`);
    process.exit(2);
  }
  return { host: match[1] ?? "127.0.0.1", port: Number(match[2]) };
}

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  process.stderr.write("usage: relay.mjs LISTEN TARGET [LISTEN TARGET…]\n");
  process.exit(2);
}

const servers = [];
const listening = [];
for (let i = 0; i < args.length; i += 2) {
  const from = endpoint(args[i]);
  const to = endpoint(args[i + 1]);
  const server = net.createServer((client) => {
    const upstream = net.connect(to);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  if (from.path) rmSync(from.path, { force: true });
  listening.push(
    new Promise((resolve, reject) => {
      server.once("error", reject);
      const done = () => {
        const address = server.address();
        resolve(typeof address === "string" ? address : `${address.address}:${address.port}`);
      };
      if (from.path) server.listen(from.path, done);
      else server.listen(from.port, from.host, done);
    }),
  );
  servers.push(server);
}
const addresses = await Promise.all(listening);
process.stdout.write(`${JSON.stringify({ ready: true, listening: addresses })}\n`);
process.on("SIGTERM", () => {
  for (const server of servers) server.close();
  process.exit(0);
});
