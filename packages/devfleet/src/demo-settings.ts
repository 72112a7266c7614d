import { z } from "zod";

/**
 * The demo's knobs, from the environment:
 * - LVSFLEET_DEMO_REPLICAS (1–9, default 1): server replicas on PORT, PORT+1, … sharing one Redis and CA;
 * - LVSFLEET_DEMO_SENTINEL (1/true/0/false, default off): a private Redis master, one replica and three
 *   sentinels instead of one Redis (REDIS_URL is then the demo's Sentinel URL, so it must not be set);
 * - LVSFLEET_DEMO_DATA: the demo's data directory (default .data/demo; the tests use their own);
 * - PORT (default 8080): the first server's port.
 */
const Flag = z
  .enum(["1", "0", "true", "false", "yes", "no", ""], { error: "must be 1 or 0 (true or false)" })
  .transform((v) => v === "1" || v === "true" || v === "yes");

const Fields = z.object({
  LVSFLEET_DEMO_REPLICAS: z.coerce
    .number({ error: "must be a number of server replicas from 1 to 9" })
    .int({ error: "must be a whole number of server replicas from 1 to 9" })
    .min(1, { error: "must be a number of server replicas from 1 to 9" })
    .max(9, { error: "must be a number of server replicas from 1 to 9" })
    .default(1),
  LVSFLEET_DEMO_SENTINEL: Flag.default(false),
  LVSFLEET_DEMO_DATA: z.string().min(1, { error: "must be a directory" }).optional(),
  PORT: z.coerce
    .number({ error: "must be a TCP port number" })
    .int({ error: "must be a TCP port number" })
    .min(0, { error: "must be a TCP port number" })
    .max(65_535, { error: "must be a TCP port number" })
    .default(8080),
  REDIS_URL: z.string().min(1).optional(),
});
export const DemoSettings = Fields.superRefine((settings, ctx) => {
  if (settings.LVSFLEET_DEMO_SENTINEL && settings.REDIS_URL)
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_URL"],
      message:
        "LVSFLEET_DEMO_SENTINEL=1 starts the demo's own Redis and sentinels: unset REDIS_URL, or leave LVSFLEET_DEMO_SENTINEL off to use your Redis",
    });
  if (settings.PORT !== 0 && settings.PORT + settings.LVSFLEET_DEMO_REPLICAS - 1 > 65_535)
    ctx.addIssue({ code: "custom", path: ["PORT"], message: "leaves no room for the replicas' ports (PORT+1, …)" });
});
export type DemoSettings = z.output<typeof DemoSettings>;

/** The demo's settings, or the first problem as `NAME: reason`. */
export function readDemoSettings(env: NodeJS.ProcessEnv): DemoSettings {
  const picked = Object.fromEntries(
    Object.keys(Fields.shape)
      .filter((key) => env[key] !== undefined)
      .map((key) => [key, env[key]]),
  );
  const checked = DemoSettings.safeParse(picked);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  throw new Error(`${String(issue.path[0] ?? "settings")}: ${issue.message}`);
}
