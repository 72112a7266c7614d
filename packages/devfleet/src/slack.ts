import { createHmac, randomBytes } from "node:crypto";

/** Builds a signed Slack slash-command request (form body + headers), as Slack would send it. */
export function signSlackCommand(
  secret: string,
  fields: Record<string, string>,
  timestamp = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  // Slack gives every invocation its own trigger_id, so two identical commands never share a signature.
  const trigger_id = `${Date.now()}.${randomBytes(6).toString("hex")}`;
  const body = new URLSearchParams({
    command: "/lvs",
    user_name: "operator",
    user_id: "U0001",
    trigger_id,
    ...fields,
  }).toString();
  return signSlackBody(secret, body, timestamp);
}

/** Signs any form body as Slack does (interactions send `payload=<json>`). */
export function signSlackBody(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
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
