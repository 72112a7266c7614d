import { createHmac } from "node:crypto";

/** Builds a signed Slack slash-command request (form body + headers), as Slack would send it. */
export function signSlackCommand(
  secret: string,
  fields: Record<string, string>,
  timestamp = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ command: "/lvs", user_name: "operator", user_id: "U0001", ...fields }).toString();
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return {
    body,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature,
    },
  };
}
