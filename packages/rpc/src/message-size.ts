/**
 * The largest gRPC message either side of an agent connection sends or accepts, unless told
 * otherwise: 64 MiB. gRPC's own default (4 MiB received) is too small for a big cluster: the
 * server's Apply carries the whole spec (up to LVSFLEET_MAX_SPEC_BYTES, 32 MiB by default; a
 * 10,000-service × 10-real-server spec is about 7.4 MB), and the agent's ApplyResponse, GetState and
 * events carry its table. Server: LVSFLEET_GRPC_MAX_MESSAGE_BYTES; agents: --max-message-bytes.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The grpc-js channel or server options for that limit, both directions. */
export function messageSizeOptions(maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): {
  "grpc.max_receive_message_length": number;
  "grpc.max_send_message_length": number;
} {
  return { "grpc.max_receive_message_length": maxBytes, "grpc.max_send_message_length": maxBytes };
}
