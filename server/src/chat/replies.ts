/** Slack's message shape for replies and response_url posts. */
export interface SlackMessage {
  response_type: "ephemeral" | "in_channel";
  text: string;
  replace_original?: boolean;
  blocks?: unknown[];
}

export const ephemeral = (text: string): SlackMessage => ({ response_type: "ephemeral", text });

export const codeBlock = (text: string) => `\`\`\`\n${text.trimEnd()}\n\`\`\``;

export function usageReply(error: string, usage: string): SlackMessage {
  return ephemeral(`:warning: ${error}.\nUsage: \`${usage}\` (try \`help\`)`);
}

/** Asks for confirmation: Slack buttons (POST /v1/chat/slack/interactions) or `confirm <code>`. */
export function confirmationMessage(summary: string, danger: string, code: string): SlackMessage {
  const text = `:warning: ${summary}: ${danger}.\nTo go ahead, reply \`confirm ${code}\` within 2 minutes (only you can confirm it).`;
  return {
    response_type: "ephemeral",
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            action_id: "lvsfleet_confirm",
            style: "danger",
            text: { type: "plain_text", text: "Confirm" },
            value: code,
          },
          { type: "button", action_id: "lvsfleet_cancel", text: { type: "plain_text", text: "Cancel" }, value: code },
        ],
      },
    ],
  };
}
