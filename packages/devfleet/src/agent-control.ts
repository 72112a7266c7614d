import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentRole } from "@lvsfleet/model";
import { CA_CERT_FILE, loadIdentity, SERVER_IDENTITY_NAME } from "@lvsfleet/pki";
import { AgentClient } from "@lvsfleet/rpc";
import { agentChannelCredentials, agentChannelOptions, TlsIdentitySource } from "@lvsfleet/rpc/tls";

/**
 * A gRPC client for one agent of a local fleet, as the fleet's own server dials it: with the
 * server's certificate from `<dataDir>/server/pki` (agents accept only the server), or in plaintext
 * when the fleet runs insecure. For tests and the demo's tools (e.g. SetSimulatedTraffic); nothing
 * else should talk to agents behind the server's back.
 */
export async function agentControlClient(options: {
  /** The fleet's data directory (startFleet's dataDir). */
  dataDir: string;
  host: string;
  endpoint: string;
  role?: AgentRole;
  deadlineMs?: number;
}): Promise<AgentClient> {
  const dir = join(options.dataDir, "server", "pki");
  const base = { host: options.host, endpoint: options.endpoint, deadlineMs: options.deadlineMs ?? 5_000 };
  if (!existsSync(join(dir, CA_CERT_FILE))) return new AgentClient(base);
  const material = await loadIdentity(dir, SERVER_IDENTITY_NAME, readFileSync(join(dir, CA_CERT_FILE), "utf8"));
  if (!material) throw new Error(`no server identity in ${dir}: has the fleet's server started?`);
  return new AgentClient({
    ...base,
    credentials: agentChannelCredentials(new TlsIdentitySource(material), {
      host: options.host,
      ...(options.role ? { role: options.role } : {}),
    }),
    channelOptions: agentChannelOptions(options.host),
  });
}
