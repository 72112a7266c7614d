import { ClusterSpec, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import type { Confirmations } from "../src/chat/confirmations.ts";
import { type ChatAction, dispatch } from "../src/chat/dispatch.ts";
import { parseChatCommand } from "../src/chat/parse.ts";
import type { Actor } from "../src/commands/actor.ts";
import type { CommandContext } from "../src/commands/context.ts";

/** web with 192.168.1.231 at weight 0: setting 192.168.1.220 to 0 leaves the service with no weight. */
const web = validate(ClusterSpec, {
  ...DEMO_CLUSTER,
  services: [
    {
      ...DEMO_CLUSTER.services![0]!,
      realServers: DEMO_CLUSTER.services![0]!.realServers!.map((r) =>
        r.address === "192.168.1.231" ? { ...r, weight: 0 } : r,
      ),
    },
  ],
});

const operator: Actor = { type: "chat", name: "ops (U0002)", role: "operator", channel: "chat" };

/** Chat over a cluster store that counts every spec read, and confirmations that remember what they were asked. */
function chat() {
  const reads: string[] = [];
  const get = async (name: string) => {
    reads.push(name);
    return name === web.name ? { spec: web, generation: 1, updatedAt: 0 } : undefined;
  };
  const ctx = { clusters: { names: async () => [web.name], get, readable: get } } as unknown as CommandContext;
  const asked: ChatAction[] = [];
  const confirmations = {
    ask: async (pending: { action: ChatAction }) => {
      asked.push(pending.action);
      return "123456";
    },
  } as unknown as Confirmations<ChatAction>;
  const run = (text: string) => {
    const parsed = parseChatCommand(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return dispatch(ctx, confirmations, parsed.command, { actor: operator, userId: "U0002" });
  };
  return { run, reads, asked };
}

describe("chat's weight command", () => {
  it("reads the spec once to locate the server and judge the danger, then asks to confirm", async () => {
    for (const text of ["weight 192.168.1.220 0", "weight 192.168.1.220:80 0 web", "weight 192.168.1.220 0 web http"]) {
      const { run, reads, asked } = chat();
      const reply = await run(text);
      expect(reply.text).toMatch(/this leaves service web\/http with no weight/);
      expect(reply.text).toContain("confirm 123456");
      expect(reads).toEqual(["web"]);
      expect(asked).toEqual([
        {
          kind: "weight",
          target: { cluster: "web", service: "http", address: "192.168.1.220", port: 80, weight: 3 },
          weight: 0,
        },
      ]);
    }
  });

  it("an unknown server is answered with what there is, from the same single read", async () => {
    const { run, reads } = chat();
    const reply = await run("weight 192.168.1.9 2 web");
    expect(reply.text).toContain(":warning: no real server 192.168.1.9 in web.");
    expect(reply.text).toContain("• 192.168.1.220:80 in web/http");
    expect(reads).toEqual(["web"]);
  });
});
