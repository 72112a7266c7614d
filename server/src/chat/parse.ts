import { MAINTENANCE_USAGE, type MaintenanceChatCommand, parseMaintenanceChat } from "./maintenance.ts";

/** A chat command, as typed after the slash command (`/lvs weight 192.168.1.220 5`). */
export type ChatCommand =
  | MaintenanceChatCommand
  | { kind: "help" }
  | { kind: "status"; cluster?: string | undefined }
  | { kind: "weight"; target: string; weight: number; cluster?: string | undefined; service?: string | undefined }
  | { kind: "whatif"; target: string; weight: number; cluster?: string | undefined; service?: string | undefined }
  | { kind: "start" | "stop"; args: string[] }
  | { kind: "audit"; cluster?: string | undefined }
  | { kind: "doctor"; cluster?: string | undefined }
  | { kind: "confirm"; code: string };

export type ParseResult = { ok: true; command: ChatCommand } | { ok: false; error: string; usage: string };

export const USAGE: Record<string, string> = {
  help: "help",
  status: "status [cluster]",
  weight: "weight <real-server-ip>[:port] <0-65535> [cluster] [service]",
  whatif: "whatif weight <real-server-ip>[:port] <0-65535> [cluster] [service]",
  start: "start [cluster] [host]",
  stop: "stop [cluster] [host]",
  audit: "audit [cluster]",
  doctor: "doctor [cluster]",
  confirm: "confirm <code>",
  ...MAINTENANCE_USAGE,
};

export const HELP_TEXT = [
  "*lvsfleet* — commands:",
  ...Object.values(USAGE).map((u) => `• \`${u}\``),
  "Examples: `status`, `weight 192.168.1.220 5`, `weight 192.168.1.231:80 0 web http`, `stop web lb-backup`, `audit web`.",
  "`whatif weight 192.168.1.231 0` predicts what a weight change would do (share of new connections, ActiveConn, time to drain) and changes nothing.",
  "Maintenance jobs: `drain 192.168.1.220` (weight 0, wait for connections to end), `drain 192.168.1.220 for 30m` (then restore), `undrain 192.168.1.220`, `rolling http batch 1 min 75%`, `switchover`, `jobs`, `cancel m-12`; their progress is posted here.",
  "Dangerous changes (stopping a director or a cluster, leaving a service with no weight) ask for `confirm <code>` within 2 minutes.",
  "Short forms work when they are unambiguous; otherwise the reply lists the candidates.",
].join("\n");

const fail = (kind: string, error: string): ParseResult => ({ ok: false, error, usage: USAGE[kind] ?? USAGE.help! });

/** Parses the text of a slash command; errors say what was wrong and the right form. */
export function parseChatCommand(text: string): ParseResult {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb = "help", ...args] = words;
  switch (verb.toLowerCase()) {
    case "help":
      return { ok: true, command: { kind: "help" } };
    case "status":
      if (args.length > 1) return fail("status", `status takes at most one argument (a cluster), got ${args.length}`);
      return { ok: true, command: { kind: "status", cluster: args[0] } };
    case "weight": {
      if (args.length < 2) return fail("weight", "weight needs a real server and a weight");
      if (args.length > 4) return fail("weight", `weight takes at most 4 arguments, got ${args.length}`);
      const [target = "", n = "", cluster, service] = args;
      if (!/^\d+$/.test(n) || Number(n) > 65535)
        return fail("weight", `the weight must be a whole number from 0 to 65535, got ${JSON.stringify(n)}`);
      return { ok: true, command: { kind: "weight", target, weight: Number(n), cluster, service } };
    }
    case "whatif": {
      const [what = "", ...rest] = args;
      if (what.toLowerCase() !== "weight")
        return fail(
          "whatif",
          `whatif asks about a weight change: whatif weight <ip>[:port] <n>, got ${JSON.stringify(what || "nothing")}`,
        );
      const parsed = parseChatCommand(["weight", ...rest].join(" "));
      if (!parsed.ok) return fail("whatif", parsed.error.replace(/^weight/, "whatif weight"));
      const { target, weight, cluster, service } = parsed.command as Extract<ChatCommand, { kind: "weight" }>;
      return { ok: true, command: { kind: "whatif", target, weight, cluster, service } };
    }
    case "audit":
      if (args.length > 1) return fail("audit", `audit takes at most one argument (a cluster), got ${args.length}`);
      return { ok: true, command: { kind: "audit", cluster: args[0] } };
    case "doctor":
      if (args.length > 1) return fail("doctor", `doctor takes at most one argument (a cluster), got ${args.length}`);
      return { ok: true, command: { kind: "doctor", cluster: args[0] } };
    case "confirm":
      if (args.length !== 1 || !/^\d{6}$/.test(args[0] ?? ""))
        return fail("confirm", "confirm takes the 6-digit code from the confirmation message");
      return { ok: true, command: { kind: "confirm", code: args[0] as string } };
    case "start":
    case "stop":
      if (args.length > 2)
        return fail(verb, `${verb} takes at most a cluster and a host, got ${args.length} arguments`);
      return { ok: true, command: { kind: verb.toLowerCase() as "start" | "stop", args } };
    default: {
      const maintenance = parseMaintenanceChat(verb.toLowerCase(), args);
      if (maintenance?.ok) return { ok: true, command: maintenance.command };
      if (maintenance) return fail(maintenance.kind, maintenance.error);
      return { ok: false, error: `unknown command ${JSON.stringify(verb)}`, usage: Object.values(USAGE).join(" | ") };
    }
  }
}
