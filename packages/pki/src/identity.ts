import { type AgentRole, HostName } from "@lvsfleet/model";
import { z } from "zod";

/**
 * Who a certificate speaks for. The identity lives in a URI subject alternative name in SPIFFE form
 * (`spiffe://lvsfleet/agent/<host>`, `spiffe://lvsfleet/server`): a URI names the *kind* of peer as well
 * as its name, so an agent called `server` can never pass for the lvsfleet server, and a host name can
 * never be read as the server's. The agent's certificate also carries its host name as a dNSName, so
 * standard tools (`openssl verify -verify_hostname`, Node's default checkServerIdentity) agree with it.
 */
export type Identity = AgentIdentity | ServerIdentity;

export interface AgentIdentity {
  kind: "agent";
  /** The host name, lower case (DNS names compare case-insensitively). */
  host: string;
  /** The role marker carried in the certificate's subject OU, when there is one. */
  role?: AgentRole | undefined;
}

export interface ServerIdentity {
  kind: "server";
}

export const TRUST_DOMAIN = "lvsfleet";
const PREFIX = `spiffe://${TRUST_DOMAIN}/`;
export const SERVER_IDENTITY_URI = `${PREFIX}server`;

export const AGENT_ROLES: readonly AgentRole[] = ["director", "real-server"];
export const AgentRoleSchema = z.enum(["director", "real-server"], { error: "must be director or real-server" });

/** A host name as an identity: the model's HostName rule, at most 253 characters, lower-cased. */
export const AgentHost = HostName.max(253, { error: "must be at most 253 characters" }).transform((host) =>
  host.toLowerCase(),
);

export function identityUri(identity: Identity): string {
  return identity.kind === "server" ? SERVER_IDENTITY_URI : `${PREFIX}agent/${identity.host.toLowerCase()}`;
}

/** Reads a SPIFFE URI of this trust domain; anything else (another domain, extra path, bad host) is undefined. */
export function parseIdentityUri(uri: string): Identity | undefined {
  if (uri === SERVER_IDENTITY_URI) return { kind: "server" };
  if (!uri.startsWith(`${PREFIX}agent/`)) return undefined;
  const host = AgentHost.safeParse(uri.slice(`${PREFIX}agent/`.length));
  return host.success ? { kind: "agent", host: host.data } : undefined;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return identityUri(a) === identityUri(b);
}

/** For messages: `agent lb-master` or `the lvsfleet server`. */
export function describeIdentity(identity: Identity | undefined): string {
  if (!identity) return "a peer without an lvsfleet identity";
  return identity.kind === "server" ? "the lvsfleet server" : `agent ${identity.host}`;
}
