import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { postToResponseUrl } from "../src/notify/response-url.ts";
import { ChatWebhook } from "../src/notify/webhook.ts";

/** A server on 127.0.0.1 that records what reaches it and answers with `answer`. */
async function listener(answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> }) {
  const received: { method: string; path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", path: req.url ?? "", body });
      const { status, headers } = answer(req);
      res.writeHead(status, headers).end("answer");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, received, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A Slack-like response_url: its path is the bearer secret. */
const SECRET_PATH = "/hooks/T0001/B0002/xoxb-secret-response-token-6f1d";

/** A redirecting response_url (A answers 302 to B), B, and a log that keeps every line. */
async function redirectPair() {
  const target = await listener(() => ({ status: 200 }));
  const redirector = await listener(() => ({ status: 302, headers: { location: `${target.origin}/stolen` } }));
  servers.push(target.server, redirector.server);
  const lines: string[] = [];
  const log = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
  return { target, redirector, lines, log, url: `${redirector.origin}${SECRET_PATH}` };
}

describe("a response_url that redirects gets nothing forwarded, and logs never carry the URL", () => {
  it("postToResponseUrl: a 302 is a failure, its target receives nothing, the log names only the host", async () => {
    const { target, redirector, lines, log, url } = await redirectPair();
    const posted = await postToResponseUrl(url, { response_type: "ephemeral", text: "job done" }, ["127.0.0.1"], log);
    expect(posted).toBe(false);
    expect(redirector.received).toEqual([
      { method: "POST", path: SECRET_PATH, body: expect.stringContaining("job done") },
    ]);
    expect(target.received).toEqual([]);
    const text = lines.join("");
    expect(text).toMatch(/redirect, which is not followed/);
    expect(text).toContain(`"host":"127.0.0.1:`);
    expect(text).not.toContain("secret-response-token");
    expect(text).not.toContain("/hooks/");
  });

  it("postToResponseUrl: a URL that is not allowed, or that fails, is logged by host only", async () => {
    const { lines, log } = await redirectPair();
    expect(
      await postToResponseUrl(
        `https://evil.example${SECRET_PATH}`,
        { response_type: "ephemeral", text: "x" },
        ["127.0.0.1"],
        log,
      ),
    ).toBe(false);
    // Nothing listens on port 9 of loopback: the connection fails.
    expect(
      await postToResponseUrl(
        `http://127.0.0.1:9${SECRET_PATH}`,
        { response_type: "ephemeral", text: "x" },
        ["127.0.0.1"],
        log,
      ),
    ).toBe(false);
    const text = lines.join("");
    expect(text).toMatch(/"host":"evil.example".*not allowed/);
    expect(text).toMatch(/"host":"127.0.0.1:9".*could not post/);
    expect(text).not.toContain("secret-response-token");
  });

  it("postToResponseUrl: a 200 is a success (for contrast)", async () => {
    const ok = await listener(() => ({ status: 200 }));
    servers.push(ok.server);
    expect(
      await postToResponseUrl(
        `${ok.origin}${SECRET_PATH}`,
        { response_type: "ephemeral", text: "hi" },
        ["127.0.0.1"],
        pino({ level: "silent" }),
      ),
    ).toBe(true);
    expect(ok.received).toHaveLength(1);
  });

  it("the chat webhook does not follow a redirect either, and never logs its URL", async () => {
    const { target, redirector, lines, log, url } = await redirectPair();
    const webhook = new ChatWebhook(url, ["127.0.0.1"], log);
    webhook.post("lb-master is now MASTER");
    await webhook.close();
    expect(webhook.failures).toBe(1);
    expect(webhook.posted).toBe(0);
    expect(redirector.received).toHaveLength(1);
    expect(target.received).toEqual([]);
    const text = lines.join("");
    expect(text).toMatch(/"status":302/);
    expect(text).not.toContain("secret-response-token");
  });
});
