import { type ServiceError, status } from "@grpc/grpc-js";

/** An error an agent handler raises on purpose, with the gRPC status the caller should see. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** A failed call to an agent, worded for operators: which host, where, and what went wrong. */
export class AgentCallError extends Error {
  override name = "AgentCallError";
  constructor(
    readonly host: string,
    readonly endpoint: string,
    readonly method: string,
    readonly code: status,
    readonly detail: string,
  ) {
    super(`${method} on agent ${host} (${endpoint}) failed: ${describeCode(code)}: ${detail}`);
  }

  /** True when the agent could not be reached at all (down, refused, or too slow). */
  get unreachable(): boolean {
    return this.code === status.UNAVAILABLE || this.code === status.DEADLINE_EXCEEDED;
  }
}

export function describeCode(code: status): string {
  switch (code) {
    case status.UNAVAILABLE:
      return "agent unreachable";
    case status.DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case status.FAILED_PRECONDITION:
      return "refused";
    case status.INVALID_ARGUMENT:
      return "invalid request";
    default:
      return status[code] ?? `status ${code}`;
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number";
}
