// The client of the sync-daemon guest test (sync-daemon.test.ts), run by node inside the switch
// guest's client namespace: `node sync-client.mjs <vip> <port> <connections> <interval ms> [label [deferred]]`.
// Every event carries the label; with "deferred" the connections open on SIGHUP, not at once.
// It holds <connections> TCP connections to the VIP and sends "c<k> <seq>" on each every
// <interval> ms; the real servers answer "<name> c<k> <seq>" (busybox nc -ll -e, straight to the
// client: LVS-DR). SIGUSR1 marks the director switch; SIGUSR2 stops and reports. Everything it
// says is one "@@EV <json>" line on stdout (the guest's serial port, time-stamped by the test).
import net from "node:net";

const [vip, portText, countText, intervalText, label = "main", deferred] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const interval = Number(intervalText);
if (!vip || !(port > 0) || !(count > 0) || !(interval > 0)) {
  process.stderr.write("usage: sync-client.mjs <vip> <port> <connections> <interval ms>\n");
  process.exit(2);
}

const say = (event) => process.stdout.write(`@@EV ${JSON.stringify({ label, ...event })}\n`);
const start = performance.now();
const now = () => Math.round(performance.now() - start);
let markAt;
let opened = 0;

let connections = [];
const open = () =>
  Array.from({ length: count }, (_, k) => {
    const c = {
      k,
      localPort: 0,
      sent: 0,
      before: { replies: 0, servers: new Set() },
      after: { replies: 0, servers: new Set(), sent: 0, firstReplyMs: undefined, lastReplyMs: undefined },
      error: undefined,
      closed: false,
      socket: net.connect({ host: vip, port }),
    };
    let pending = "";
    c.socket.setNoDelay(true);
    c.socket.setEncoding("utf8");
    c.socket.on("connect", () => {
      c.localPort = c.socket.localPort ?? 0;
    });
    c.socket.on("data", (chunk) => {
      pending += chunk;
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const [server] = pending.slice(0, nl).split(" ");
        pending = pending.slice(nl + 1);
        const side = markAt === undefined ? c.before : c.after;
        side.servers.add(server);
        side.replies++;
        if (side === c.after) {
          c.after.firstReplyMs ??= Math.round(performance.now() - start - markAt);
          c.after.lastReplyMs = Math.round(performance.now() - start - markAt);
        }
        if (side === c.before && c.before.replies === 1) {
          opened++;
          say({ opened: k, port: c.localPort, server, ms: now() });
          if (opened === count) say({ ready: count, ms: now() });
        }
      }
    });
    c.socket.on("error", (error) => {
      c.error = error.code ?? error.message;
    });
    c.socket.on("close", () => {
      c.closed = true;
    });
    return c;
  });

if (deferred === "deferred")
  process.on("SIGHUP", () => {
    if (connections.length === 0) connections = open();
  });
else connections = open();

const send = () => {
  for (const c of connections) {
    if (c.closed || c.error || c.socket.connecting) continue;
    c.socket.write(`c${c.k} ${c.sent++}\n`);
    if (markAt !== undefined) c.after.sent++;
  }
};
const ticker = setInterval(send, interval);

process.on("SIGUSR1", () => {
  markAt = performance.now() - start;
  say({ mark: true, ms: Math.round(markAt) });
});
process.on("SIGUSR2", () => {
  clearInterval(ticker);
  // the last replies are on their way
  setTimeout(() => {
    say({
      report: connections.map((c) => ({
        k: c.k,
        localPort: c.localPort,
        before: { replies: c.before.replies, servers: [...c.before.servers] },
        after: {
          sent: c.after.sent,
          replies: c.after.replies,
          servers: [...c.after.servers],
          firstReplyMs: c.after.firstReplyMs,
          lastReplyMs: c.after.lastReplyMs,
        },
        error: c.error,
        closed: c.closed,
      })),
    });
    for (const c of connections) c.socket.destroy();
    process.exit(0);
  }, 1500);
});
say({ started: count, vip, port });
