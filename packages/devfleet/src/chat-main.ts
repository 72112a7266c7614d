import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { repoRoot } from "./fleet.ts";
import { signSlackCommand } from "./slack.ts";

/**
 * `npm run chat -- '<command>'`: sends a slash command to the demo server signed exactly as Slack
 * signs it, prints the reply, and — when a job was queued — waits on a local response_url for the
 * job's outcome. Settings come from the environment or from .data/demo/env written by the demo.
 */
function settings(): Record<string, string> {
  const fromFile: Record<string, string> = {};
  try {
    for (const line of readFileSync(join(repoRoot(), ".data", "demo", "env"), "utf8").split("\n")) {
      const [k, ...v] = line.split("=");
      if (k) fromFile[k] = v.join("=");
    }
  } catch {}
  return { ...fromFile, ...(process.env as Record<string, string>) };
}

const env = settings();
const text = process.argv.slice(2).join(" ");
const url = env.LVSFLEET_URL ?? "http://127.0.0.1:8080";
const secret = env.SLACK_SIGNING_SECRET;
if (!secret) {
  console.error("set SLACK_SIGNING_SECRET (the demo writes it to .data/demo/env)");
  process.exit(2);
}
const outcome = new Promise<string>((resolve) => {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      res.end("ok");
      server.close();
      resolve(JSON.parse(body).text);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    void send(`http://127.0.0.1:${port}/response`).then((queued) => {
      if (!queued) {
        server.close();
        resolve("");
      }
    });
  });
});

async function send(responseUrl: string): Promise<boolean> {
  const { body, headers } = signSlackCommand(secret!, { text, response_url: responseUrl });
  const response = await fetch(`${url}/v1/chat/slack/commands`, { method: "POST", headers, body });
  const reply = (await response.json()) as { text?: string; error?: { message: string } };
  console.log(reply.text ?? `HTTP ${response.status}: ${reply.error?.message}`);
  return /^Queued job/.test(reply.text ?? "");
}

const timeout = setTimeout(() => {
  console.log("(no outcome within 60 s)");
  process.exit(1);
}, 60_000);
const final = await outcome;
clearTimeout(timeout);
if (final) console.log(`\n${final}`);
