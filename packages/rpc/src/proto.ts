import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/agent.ts";

const AGENT_PROTO = join("lvsfleet", "v1", "agent.proto");

/**
 * The repository's proto/ directory: LVSFLEET_PROTO_DIR, or the nearest proto/ above this module
 * (which works from the sources and from the bundles in each dist/ alike).
 */
export function protoDir(): string {
  const fromEnv = process.env.LVSFLEET_PROTO_DIR;
  if (fromEnv) return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, AGENT_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${AGENT_PROTO}; set LVSFLEET_PROTO_DIR`);
    dir = parent;
  }
}

/** The lvsfleet.v1.Agent client constructor and service definition, typed by the generated wire types. */
export type AgentService = ProtoGrpcType["lvsfleet"]["v1"]["Agent"];

let cached: AgentService | undefined;

/**
 * The lvsfleet.v1.Agent service, loaded with proto-loader: camelCase fields, enums as strings, longs
 * as numbers, defaults, oneofs — the options scripts/generate-wire-types.mjs generates the types with.
 */
export function agentService(): AgentService {
  if (cached) return cached;
  const definition = protoLoader.loadSync(join(protoDir(), AGENT_PROTO), {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir()],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  cached = loaded.lvsfleet.v1.Agent;
  return cached;
}
