import type { PeerCertificate } from "node:tls";
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { AgentRole } from "@lvsfleet/model";
import { describeIdentity, type Identity, type RevocationList, type TlsMaterial } from "@lvsfleet/pki/light";
import { type CertificateSummary, summarizeCertificate } from "./peer-certificate.ts";

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * One side's TLS material, replaceable at run time: a grpc-js CertificateProvider (the experimental
 * API behind createCertificateProvider{Server,Channel}Credentials, grpc-js >= 1.14). update() pushes
 * a renewed certificate to every server and channel built from it: a server calls
 * http2SecureServer.setSecureContext (new handshakes use the new certificate, open connections and
 * streams keep theirs), a channel builds its next connections' secure context from it. No restart.
 */
export class TlsIdentitySource implements CertificateProvider {
  private material: TlsMaterial;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(material: TlsMaterial) {
    TlsIdentitySource.check(material);
    this.material = material;
  }

  /** Throws (without echoing the key) when the key does not match the certificate or a PEM is unreadable. */
  private static check(material: TlsMaterial): void {
    try {
      createSecureContext({ key: material.keyPem, cert: material.certPem, ca: material.caPem });
    } catch (error) {
      throw new Error(`TLS material is unusable: ${(error as Error).message}`);
    }
  }

  get current(): TlsMaterial {
    return this.material;
  }

  /** The current certificate, summarized (identity, serial, validity). */
  get certificate(): CertificateSummary {
    return summarizeCertificate(this.material.certPem);
  }

  /** Replaces the material; listeners (servers, channels) see it at once. Validated first: a bad update changes nothing. */
  update(material: TlsMaterial): void {
    TlsIdentitySource.check(material);
    const caChanged = material.caPem !== this.material.caPem;
    this.material = material;
    const identity = this.identityUpdate();
    for (const listener of this.identityListeners) listener(identity);
    if (caChanged) for (const listener of this.caListeners) listener(this.caUpdate());
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.material.caPem) };
  }

  private identityUpdate() {
    return { certificate: Buffer.from(this.material.certPem), privateKey: Buffer.from(this.material.keyPem) };
  }

  // grpc-js subscribes before it registers its own watcher, so the first value must arrive on the next
  // tick (as grpc-js's FileWatcherCertificateProvider does), or the server would miss it and drop
  // every connection as "unloaded credentials".
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/** What one side learns about its peer from the TLS handshake. */
export interface PeerInfo {
  identity: Identity | undefined;
  serial: string;
  notAfter: Date;
  subject: string;
}

function peerInfo(raw: Buffer | undefined): PeerInfo | undefined {
  if (!raw) return undefined;
  try {
    const info = summarizeCertificate(raw);
    return { identity: info.identity, serial: info.serial, notAfter: info.notAfter, subject: info.subject };
  } catch {
    return undefined;
  }
}

/**
 * Server side of a gRPC connection: the verified peer certificate of the call (grpc-js
 * `call.getAuthContext().sslPeerCertificate`, grpc-js >= 1.13), or undefined on plaintext or when the
 * peer sent none. Works on calls and on the calls interceptors see.
 */
export function peerOf(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } }): PeerInfo | undefined {
  return peerInfo(call.getAuthContext().sslPeerCertificate?.raw);
}

/** Decides whether a peer may call: undefined to allow, or the reason for refusing. */
export type PeerAuthorizer = (peer: PeerInfo | undefined) => string | undefined;

/** An agent's rule: only the lvsfleet server may call it (another agent's certificate from the same CA may not). */
export const onlyTheServer: PeerAuthorizer = (peer) =>
  peer?.identity?.kind === "server" ? undefined : `${describeIdentity(peer?.identity)} may not call an agent`;

/**
 * For a server that agents dial (should any RPC ever go that way): only agents the server knows and
 * that are not revoked, checked per call against the current revocation snapshot.
 */
export function knownAgents(options: {
  isKnown(host: string): boolean;
  revocations(): RevocationList;
}): PeerAuthorizer {
  return (peer) => {
    const identity = peer?.identity;
    if (identity?.kind !== "agent") return `${describeIdentity(identity)} is not an agent`;
    if (!options.isKnown(identity.host)) return `agent ${identity.host} is not registered`;
    return options.revocations().reasonRevoked(identity, peer?.serial);
  };
}

/**
 * A server interceptor that runs `authorize` on every call before its handler: UNAUTHENTICATED when the
 * peer has no lvsfleet identity, PERMISSION_DENIED when it has the wrong one. Health checks included.
 */
export function peerAuthorizationInterceptor(authorize: PeerAuthorizer): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            const peer = peerOf(call);
            const refusal = authorize(peer);
            if (refusal === undefined) forward(metadata);
            else
              call.sendStatus({
                code: peer?.identity ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED,
                details: refusal,
              });
          },
        });
      },
    });
}

/**
 * Agent side: mutual TLS server credentials. A client must present a certificate from the CA in
 * `source` (checked in the handshake) and pass `authorize` (default: only the lvsfleet server's
 * identity) on every call. The agent's own certificate reloads whenever `source.update()` is called.
 * Pass the result to serveAgent({ credentials }).
 */
export function agentServerCredentials(
  source: TlsIdentitySource,
  options: { authorize?: PeerAuthorizer } = {},
): grpc.ServerCredentials {
  // Same provider for both roles: grpc-js's createCertificateProviderServerCredentials names its first two
  // parameters (ca, identity) but its constructor takes (identity, ca), so one object sidesteps the mix-up.
  const tls = grpc.experimental.createCertificateProviderServerCredentials(source, source, true);
  return grpc.experimental.createServerCredentialsWithInterceptors(tls, [
    peerAuthorizationInterceptor(options.authorize ?? onlyTheServer),
  ]);
}

/** Why an agent's certificate is not the one expected for `host`, or undefined when it is. */
export function checkAgentCertificate(
  peer: PeerInfo | undefined,
  expected: { host: string; role?: AgentRole | undefined; revocations?: (() => RevocationList) | undefined },
): string | undefined {
  const host = expected.host.toLowerCase();
  const identity = peer?.identity;
  if (identity?.kind !== "agent" || identity.host !== host)
    return `expected agent ${host}, the certificate is for ${describeIdentity(identity)}`;
  if (expected.role && identity.role && identity.role !== expected.role)
    return `agent ${host} has a ${identity.role} certificate, expected ${expected.role}`;
  return expected.revocations?.().reasonRevoked(identity, peer?.serial);
}

/**
 * Server side (dialing an agent): channel credentials presenting the server's certificate, trusting
 * only the CA in `source`, and accepting the agent only if its certificate names `host` (URI SAN
 * spiffe://lvsfleet/agent/<host>; the address dialed does not matter) and is not revoked at
 * connection time. One credentials object per agent. Use with `agentChannelOptions(host)`.
 */
export function agentChannelCredentials(
  source: TlsIdentitySource,
  expected: { host: string; role?: AgentRole; revocations?: () => RevocationList },
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(source, source, {
    // Node calls this only after the chain verified against the CA, instead of its host-name check.
    checkServerIdentity: (_servername: string, cert: PeerCertificate) => {
      const refusal = checkAgentCertificate(peerInfo(cert.raw), expected);
      return refusal === undefined
        ? undefined
        : Object.assign(new Error(refusal), { code: "ERR_LVSFLEET_PEER_IDENTITY" });
    },
  });
}

/**
 * Channel options for an agent channel: SNI carries the agent's host name instead of the IP address
 * dialed (Node warns about IP addresses in SNI, RFC 6066). Merge into AgentClient's channelOptions.
 */
export function agentChannelOptions(host: string): grpc.ChannelOptions {
  return { "grpc.ssl_target_name_override": host.toLowerCase() };
}
export { type CertificateSummary, summarizeCertificate } from "./peer-certificate.ts";
