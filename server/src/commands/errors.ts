import { ValidationError } from "@lvsfleet/model";
import { PkiError } from "@lvsfleet/pki";
import { AgentCallError } from "@lvsfleet/rpc";
import { ForbiddenError } from "../access/roles.ts";
import { AgentRefusedError } from "../agents/pool.ts";
import { SimulationAbortedError, SimulationBusyError } from "../simulation/errors.ts";
import { ConcurrentUpdateError, StoredSpecError } from "../store/clusters.ts";
import { HostNotOwnedError, HostOwnedError } from "../store/host-owners.ts";
import { NotReplicatedError } from "../store/replication-barrier.ts";

/**
 * Why a command did not do what it was asked. Each front door maps a kind to its own form
 * (REST: http/errors.ts, a status code and a JSON body; chat: chat/errors.ts, a reply).
 * - invalid: bad input; `field` names it, `details` lists every field at fault (REST 400)
 * - ambiguous: a short name matched several things, or none; `candidates` lists what there is (400)
 * - unclear: a short form that does not say enough, e.g. which cluster (400; chat's own forms)
 * - unauthenticated: a proof of identity (a join token, a certificate, a signature) failed (401)
 * - forbidden: the actor's role or cluster list does not allow it, or an agent refused it (403)
 * - not-found: something named does not exist (404)
 * - conflict: valid, but the thing is not in a state that allows it (409)
 * - aborted: the work was started and stopped at a limit, e.g. a simulation's deadline (422)
 * - busy: refused before any work; `retryAfterSeconds` says when to try again (429)
 * - internal: the server failed; the message is safe to show (500)
 * - unavailable: an agent could not be reached or failed (502)
 * - not-replicated: the change was written but may not survive a Redis fail-over; safe to retry (503)
 */
export type CommandErrorKind =
  | "invalid"
  | "ambiguous"
  | "unclear"
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "aborted"
  | "busy"
  | "internal"
  | "unavailable"
  | "not-replicated";

export interface CommandErrorDetail {
  field?: string | undefined;
  details?: { field: string; message: string }[] | undefined;
  candidates?: string[] | undefined;
  retryAfterSeconds?: number | undefined;
}

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    readonly kind: CommandErrorKind,
    message: string,
    readonly detail: CommandErrorDetail = {},
  ) {
    super(message);
  }
}

/** Something named in a command does not exist. */
export class NotFoundError extends CommandError {
  override name = "NotFoundError";
  constructor(message: string) {
    super("not-found", message);
  }
}

/** A short name matched more than one thing (or none); the candidates say how to be precise. */
export class AmbiguousError extends CommandError {
  override name = "AmbiguousError";
  constructor(
    message: string,
    readonly candidates: string[],
  ) {
    super("ambiguous", message, { candidates });
  }
}

/** The request is valid but the thing is not in a state that allows it, e.g. cancelling a finished job. */
export class ConflictError extends CommandError {
  override name = "ConflictError";
  constructor(message: string, field?: string) {
    super("conflict", message, field === undefined ? {} : { field });
  }
}

/** The command does not say enough to act on, e.g. no cluster named where there are several. */
export class UnclearError extends CommandError {
  override name = "UnclearError";
  constructor(message: string) {
    super("unclear", message);
  }
}

const INTERNAL = "internal error; see the server log";

/**
 * Any error a command lets out, as a CommandError: the refusals of the layers under the commands
 * (validation, roles, stores, agents, the PKI, the simulator) get their kind here, so that no front
 * door needs to know them. Anything else is `internal`, with a message that gives nothing away.
 */
export function asCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  if (error instanceof ValidationError) {
    const first = error.errors[0];
    return new CommandError("invalid", first?.message ?? error.message, { field: first?.field, details: error.errors });
  }
  if (error instanceof PkiError) return pkiError(error);
  if (error instanceof ForbiddenError || error instanceof AgentRefusedError)
    return new CommandError("forbidden", error.message);
  if (error instanceof ConcurrentUpdateError || error instanceof StoredSpecError || error instanceof HostNotOwnedError)
    return new CommandError("conflict", error.message);
  if (error instanceof HostOwnedError) return new CommandError("conflict", error.message, { field: error.field });
  if (error instanceof AgentCallError) return new CommandError("unavailable", error.message);
  if (error instanceof SimulationBusyError)
    return new CommandError("busy", error.message, { retryAfterSeconds: error.retryAfterSeconds });
  if (error instanceof SimulationAbortedError) return new CommandError("aborted", error.message);
  if (error instanceof NotReplicatedError)
    return new CommandError("not-replicated", error.message, { retryAfterSeconds: error.retryAfterSeconds });
  return new CommandError("internal", INTERNAL);
}

/** PKI refusals: bad input, failed proof of who you are, a known identity refused, the CA's files. */
function pkiError(error: PkiError): CommandError {
  const kind: CommandErrorKind =
    error.code === "invalid-input" || error.code === "invalid-csr" || error.code === "unsupported-key"
      ? "invalid"
      : error.code === "identity-mismatch" || error.code === "revoked"
        ? "forbidden"
        : error.code === "ca-files"
          ? "internal"
          : "unauthenticated";
  const message = error.message.startsWith(`${error.field}: `)
    ? error.message.slice(error.field.length + 2)
    : error.message;
  return new CommandError(kind, message, { field: error.field });
}
