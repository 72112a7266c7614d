import { asCommandError } from "../commands/errors.ts";
import { ephemeral, type SlackMessage, usageReply } from "./replies.ts";

/**
 * A command's error as chat's reply: a refusal (:no_entry:), a full simulation pool (:hourglass:),
 * a question too big or a short form that says too little (:warning:), the candidates of an ambiguous
 * name, a server failure (:x:, nothing given away); anything else with the command's usage.
 */
export function errorReply(error: unknown, usage?: string): SlackMessage {
  const { kind, message, detail } = asCommandError(error);
  switch (kind) {
    case "unclear":
    case "aborted":
      return ephemeral(`:warning: ${message}`);
    case "forbidden":
      return ephemeral(`:no_entry: ${message}`);
    case "busy":
    case "not-replicated":
      return ephemeral(`:hourglass: ${message}`);
    case "internal":
      return ephemeral(":x: internal error; see the server log");
    case "ambiguous": {
      const candidates = detail.candidates ?? [];
      return ephemeral(
        `:warning: ${message}.${candidates.length ? `\nCandidates:\n${candidates.map((c) => `• ${c}`).join("\n")}` : ""}${usage ? `\nUsage: \`${usage}\`` : ""}`,
      );
    }
    default: {
      const field = detail.field ? `${detail.field}: ` : "";
      return usage ? usageReply(`${field}${message}`, usage) : ephemeral(`:warning: ${field}${message}`);
    }
  }
}
