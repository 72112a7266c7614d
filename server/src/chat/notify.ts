import type { Logger } from "pino";
import type { SlackMessage } from "./replies.ts";

/** True when a response_url may be posted to: https on an allowed host (or any scheme on an allowed loopback host). */
export function responseUrlAllowed(url: string, allowedHosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!allowedHosts.includes(parsed.hostname)) return false;
  const loopback = parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost" || parsed.hostname === "[::1]";
  return parsed.protocol === "https:" || (loopback && parsed.protocol === "http:");
}

/** POSTs a message to a Slack response_url (checked again against the allowlist); never throws. */
export async function postToResponseUrl(
  url: string,
  message: SlackMessage,
  allowedHosts: readonly string[],
  log: Logger,
): Promise<boolean> {
  if (!responseUrlAllowed(url, allowedHosts)) {
    log.warn({ url }, "response_url not allowed; outcome not posted");
    return false;
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) log.warn({ url, status: response.status }, "response_url refused the outcome");
    return response.ok;
  } catch (error) {
    log.warn({ url, err: (error as Error).message }, "could not post the outcome to response_url");
    return false;
  }
}
