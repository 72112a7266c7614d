import { ValidationError } from "@lvsfleet/model";
import { PkiError } from "@lvsfleet/pki";
import { AgentCallError } from "@lvsfleet/rpc";
import { describe, expect, it } from "vitest";
import { ForbiddenError } from "../src/access/roles.ts";
import { AgentRefusedError } from "../src/agents/pool.ts";
import { errorReply } from "../src/chat/errors.ts";
import {
  AmbiguousError,
  asCommandError,
  CommandError,
  ConflictError,
  NotFoundError,
  UnclearError,
} from "../src/commands/errors.ts";
import { InsecureModeError } from "../src/commands/pki.ts";
import { errorResponse } from "../src/http/errors.ts";
import { SimulationAbortedError, SimulationBusyError } from "../src/simulation/errors.ts";
import { ConcurrentUpdateError, StoredSpecError } from "../src/store/clusters.ts";
import { HostNotOwnedError, HostOwnedError } from "../src/store/host-owners.ts";
import { NotReplicatedError } from "../src/store/replication-barrier.ts";

const USAGE = "weight <real-server-ip>[:port] <0-65535> [cluster] [service]";

/** Every refusal a command lets out: its kind, REST's status and body (unchanged by the one CommandError). */
const cases: { error: unknown; kind: string; status: number; body: object; headers?: object }[] = [
  {
    error: new ValidationError([
      { field: "weight", message: "must be at most 65535" },
      { field: "server", message: "is not ADDRESS[:PORT]" },
    ]),
    kind: "invalid",
    status: 400,
    body: {
      field: "weight",
      message: "must be at most 65535",
      details: [
        { field: "weight", message: "must be at most 65535" },
        { field: "server", message: "is not ADDRESS[:PORT]" },
      ],
    },
  },
  {
    error: new AmbiguousError("192.168.1.220 matches 2 real servers; say which", ["a", "b"]),
    kind: "ambiguous",
    status: 400,
    body: { message: "192.168.1.220 matches 2 real servers; say which", candidates: ["a", "b"] },
  },
  {
    error: new UnclearError("which cluster? clusters: a, b"),
    kind: "unclear",
    status: 400,
    body: { message: "which cluster? clusters: a, b" },
  },
  {
    error: new PkiError("invalid-csr", "csr", "is not a CSR"),
    kind: "invalid",
    status: 400,
    body: { field: "csr", message: "is not a CSR" },
  },
  {
    error: new PkiError("token-used", "token", "was used"),
    kind: "unauthenticated",
    status: 401,
    body: { field: "token", message: "was used" },
  },
  {
    error: new PkiError("revoked", "certificate", "is revoked"),
    kind: "forbidden",
    status: 403,
    body: { field: "certificate", message: "is revoked" },
  },
  {
    error: new PkiError("ca-files", "ca", "unreadable"),
    kind: "internal",
    status: 500,
    body: { field: "ca", message: "unreadable" },
  },
  {
    error: new ForbiddenError("changing a weight needs operator"),
    kind: "forbidden",
    status: 403,
    body: { message: "changing a weight needs operator" },
  },
  {
    error: new AgentRefusedError("web1", "revoked"),
    kind: "forbidden",
    status: 403,
    body: { message: "agent web1 is not called: revoked" },
  },
  {
    error: new NotFoundError("no cluster named x"),
    kind: "not-found",
    status: 404,
    body: { message: "no cluster named x" },
  },
  {
    error: new ConflictError("job m-1 has finished"),
    kind: "conflict",
    status: 409,
    body: { message: "job m-1 has finished" },
  },
  { error: new InsecureModeError(), kind: "conflict", status: 409, body: { message: new InsecureModeError().message } },
  {
    error: new ConcurrentUpdateError("lost the race"),
    kind: "conflict",
    status: 409,
    body: { message: "lost the race" },
  },
  {
    error: new StoredSpecError("web", 3, "bad"),
    kind: "conflict",
    status: 409,
    body: { message: new StoredSpecError("web", 3, "bad").message },
  },
  {
    error: new HostNotOwnedError("web9", "web"),
    kind: "conflict",
    status: 409,
    body: { message: new HostNotOwnedError("web9", "web").message },
  },
  {
    error: new HostOwnedError("web1", "shop", "directors[0].host"),
    kind: "conflict",
    status: 409,
    body: { field: "directors[0].host", message: new HostOwnedError("web1", "shop", "directors[0].host").message },
  },
  {
    error: new SimulationAbortedError("deadline", 2000, "the what-if", "ask a smaller one"),
    kind: "aborted",
    status: 422,
    body: { message: new SimulationAbortedError("deadline", 2000, "the what-if", "ask a smaller one").message },
  },
  {
    error: new SimulationBusyError(3, { threads: 2, queue: 4 }),
    kind: "busy",
    status: 429,
    body: { message: new SimulationBusyError(3, { threads: 2, queue: 4 }).message },
    headers: { "retry-after": "3" },
  },
  {
    error: new NotReplicatedError("the change reached 0 of the 1 Redis replica(s) it must reach within 1000 ms"),
    kind: "not-replicated",
    status: 503,
    body: { message: "the change reached 0 of the 1 Redis replica(s) it must reach within 1000 ms" },
    headers: { "retry-after": "1" },
  },
  {
    error: new AgentCallError("lb-master", "127.0.0.1:1", "Apply", 14, "connection refused"),
    kind: "unavailable",
    status: 502,
    body: { message: new AgentCallError("lb-master", "127.0.0.1:1", "Apply", 14, "connection refused").message },
  },
  {
    error: new Error("redis went away at 10.0.0.9"),
    kind: "internal",
    status: 500,
    body: { message: "internal error; see the server log" },
  },
  {
    error: "not even an Error",
    kind: "internal",
    status: 500,
    body: { message: "internal error; see the server log" },
  },
];

describe("CommandError", () => {
  it.each(cases)(
    "$kind: REST answers $status with the body it always had",
    ({ error, kind, status, body, headers }) => {
      const mapped = asCommandError(error);
      expect(mapped).toBeInstanceOf(CommandError);
      expect(mapped.kind).toBe(kind);
      const response = errorResponse(error);
      expect(response.status).toBe(status);
      expect(JSON.parse(JSON.stringify(response.body))).toEqual({ error: body });
      expect(response.headers).toEqual(headers);
    },
  );

  it("an internal error gives nothing away, in REST or chat", () => {
    const error = new Error("redis at 10.0.0.9 refused AUTH for user lvsfleet");
    expect(JSON.stringify(errorResponse(error).body)).not.toContain("10.0.0.9");
    expect(errorReply(error, USAGE).text).toBe(":x: internal error; see the server log");
  });

  it("chat answers each kind in its own form", () => {
    expect(errorReply(new UnclearError("which cluster? clusters: a, b"), USAGE).text).toBe(
      ":warning: which cluster? clusters: a, b",
    );
    expect(errorReply(new ForbiddenError("changing a weight needs operator"), USAGE).text).toBe(
      ":no_entry: changing a weight needs operator",
    );
    expect(errorReply(new SimulationBusyError(3, { threads: 2, queue: 4 }), USAGE).text).toMatch(/^:hourglass: /);
    expect(errorReply(new NotReplicatedError("it may not survive a Redis fail-over"), USAGE).text).toBe(
      ":hourglass: it may not survive a Redis fail-over",
    );
    expect(errorReply(new SimulationAbortedError("memory", 64, "the what-if", "ask less"), USAGE).text).toMatch(
      /^:warning: the what-if needed more than 64 MB/,
    );
    expect(errorReply(new AmbiguousError("10.0.0.5 matches 2 real servers; say which", ["a", "b"]), USAGE).text).toBe(
      `:warning: 10.0.0.5 matches 2 real servers; say which.\nCandidates:\n• a\n• b\nUsage: \`${USAGE}\``,
    );
    expect(errorReply(new ValidationError([{ field: "weight", message: "must be at most 65535" }]), USAGE).text).toBe(
      `:warning: weight: must be at most 65535.\nUsage: \`${USAGE}\` (try \`help\`)`,
    );
    expect(errorReply(new NotFoundError("no host lb-9 in cluster web"), USAGE).text).toBe(
      `:warning: no host lb-9 in cluster web.\nUsage: \`${USAGE}\` (try \`help\`)`,
    );
  });
});
