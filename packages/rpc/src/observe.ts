import { channel } from "node:diagnostics_channel";

/**
 * Every finished unary call of an AgentClient is published here (node:diagnostics_channel), so
 * that metrics can count calls, errors and latency without the rpc package knowing about them.
 * Publishing costs nothing while nobody subscribes.
 */
export const RPC_CALL_CHANNEL = "lvsfleet:rpc:call";

export interface RpcCallRecord {
  /** The agent's host name. */
  host: string;
  /** The RPC as the proto names it: Apply, GetState, Start, Stop, GetInfo. */
  method: string;
  /** `OK`, or the gRPC status name (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, …). */
  code: string;
  durationSeconds: number;
}

export const rpcCalls = channel(RPC_CALL_CHANNEL);

export function publishRpcCall(record: RpcCallRecord): void {
  if (rpcCalls.hasSubscribers) rpcCalls.publish(record);
}
