export {
  acceptCertificateResponse,
  CertificateResponseSchema,
  createEnrollmentRequest,
  createRenewalRequest,
  renewalDue,
} from "./agent-enrollment.ts";
export {
  CertificateAuthority,
  CLOCK_SKEW_MS,
  DEFAULT_CA_LIFETIME_MS,
  DEFAULT_LEAF_LIFETIME_MS,
  type IssuedCertificate,
  type IssueParams,
  type KeyPurpose,
} from "./ca.ts";
export { CA_CERT_FILE, CA_KEY_FILE, type LoadedCa, loadCaFiles, loadOrCreateCa } from "./ca-files.ts";
export {
  type CertificateInfo,
  identityOfCertificate,
  inspectCertificate,
  parseCertificate,
  splitPemCertificates,
  verifyIssuedBy,
} from "./certificate.ts";
export {
  type CertificateRequestInfo,
  createCertificateRequest,
  MAX_CSR_PEM_LENGTH,
  readCertificateRequest,
} from "./csr.ts";
export {
  type CertificateResponse,
  type EnrollmentOptions,
  EnrollmentService,
  EnrollRequest,
  type JoinTicket,
  type JoinTokenSummary,
  RenewRequest,
} from "./enrollment.ts";
export { PkiError, type PkiErrorCode } from "./errors.ts";
export { PUBLIC_FILE_MODE, SECRET_DIR_MODE, SECRET_FILE_MODE } from "./files.ts";
export {
  AGENT_ROLES,
  AgentHost,
  type AgentIdentity,
  describeIdentity,
  type Identity,
  identityUri,
  parseIdentityUri,
  SERVER_IDENTITY_URI,
  type ServerIdentity,
  sameIdentity,
  TRUST_DOMAIN,
} from "./identity.ts";
export {
  AGENT_IDENTITY_NAME,
  ensureServerIdentity,
  identityFile,
  loadIdentity,
  SERVER_IDENTITY_NAME,
  saveIdentity,
  TRUSTED_CA_FILE,
} from "./identity-files.ts";
export {
  DEFAULT_JOIN_TOKEN_TTL_MS,
  generateJoinToken,
  hashJoinToken,
  JOIN_TOKEN_PREFIX,
  MAX_JOIN_TOKEN_TTL_MS,
} from "./join-token.ts";
export { generateSigningKey, importSigningKey, privateKeyToPem, publicKeyPin, type SigningKey } from "./keys.ts";
export type { TlsMaterial } from "./material.ts";
export { MemoryPkiStore } from "./memory-store.ts";
export { pinnedCaCertificate } from "./pinned-ca.ts";
export {
  RegistrationRequest,
  registrationProofMessage,
  registrationSignatureValid,
  signRegistration,
} from "./registration-proof.ts";
export { DEFAULT_RENEW_FRACTION, RENEWAL_PROOF_WINDOW_MS, renewalTime } from "./renewal.ts";
export { RevocationList } from "./revocation.ts";
export type {
  CertificateLedger,
  IssuedCertificateRecord,
  JoinTokenRecord,
  JoinTokenStore,
  PkiStore,
  RevocationSnapshot,
  RevocationStore,
  RevokedHost,
  RevokedSerial,
} from "./store.ts";
