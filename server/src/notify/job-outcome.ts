import type { CommandJobData, CommandJobResult } from "../commands/jobs.ts";

/** A message posted to a Slack response_url (the subset of Slack's message shape the notifier sends). */
export interface ChatPost {
  response_type: "ephemeral" | "in_channel";
  replace_original?: boolean;
  text: string;
}

const codeBlock = (text: string) => `\`\`\`\n${text.trimEnd()}\n\`\`\``;

/** The message posted to the response_url when a job ends. */
export function outcomeMessage(
  job: { id?: string | undefined; data: CommandJobData; attemptsMade: number },
  outcome: { result?: CommandJobResult | undefined; error?: Error | undefined },
): ChatPost {
  if (outcome.error)
    return {
      response_type: "ephemeral",
      replace_original: false,
      text: `:x: Job ${job.id} failed after ${job.attemptsMade} attempt(s): ${job.data.command}\n${outcome.error.message}`,
    };
  const result = outcome.result;
  const table = result?.hosts.find((h) => h.table)?.table;
  const changes = (result?.hosts ?? [])
    .map((h) => `${h.host}: ${h.changes.length ? h.changes.join("; ") : "no change"}`)
    .join("\n");
  return {
    response_type: "ephemeral",
    replace_original: false,
    text: [
      `:white_check_mark: Job ${job.id} completed: ${job.data.command} — ${result?.summary ?? ""}`,
      changes,
      table ? codeBlock(table) : "",
    ]
      .filter(Boolean)
      .join("\n"),
  };
}
