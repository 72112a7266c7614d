import { parseArgs } from "node:util";
import { HostName, InterfaceName, parseSimTraffic, ValidationError, validate } from "@lvsfleet/model";
import { API_TRUST_ROOTS } from "@lvsfleet/rpc/https";
import { z } from "zod";
import { serverUrlRefusal } from "./server-url.ts";

const ListenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: "must be HOST:PORT, e.g. 127.0.0.1:7101" });

/** `--sim-traffic 2,30` → the simulated load (validated: the error says which part is wrong). */
const SimTrafficOption = z.string().transform((text, ctx) => {
  try {
    return parseSimTraffic(text);
  } catch (error) {
    const message = error instanceof ValidationError ? (error.errors[0]?.message ?? "invalid") : String(error);
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  }
});

/** Command-line options every agent takes. */
export const AgentOptions = z.object({
  host: HostName,
  listen: ListenAddress.default("127.0.0.1:0"),
  advertise: ListenAddress.optional(),
  driver: z.string().default("sim"),
  stateDir: z.string().optional(),
  /** https://…; plain http:// only on loopback or with --insecure (see server-url.ts). */
  server: z.url({ error: "must be the server's URL, e.g. https://lvsfleet.example.com:8080" }).optional(),
  /** sim driver: this host's own address and prefix, e.g. 192.168.1.252/24. */
  address: z
    .string()
    .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, { error: "must be ADDRESS/PREFIX, e.g. 192.168.1.252/24" })
    .optional(),
  /** The host's main interface: it goes into nft scripts (the DR ingress hook) and sysctl keys. */
  interface: InterfaceName.default("eth0"),
  /** ipvs driver: IPVS sysctls the operator chose over the kernel's safe defaults, e.g. conn_reuse_mode=0. */
  ipvsSysctl: z.array(z.string()).default([]),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** The pin (sha256:<hex>) of the server's CA, from the join token's answer: trusted on first enrollment. */
  caPin: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, { error: "must be sha256:<64 hex digits> (the caPin of the join token)" })
    .optional(),
  /**
   * Whom the agent trusts for the server's HTTPS certificate besides the lvsfleet CA it pinned (and
   * NODE_EXTRA_CA_CERTS): `pinned` (default) nobody else; `public` also Node's public roots, for a
   * server certificate from a public CA (@lvsfleet/rpc/https ApiTrust).
   */
  serverCaRoots: z
    .enum(API_TRUST_ROOTS, {
      error:
        "must be pinned (only the lvsfleet CA the agent pinned, and the CAs in NODE_EXTRA_CA_CERTS) or public (also Node's public roots)",
    })
    .default("pinned"),
  /** A file holding the one-time join token (or set LVSFLEET_JOIN_TOKEN). */
  joinTokenFile: z.string().optional(),
  /** Plaintext gRPC, no certificates: for labs only; warned about at every start. */
  insecure: z.boolean().default(false),
  /** Serve Prometheus metrics (GET /metrics) on this address; off when absent. */
  metrics: ListenAddress.optional(),
  /**
   * The operator's allowlist (see actions.ts): on real servers the actions the server may run by
   * name; on directors the scripts a cluster spec may name (section scripts). Without it: neither.
   */
  actionsFile: z.string().min(1).optional(),
  /** sim driver: synthetic client load against each virtual service, `RATE[,LIFETIME[,CLIENTS]]`. */
  simTraffic: SimTrafficOption.optional(),
  /** Directors: seconds between whole read-backs of the table (the drift check); 0 = never. */
  readbackInterval: z.coerce
    .number({ error: "must be a number of seconds, e.g. 30 (0 turns the periodic read-back off)" })
    .min(0, { error: "must not be negative (0 turns the periodic read-back off)" })
    .max(86_400, { error: "must be at most 86400 seconds (a day)" })
    .default(30),
  /** The largest gRPC message the agent accepts or sends (an Apply carries the whole spec); default 64 MiB. */
  maxMessageBytes: z.coerce
    .number()
    .int()
    .min(4 * 1024 * 1024, { error: "must be at least 4194304 (4 MiB, gRPC's own default)" })
    .max(2 ** 31 - 1, { error: "must be at most 2147483647" })
    .optional(),
});
export type AgentOptions = z.output<typeof AgentOptions>;

/** AgentOptions with the rule between options: no plain http:// to another host without --insecure (server-url.ts). */
const CheckedAgentOptions = AgentOptions.superRefine((options, ctx) => {
  const refusal = options.server === undefined ? undefined : serverUrlRefusal(options.server, options.insecure);
  if (refusal) ctx.addIssue({ code: "custom", path: ["server"], message: refusal });
});

export const USAGE = `options:
  --host NAME          this host's name in the cluster spec (required)
  --listen HOST:PORT   gRPC listen address (default 127.0.0.1:0, a free port)
  --advertise HOST:PORT address the server should dial (default: the listen address)
  --driver NAME        data-plane/host driver (default sim)
  --state-dir DIR      where the agent keeps what it must remember (default .data/agents/<host>)
  --server URL         the lvsfleet server: https://… (its certificate must come from the pinned
                       lvsfleet CA, or a CA in NODE_EXTRA_CA_CERTS for an operator's own certificate;
                       see --server-ca-roots); http:// only on loopback, or with --insecure (then it
                       registers with the token in LVSFLEET_AGENT_TOKEN)
  --server-ca-roots R  pinned (default): trust only the lvsfleet CA the agent pinned and the CAs in
                       NODE_EXTRA_CA_CERTS for the server's certificate; public: also Node's public
                       roots (a certificate from a public CA; anyone such a CA issues one to for the
                       server's name then gets the join token and the registrations)
  --address A/P        sim driver: this host's own address, e.g. 192.168.1.252/24
  --interface NAME     the host's main interface (default eth0)
  --ipvs-sysctl K=V    ipvs driver: conn_reuse_mode, expire_nodest_conn or expire_quiescent_template
                       instead of the kernel's safe default (repeatable)
  --ca-pin PIN         sha256 pin of the server's CA (printed with the join token); first start only
  --join-token-file F  file with the one-time join token (or env LVSFLEET_JOIN_TOKEN); first start only
  --insecure           plaintext gRPC without certificates, and http:// to a server that is not on
                       loopback (labs only; warned about at every start)
  --log-level LEVEL    trace, debug, info, warn, error (default info)
  --metrics HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics (off by default; no token:
                       bind it to loopback or a management address)
  --actions-file F     JSON allowlist of the programs this host may run by name. Real-server agent: the
                       actions rolling jobs run, e.g. {"actions":{"restart-web":{"command":["/usr/bin/systemctl",
                       "restart","nginx"]}}}. Director agent: the scripts a cluster spec may name (misc checks,
                       quorum up/down, VRRP notify), e.g. {"scripts":{"check-web":{"command":
                       ["/usr/local/lib/lvsfleet/check-web","{address}","{port}"]}}}; without it scripts are off
  --readback-interval S directors: every S seconds read the whole table back and compare it with the
                       applied one; a difference (a hand change) is drift, reported and, under the
                       spec's driftPolicy correct, repaired (default 30; 0: never)
  --max-message-bytes N the largest gRPC message accepted or sent (default 67108864, 64 MiB): the server's
                       Apply carries the whole cluster spec (10,000 services × 10 real servers: about 7.4 MB)
  --sim-traffic R[,L[,C]] sim driver: simulated clients open R connections/s against each virtual service,
                       lasting L s on average (default 30), from C addresses (default 1000); e.g. 2,30`;

/** Parses argv into AgentOptions; throws a ValidationError naming the bad option. */
export function parseAgentOptions(argv: string[]): AgentOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      listen: { type: "string" },
      advertise: { type: "string" },
      driver: { type: "string" },
      "state-dir": { type: "string" },
      server: { type: "string" },
      address: { type: "string" },
      interface: { type: "string" },
      "ipvs-sysctl": { type: "string", multiple: true },
      "log-level": { type: "string" },
      metrics: { type: "string" },
      "sim-traffic": { type: "string" },
      "max-message-bytes": { type: "string" },
      "actions-file": { type: "string" },
      "ca-pin": { type: "string" },
      "join-token-file": { type: "string" },
      "server-ca-roots": { type: "string" },
      "readback-interval": { type: "string" },
      insecure: { type: "boolean" },
    },
    strict: true,
  });
  const {
    "state-dir": stateDir,
    "log-level": logLevel,
    "ipvs-sysctl": ipvsSysctl,
    "sim-traffic": simTraffic,
    "ca-pin": caPin,
    "join-token-file": joinTokenFile,
    "actions-file": actionsFile,
    "server-ca-roots": serverCaRoots,
    "readback-interval": readbackInterval,
    "max-message-bytes": maxMessageBytes,
    ...rest
  } = values;
  return validate(CheckedAgentOptions, {
    ...rest,
    stateDir,
    logLevel,
    ipvsSysctl,
    caPin,
    joinTokenFile,
    simTraffic,
    actionsFile,
    serverCaRoots,
    readbackInterval,
    maxMessageBytes,
  });
}
