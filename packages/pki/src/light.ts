/**
 * The parts of the PKI that need no X.509 library (only node:crypto and zod): identities,
 * revocation snapshots, renewal timing, registration proofs. Agents import this subpath
 * (`@lvsfleet/pki/light`) so that a running agent does not load @peculiar/x509.
 */
export * from "./identity.ts";
export type { TlsMaterial } from "./material.ts";
export * from "./registration-proof.ts";
export * from "./renewal-time.ts";
export { RevocationList } from "./revocation.ts";
export type { RevocationSnapshot, RevokedHost, RevokedSerial } from "./store.ts";
