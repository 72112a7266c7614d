/** Why the PKI refused something. Stable codes for REST mapping; messages name the field and the reason. */
export type PkiErrorCode =
  | "invalid-input"
  | "invalid-csr"
  | "invalid-certificate"
  | "unknown-token"
  | "token-used"
  | "token-expired"
  | "identity-mismatch"
  | "revoked"
  | "expired"
  | "bad-proof"
  | "unsupported-key"
  | "ca-files";

export class PkiError extends Error {
  readonly code: PkiErrorCode;
  /** The request field at fault (`token`, `csr`, `certificate`, `signature`…). */
  readonly field: string;

  constructor(code: PkiErrorCode, field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "PkiError";
    this.code = code;
    this.field = field;
  }
}
