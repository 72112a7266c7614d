import type { Logger } from "pino";

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

/**
 * The host of a response_url, the only part of it that may be logged: the URL itself is a bearer secret
 * (whoever holds a Slack response_url can post into the channel), so logs never carry its path.
 */
export function responseUrlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(not a URL)";
  }
}

/** Why a POST failed, without the URL (fetch's messages may quote it): the socket error's code, or the error's name. */
export function failureReason(error: unknown): string {
  return (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
}

/**
 * POSTs a message to a Slack response_url (checked again against the allowlist); never throws.
 * Redirects are not followed (a 3xx is a failure, and its target receives nothing): the allowlist is
 * checked on the URL given, and a redirect would carry the message to a host nobody allowed.
 */
export async function postToResponseUrl(
  url: string,
  message: object,
  allowedHosts: readonly string[],
  log: Logger,
): Promise<boolean> {
  const host = responseUrlHost(url);
  if (!responseUrlAllowed(url, allowedHosts)) {
    log.warn({ host }, "response_url not allowed; outcome not posted");
    return false;
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    if (!response.ok)
      log.warn(
        { host, status: response.status },
        response.status >= 300 && response.status < 400
          ? "response_url answered with a redirect, which is not followed; outcome not posted"
          : "response_url refused the outcome",
      );
    return response.ok;
  } catch (error) {
    log.warn({ host, err: failureReason(error) }, "could not post the outcome to response_url");
    return false;
  }
}
