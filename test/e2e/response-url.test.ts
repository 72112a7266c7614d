import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { signSlackCommand } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLACK_SECRET, startDemoFleet } from "./fleet.ts";

/**
 * A Slack response_url is a bearer secret (whoever has it can post into the channel), and the
 * allowlist is checked on it, not on wherever it redirects: the server follows no redirect and
 * never logs the URL. Through the front door: a signed slash command whose job outcome goes to a
 * response_url on 127.0.0.1 that answers 302 to a second server on 127.0.0.1.
 */
let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
const servers: Server[] = [];

beforeAll(async () => {
  fleet = await startDemoFleet();
});
afterAll(async () => {
  for (const s of servers) s.close();
  await fleet?.cleanup();
});

async function listener(answer: { status: number; headers?: Record<string, string> }) {
  const received: { path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { received, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("job outcomes to a response_url", () => {
  it("a 302 is not followed: its target receives nothing, the post fails, and the log never holds the URL", async () => {
    const target = await listener({ status: 200 });
    const redirector = await listener({ status: 302, headers: { location: `${target.origin}/collect` } });
    const secretPath = "/commands/T0001/B0002/Zx9secretResponseToken";
    const { body, headers } = signSlackCommand(SLACK_SECRET, {
      text: "weight 192.168.1.231 2",
      user_id: "U0002",
      response_url: `${redirector.origin}${secretPath}`,
    });
    const reply = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
    expect(reply.status).toBe(200);
    const text = ((await reply.json()) as { text: string }).text;
    const id = /Queued job (\d+)/.exec(text)?.[1];
    expect(id, text).toBeDefined();
    expect((await fleet.api.waitForJob(id!)).state).toBe("completed");

    // The outcome is POSTed once to the response_url, which redirects...
    const deadline = Date.now() + 10_000;
    while (redirector.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(redirector.received).toHaveLength(1);
    expect(redirector.received[0]).toMatchObject({ path: secretPath, body: expect.stringContaining("completed") });
    // ...and the redirect's target never hears of it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(target.received).toEqual([]);

    const log = readFileSync(join(fleet.dataDir, "logs", "server.log"), "utf8");
    const line = log.split("\n").find((l) => l.includes("redirect, which is not followed"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ host: redirector.origin.slice("http://".length), status: 302 });
    expect(log).not.toContain("Zx9secretResponseToken");
    expect(log).not.toContain("/commands/T0001");
  });
});
