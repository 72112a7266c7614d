export { status as GrpcStatus } from "@grpc/grpc-js";
export type {
  AgentApi,
  ApplyRequest,
  ApplyResult,
  EventWatch,
  HeldConnectionsInput,
  RoleChangeResult,
  RunActionResult,
  SimulatedLoadInput,
  SimulatedTrafficRequest,
  WatchEventsOptions,
} from "./agent-api.ts";
export { applyRequestFromWire, startRequestFromWire, stopRequestFromWire } from "./agent-input.ts";
export { AgentClient, type AgentClientOptions, CHANNEL_OPTIONS } from "./client.ts";
export * from "./convert.ts";
export * from "./convert-failover.ts";
export { AgentCallError, describeCode, isServiceError, RpcError } from "./errors.ts";
export { HealthClient } from "./health.ts";
export { DEFAULT_MAX_MESSAGE_BYTES, messageSizeOptions } from "./message-size.ts";
export { publishRpcCall, RPC_CALL_CHANNEL, type RpcCallRecord, rpcCalls } from "./observe.ts";
export { agentService, protoDir } from "./proto.ts";
export {
  acceptRequestId,
  currentRequestId,
  REQUEST_ID_HEADER,
  requestLogFields,
  withRequestId,
} from "./request-id.ts";
export { ACTION_NAME, AGENT_SERVICE_NAME, type RunningAgentServer, type ServeOptions, serveAgent } from "./server.ts";
// TLS (mTLS credentials, peer identity) lives at @lvsfleet/rpc/tls so that plaintext users do not load X.509 code.
