import { z } from "zod";
import { canonicalIp, isIpAddress } from "./address.ts";
import { FORWARDING_METHODS } from "./forwarding.ts";
import { RetiredScriptPath, ScriptName } from "./script-name.ts";

/**
 * Health checks, quorum and sorry server: how lvsfleet decides that a real server is up, and what a
 * virtual service does when too few are. Every field keeps the meaning (and the default) of the
 * keepalived keyword named in its comment, so a keepalived.conf imports without a change of behaviour;
 * `rise` and `fall` are lvsfleet's own additions.
 *
 * How a checker behaves, keepalived style (the checkers in agents/director implement this):
 * - every `delayLoop` seconds the checker makes one attempt (a TCP connect, an HTTP GET, a script run),
 *   which fails if it does not complete within `connectTimeout` (`timeout` for a script);
 * - after a failed attempt on a server that is up, it retries up to `retry` more times, `delayBeforeRetry`
 *   seconds apart; if every attempt failed, that check round has failed;
 * - `fall` failed rounds in a row take the server down; `rise` successful rounds in a row bring it back
 *   (keepalived: both 1);
 * - a down server is removed from the IPVS table, or kept at weight 0 when inhibitOnFailure is set;
 * - with several checkers on one real server, the server is up only while every checker is up.
 */

/** A duration in seconds; fractions allowed (keepalived timers resolve to microseconds). */
const Seconds = z
  .number({ error: "must be a number of seconds" })
  .min(0, { error: "must not be negative" })
  .max(2147483, { error: "must be at most 2147483 seconds" });

const CheckAddress = z
  .string()
  .refine(isIpAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 or IPv6 address` })
  .transform(canonicalIp);

const CheckPort = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(1, { error: "must be between 1 and 65535" })
  .max(65535, { error: "must be between 1 and 65535" });

const Count = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be between 0 and 2147483647" })
  .max(2147483647, { error: "must be between 0 and 2147483647" });

const Streak = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(1, { error: "must be between 1 and 1000" })
  .max(1000, { error: "must be between 1 and 1000" });

/** Timing every checker has. */
const CheckTiming = {
  /** Seconds an attempt may take (connect, and for HTTP the whole response). keepalived connect_timeout; default 5. */
  connectTimeout: Seconds.optional(),
  /**
   * Further attempts after a failed one before the round counts as failed. keepalived retry (called
   * nb_get_retry before keepalived 2.0); default 1, for MISC_CHECK 0.
   */
  retry: Count.optional(),
  /** Seconds between those retries. keepalived delay_before_retry; default 3 for HTTP/HTTPS, 1 otherwise. */
  delayBeforeRetry: Seconds.optional(),
  /** Seconds between check rounds. keepalived delay_loop; default the service's delayLoop, else 60. */
  delayLoop: Seconds.optional(),
  /** Random delay of up to this many seconds before the first round. keepalived warmup; default delayLoop, 0 = none. */
  warmup: Seconds.optional(),
  /** lvsfleet: successful rounds in a row that bring a down server back up. Default 1 (keepalived's behaviour). */
  rise: Streak.optional(),
  /** lvsfleet: failed rounds in a row that take an up server down. Default 1 (keepalived's behaviour). */
  fall: Streak.optional(),
};

/** A script has no connection: `timeout` takes the place of connectTimeout (keepalived has none for MISC_CHECK). */
function scriptTiming() {
  const { connectTimeout: _none, ...rest } = CheckTiming;
  return rest;
}

/** Where a network checker connects; each defaults to the real server's own address and port. */
const CheckConnection = {
  /** Address to connect to instead of the real server's. keepalived connect_ip. */
  connectIp: CheckAddress.optional(),
  /** Port to connect to instead of the real server's. keepalived connect_port (needed for fwmark services). */
  connectPort: CheckPort.optional(),
  /** Source address of the check connection. keepalived bindto. */
  bindTo: CheckAddress.optional(),
};

/** keepalived TCP_CHECK: up when a TCP connection to the server completes within connectTimeout. */
export const TcpCheck = z.strictObject({
  type: z.literal("tcp"),
  ...CheckConnection,
  ...CheckTiming,
});
export type TcpCheck = z.output<typeof TcpCheck>;

const STATUS_RANGE = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

/** An HTTP status code or an inclusive range of them: "200", "200-299". */
export const HttpStatusRange = z
  .string()
  .regex(STATUS_RANGE, { error: 'must be a status code or range such as "200" or "200-299"' })
  .refine(
    (text) => {
      const [, lo, hi] = STATUS_RANGE.exec(text) ?? [];
      return hi === undefined || Number(lo) <= Number(hi);
    },
    { error: "the range must not run backwards" },
  );

/** One URL an HTTP(S) checker fetches (keepalived `url { ... }`). */
export const HttpCheckUrl = z.strictObject({
  /** Path of the GET request. keepalived path. */
  path: z.string().regex(/^[^\s"]+$/, { error: "must be a URL path without spaces or double quotes" }),
  /** Status codes that count as success. keepalived status_code; default 200-299. */
  statusCodes: z.array(HttpStatusRange).min(1).optional(),
  /** MD5 (hex) of the response body that counts as success. keepalived digest (computed with genhash). */
  digest: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, { error: "must be an MD5 digest (32 hex digits)" })
    .transform((d) => d.toLowerCase())
    .optional(),
  /** Host header for this URL. keepalived virtualhost. */
  virtualhost: z
    .string()
    .regex(/^[^\s"]+$/, { error: "must be a host name" })
    .optional(),
});
export type HttpCheckUrl = z.output<typeof HttpCheckUrl>;

const HttpFields = {
  /** Fetched one after another; the check round succeeds only if every URL does. */
  urls: z.array(HttpCheckUrl).min(1, { error: "must list at least one URL" }),
  /** Host header for URLs that set none. keepalived virtualhost (checker, real_server or virtual_server). */
  virtualhost: z
    .string()
    .regex(/^[^\s"]+$/, { error: "must be a host name" })
    .optional(),
  ...CheckConnection,
  ...CheckTiming,
};

/** keepalived HTTP_GET: GET each URL over plain HTTP and compare status code and/or digest. */
export const HttpCheck = z.strictObject({ type: z.literal("http"), ...HttpFields });
export type HttpCheck = z.output<typeof HttpCheck>;

/** keepalived SSL_GET: as HTTP_GET, over TLS (the certificate is not verified, as in keepalived). */
export const HttpsCheck = z.strictObject({
  type: z.literal("https"),
  ...HttpFields,
  /** Send the virtualhost as TLS SNI. keepalived enable_sni. */
  enableSni: z.boolean().optional(),
});
export type HttpsCheck = z.output<typeof HttpsCheck>;

/**
 * keepalived MISC_CHECK: run a program; exit status 0 = up, anything else = down. With `dynamic`,
 * exit status 2-255 means up with weight (status - 2), as keepalived's misc_dynamic. The spec names
 * the program only (script-name.ts): each director runs what its own allowlist maps the name to.
 */
export const MiscCheck = z.strictObject({
  type: z.literal("misc"),
  /** keepalived misc_path, retired: a spec that still gives one is refused with what to write instead. */
  path: RetiredScriptPath.optional(),
  /**
   * The script to run: a name from the director's allowlist (`--actions-file`, section `scripts`),
   * which maps it to a program and its arguments ({address}, {port}, {service} filled by the agent).
   */
  script: ScriptName,
  /**
   * Whole seconds the program may run before it is killed (SIGTERM, then SIGKILL) and the attempt
   * fails. keepalived misc_timeout; default the service's delayLoop. The allowlist entry's own
   * timeoutSeconds is the upper bound.
   */
  timeout: z
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be whole seconds (keepalived misc_timeout)" })
    .min(1, { error: "must be at least 1 second" })
    .max(2147483, { error: "must be at most 2147483 seconds" })
    .optional(),
  /** Exit status sets the weight (see above). keepalived misc_dynamic. */
  dynamic: z.boolean().optional(),
  ...scriptTiming(),
});
export type MiscCheck = z.output<typeof MiscCheck>;

export const HealthCheck = z.discriminatedUnion("type", [TcpCheck, HttpCheck, HttpsCheck, MiscCheck]);
export type HealthCheck = z.output<typeof HealthCheck>;
export type HealthCheckInput = z.input<typeof HealthCheck>;

/** Whether an HTTP status code satisfies a check URL's statusCodes (absent = 200-299). */
export function statusCodeAccepted(ranges: readonly string[] | undefined, code: number): boolean {
  return (ranges ?? ["200-299"]).some((range) => {
    const [, lo, hi] = STATUS_RANGE.exec(range) ?? [];
    return code >= Number(lo) && code <= Number(hi ?? lo);
  });
}

/**
 * The service-level quorum (keepalived quorum/hysteresis/quorum_up/quorum_down): the service is up while
 * the weights of its healthy real servers add up to at least `weight`. With hysteresis h it goes down
 * below weight - h and comes back at weight + h.
 */
export const Quorum = z.strictObject({
  /** Minimum total weight of healthy real servers. keepalived quorum; default 1. */
  weight: z.number().int().min(1, { error: "must be between 1 and 4294967295" }).max(4294967295),
  /** Dampens flapping around the quorum. keepalived hysteresis; default 0. */
  hysteresis: z.number().int().min(0).max(4294967295).optional(),
  /** Script run when the quorum is gained: a name from the director's allowlist. keepalived quorum_up. */
  up: ScriptName.optional(),
  /** Script run when the quorum is lost: a name from the director's allowlist. keepalived quorum_down. */
  down: ScriptName.optional(),
});
export type Quorum = z.output<typeof Quorum>;

/**
 * The server that takes the traffic while the quorum is lost (keepalived sorry_server): all real
 * servers leave the table and this one is added.
 */
export const SorryServer = z.strictObject({
  address: CheckAddress,
  /** Omitted for fwmark services, as for a real server. */
  port: z.number().int().min(0).max(65535).optional(),
  /** Forwarding method; default the service's. keepalived sorry_server_lvs_method. */
  forwarding: z.enum(FORWARDING_METHODS).optional(),
  /** Keep it in the table at weight 0 while not needed. keepalived sorry_server_inhibit. */
  inhibit: z.boolean().optional(),
});
export type SorryServer = z.output<typeof SorryServer>;

/** Seconds, as health and VRRP timers take them. */
export { Seconds as DurationSeconds };
