import { createPublicKey, sign, verify } from "node:crypto";
import { z } from "zod";

/**
 * An enrolled agent announces where it listens (PUT-like registration) with a proof signed by its
 * certificate's key, so that no bearer token has to live on the agent: the server checks the
 * certificate (issued by its CA, this host, not revoked, valid) and the signature over exactly
 * these fields, made within the last five minutes. Node's crypto only (agents stay light).
 */
export const RegistrationRequest = z.strictObject({
  host: z.string().max(253),
  endpoint: z.string().max(300),
  role: z.enum(["director", "real-server"]),
  driver: z.string().max(32),
  certificate: z.string().max(16_384),
  signedAt: z.number().int(),
  signature: z.string().max(2_048),
});
export type RegistrationRequest = z.infer<typeof RegistrationRequest>;

export function registrationProofMessage(r: Omit<RegistrationRequest, "certificate" | "signature">): Buffer {
  return Buffer.from(`lvsfleet-register-v1\n${r.host}\n${r.endpoint}\n${r.role}\n${r.driver}\n${r.signedAt}`, "utf8");
}

export function signRegistration(
  keyPem: string,
  certificatePem: string,
  fields: Omit<RegistrationRequest, "certificate" | "signature" | "signedAt">,
  now = Date.now(),
): RegistrationRequest {
  const unsigned = { ...fields, signedAt: now };
  const signature = sign("sha256", registrationProofMessage(unsigned), {
    key: keyPem,
    dsaEncoding: "ieee-p1363",
  }).toString("base64");
  return { ...unsigned, certificate: certificatePem, signature };
}

/** True when the signature verifies with the public key of the request's certificate. */
export function registrationSignatureValid(request: RegistrationRequest): boolean {
  try {
    return verify(
      "sha256",
      registrationProofMessage(request),
      { key: createPublicKey(request.certificate), dsaEncoding: "ieee-p1363" },
      Buffer.from(request.signature, "base64"),
    );
  } catch {
    return false;
  }
}
