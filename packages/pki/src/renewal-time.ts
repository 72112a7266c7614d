/** Agents renew at 2/3 of their certificate's lifetime: 20 days into 30, leaving 10 days to retry. */
export const DEFAULT_RENEW_FRACTION = 2 / 3;
/** A renewal (or registration) proof older or newer than this is refused (limits replay of a captured request). */
export const RENEWAL_PROOF_WINDOW_MS = 5 * 60_000;

/** When a certificate valid from notBefore to notAfter should be renewed. */
export function renewalTime(validity: { notBefore: Date; notAfter: Date }, fraction = DEFAULT_RENEW_FRACTION): Date {
  const start = validity.notBefore.getTime();
  return new Date(start + (validity.notAfter.getTime() - start) * fraction);
}
