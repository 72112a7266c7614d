import { signSlackBody, signSlackCommand } from "@lvsfleet/devfleet";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLACK_SECRET, startDemoFleet } from "./fleet.ts";

/**
 * Random requests at the running server: random methods, paths, headers, bodies and chat texts.
 * None may cause a 500 or crash the server, and none may change anything: they are sent without a
 * token, with a wrong one, with a viewer's, or with garbage bodies; chat texts come from a viewer or
 * an unmapped user, or carry a bad signature.
 */
let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let viewer: string;

beforeAll(async () => {
  fleet = await startDemoFleet({
    LVSFLEET_RATE_LIMIT_PER_MINUTE: "1000000",
    LVSFLEET_CHAT_RATE_LIMIT_PER_MINUTE: "100000",
  });
  viewer = (await fleet.api.post("/v1/tokens", { name: "fuzz-viewer", role: "viewer" })).body.token;
});
afterAll(async () => {
  await fleet?.cleanup();
});

async function snapshot() {
  const [cluster, tokens, audit, agents] = await Promise.all([
    fleet.api.get("/v1/clusters/web"),
    fleet.api.get("/v1/tokens"),
    fleet.api.get("/v1/audit?limit=1000"),
    fleet.api.get("/v1/agents"),
  ]);
  return {
    cluster: cluster.body,
    tokens: tokens.body.tokens.map((t: any) => [t.id, t.revokedAt ?? null]),
    mutations: audit.body.entries.filter((e: any) => e.outcome !== "denied").length,
    agents: agents.body.agents.map((a: any) => [a.host, a.endpoint]),
  };
}

const SEGMENTS = [
  "v1",
  "clusters",
  "web",
  "services",
  "http",
  "real-servers",
  "192.168.1.220:80",
  "jobs",
  "1",
  "agents",
  "lb-master",
  "tokens",
  "audit",
  "pki",
  "join-tokens",
  "enroll",
  "renew",
  "register",
  "revocations",
  "status",
  "start",
  "stop",
  "chat",
  "slack",
  "commands",
  "interactions",
  "health",
  "openapi.json",
  "metrics",
  "docs",
  "plan",
  "simulate",
  "doctor",
  "..",
  "%2e%2e",
  "%00",
  "[::1]:80",
  "a".repeat(300),
];
const path = fc
  .array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 20 }).map(encodeURIComponent)), {
    minLength: 1,
    maxLength: 7,
  })
  .chain((parts) =>
    fc
      .oneof(
        fc.constant(""),
        fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
      )
      .map((q) => `/${parts.join("/")}${q}`),
  );
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom("{", "[]", "null", '{"weight":', "\u0000", '{"weight":1e309}', '{"__proto__":{"x":1}}'),
);
const auth = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.constant("viewer"),
  fc.constant("admin"),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  fc.constantFrom("Bearer", "Basic dXNlcjpwYXNz", "bearer  x y", `Bearer lvsf_${"A".repeat(43)}`),
);
const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("fuzzing the server", () => {
  it("random requests never get a 500 and change nothing", async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        path,
        auth,
        contentType,
        body,
        async (method, p, a, ct, b) => {
          const headers: Record<string, string> = {};
          if (a === "viewer") headers.authorization = `Bearer ${viewer}`;
          else if (a === "admin") headers.authorization = `Bearer ${fleet.api.token}`;
          else if (a !== undefined) headers.authorization = a;
          if (ct) headers["content-type"] = ct;
          let payload =
            b === undefined || method === "GET" || method === "HEAD"
              ? undefined
              : typeof b === "string"
                ? b
                : JSON.stringify(b);
          // The admin may change anything, so an admin's request only ever carries a body that is not JSON:
          // whatever it hits must refuse it without a 500 and without a change.
          if (a === "admin" && payload !== undefined && isJson(payload)) payload = `${payload}}`;
          if (a === "admin" && payload === undefined && method !== "GET" && method !== "HEAD" && method !== "OPTIONS")
            payload = "not json";
          const response = await fetch(`${fleet.url}${p}`, { method, headers, body: payload });
          await response.arrayBuffer();
          expect(response.status, `${method} ${p}`).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    expect(await snapshot()).toEqual(before);
    expect((await fetch(`${fleet.url}/v1/health`)).status).toBe(200);
  });

  it("random chat texts from a viewer or an unmapped user, and badly signed requests, change nothing", async () => {
    const before = await snapshot();
    const words = fc.constantFrom(
      "weight",
      "stop",
      "start",
      "status",
      "audit",
      "confirm",
      "help",
      "whatif",
      "doctor",
      "192.168.1.220",
      "web",
      "lb-master",
      "0",
      "65536",
      "-1",
      "123456",
    );
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(words, { maxLength: 6 }).map((w) => w.join(" ")),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom("U0003", "U7777", "bad-signature", "interaction"), async (t, who) => {
        let request: { body: string; headers: Record<string, string> };
        let url = `${fleet.url}/v1/chat/slack/commands`;
        if (who === "bad-signature") request = signSlackCommand("wrong-secret", { text: t, user_id: "U0001" });
        else if (who === "interaction") {
          url = `${fleet.url}/v1/chat/slack/interactions`;
          request = signSlackBody(SLACK_SECRET, new URLSearchParams({ payload: t }).toString());
        } else request = signSlackCommand(SLACK_SECRET, { text: t, user_id: who });
        const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
        await response.arrayBuffer();
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
