import { isLoopbackHost } from "@lvsfleet/model";

/**
 * The agent's rule for `--server`: https always; plain http only to this host itself (127.0.0.0/8,
 * ::1, localhost: nothing crosses a network), or with --insecure (labs). Over plain http the join
 * token travels in the clear and anyone on the path can answer for the server.
 */

/** Why the agent refuses this --server URL (a sentence saying what to do), or undefined when it is fine. */
export function serverUrlRefusal(server: string, insecure: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return "must be the server's URL, e.g. https://lvsfleet.example.com:8080";
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol !== "http:") return `must be an https:// URL (not ${url.protocol})`;
  if (insecure || isLoopbackHost(url.hostname)) return undefined;
  return `${url.origin} is plain HTTP to a host that is not this one (loopback): the join token and the registration would cross the network unencrypted, and anyone on the path could answer for the server. Use https:// (turn on LVSFLEET_TLS on the server, see docs/operations.md), or start the agent with --insecure in a lab`;
}
