import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { AgentRole } from "@lvsfleet/model";
import { type CertificateAuthority, EnrollmentService, ensureServerIdentity, RevocationList } from "@lvsfleet/pki";
import { agentChannelCredentials, agentChannelOptions, TlsIdentitySource } from "@lvsfleet/rpc/tls";
import type { Logger } from "pino";
import { openFleetCa } from "./fleet-ca.ts";
import type { FleetCaRecord } from "./fleet-ca-record.ts";
import type { RedisPkiStore } from "./redis-store.ts";

/** How the server dials one agent: credentials plus channel options. */
export interface AgentChannel {
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
}

/**
 * The server's side of mutual TLS: its CA (the fleet's one, shared through Redis: fleet-ca.ts), its own certificate (renewed before expiry without restart), enrollment, and the
 * revocation snapshot every new agent connection is checked against.
 */
export class ServerTrust {
  private revocationList = RevocationList.empty();
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly ca: CertificateAuthority,
    readonly enrollment: EnrollmentService,
    readonly identity: TlsIdentitySource,
    private readonly store: RedisPkiStore,
    private readonly dir: string,
    private readonly log: Logger,
    /** The names the server certificate is issued for when it also serves HTTPS (LVSFLEET_TLS=ca). */
    private readonly names: { dnsNames?: string[]; ipAddresses?: string[] } = {},
  ) {}

  static async open(options: {
    dataDir: string;
    caCert?: string | undefined;
    caKey?: string | undefined;
    /** LVSFLEET_CA_ENCRYPTION_KEY(_FILE): seals the CA key kept in Redis for every server. */
    encryptionKey?: Buffer | undefined;
    /** LVSFLEET_CA_RECORD_UPGRADE: seal a version 1 CA record again as version 2. */
    upgradeRecord?: boolean | undefined;
    caRecord: FleetCaRecord;
    store: RedisPkiStore;
    log: Logger;
    /** LVSFLEET_TLS=ca: DNS names and IP addresses added to the server certificate for HTTPS. */
    names?: { dnsNames: string[]; ipAddresses: string[] } | undefined;
  }): Promise<ServerTrust> {
    const dir = join(options.dataDir, "pki");
    const loaded = await openFleetCa({
      record: options.caRecord,
      dir,
      files: options.caCert && options.caKey ? { cert: options.caCert, key: options.caKey } : undefined,
      encryptionKey: options.encryptionKey,
      upgradeRecord: options.upgradeRecord,
      log: options.log,
    });
    if (loaded.created) options.log.info({ dir, pin: loaded.ca.pin, mode: loaded.mode }, "created the lvsfleet CA");
    const names = options.names ?? {};
    const { material } = await ensureServerIdentity({ dir, ca: loaded.ca, ...names });
    const trust = new ServerTrust(
      loaded.ca,
      new EnrollmentService({ ca: loaded.ca, store: options.store }),
      new TlsIdentitySource(material),
      options.store,
      dir,
      options.log,
      names,
    );
    await trust.refreshRevocations();
    trust.scheduleRenewal();
    return trust;
  }

  /** Reloads the revocation snapshot (after a revoke or reinstate, and periodically for other servers' changes). */
  async refreshRevocations(): Promise<RevocationList> {
    this.revocationList = new RevocationList(await this.store.revocations());
    return this.revocationList;
  }

  get revocations(): RevocationList {
    return this.revocationList;
  }

  /** Credentials for dialing `host`: present the server certificate, accept only that agent's, not revoked. */
  channelFor(host: string, role: AgentRole): AgentChannel {
    return {
      credentials: agentChannelCredentials(this.identity, { host, role, revocations: () => this.revocationList }),
      channelOptions: agentChannelOptions(host),
    };
  }

  /** Hourly: renew the server certificate when due (new connections use it; open ones keep theirs). */
  private scheduleRenewal(): void {
    this.renewTimer = setInterval(() => {
      void ensureServerIdentity({ dir: this.dir, ca: this.ca, ...this.names })
        .then(({ material, renewed }) => {
          if (renewed) {
            this.identity.update(material);
            this.log.info("renewed the server certificate");
          }
        })
        .catch((error) => this.log.error({ err: (error as Error).message }, "server certificate renewal failed"));
      void this.refreshRevocations().catch(() => undefined);
    }, 3_600_000);
    this.renewTimer.unref();
  }

  close(): void {
    clearInterval(this.renewTimer);
  }
}

/** Plaintext dialing, only with LVSFLEET_INSECURE_GRPC (warned about at every start). */
export const INSECURE_CHANNEL: AgentChannel = { credentials: grpc.credentials.createInsecure() };
