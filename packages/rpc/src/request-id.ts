import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/**
 * The request id that follows one command end to end: REST or chat request → queued job →
 * gRPC call (as metadata) → the agent's handler. It lives in an AsyncLocalStorage, so code in
 * between passes nothing along; loggers add it to every line through `requestLogFields`.
 */

/** HTTP header and gRPC metadata key (gRPC metadata keys are lowercase). */
export const REQUEST_ID_HEADER = "x-request-id";

const storage = new AsyncLocalStorage<{ requestId: string }>();
const ACCEPTED = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A caller's id when it is sane (1-128 characters, no spaces or quotes), else a new UUID. */
export function acceptRequestId(given: string | undefined): string {
  return given !== undefined && ACCEPTED.test(given) ? given : randomUUID();
}

/** Runs fn with the request id as the current one (fn runs as is when id is undefined). */
export function withRequestId<T>(id: string | undefined, fn: () => T): T {
  return id === undefined ? fn() : storage.run({ requestId: id }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** A pino `mixin`: `{ reqId }` while a request id is current, else nothing. */
export function requestLogFields(): { reqId?: string } {
  const id = currentRequestId();
  return id === undefined ? {} : { reqId: id };
}
