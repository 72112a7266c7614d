import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { renewalTime, type TlsMaterial } from "@lvsfleet/pki/light";

/** Where an agent keeps its identity: <state-dir>/tls/agent.pem (key + certificate, 0600) and ca.crt. */
export const tlsDir = (stateDir: string) => join(stateDir, "tls");
const IDENTITY_FILE = "agent.pem";
const CA_FILE = "ca.crt";

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The agent's TLS material, read with node:crypto only (the X.509 library is loaded only by the
 * short-lived enroll/renew process). Undefined when the agent has not enrolled yet.
 */
export async function loadAgentMaterial(stateDir: string): Promise<TlsMaterial | undefined> {
  const path = join(tlsDir(stateDir), IDENTITY_FILE);
  const bundle = await readIfExists(path);
  if (bundle === undefined) return undefined;
  if (((await stat(path)).mode & 0o077) !== 0)
    throw new Error(`${path} holds the agent's private key: it must not be readable by group or others (chmod 600)`);
  const caPem = await readIfExists(join(tlsDir(stateDir), CA_FILE));
  if (!caPem) throw new Error(`${join(tlsDir(stateDir), CA_FILE)} is missing: enroll the agent again`);
  const keyPem = createPrivateKey(bundle).export({ format: "pem", type: "pkcs8" }).toString();
  const certPem = new X509Certificate(bundle).toString();
  return { keyPem, certPem, caPem };
}

/** When the certificate should be renewed (2/3 of its lifetime) and when it stops being valid. */
export function certificateTimes(material: TlsMaterial): { renewAt: Date; notAfter: Date } {
  const cert = new X509Certificate(material.certPem);
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return { renewAt: renewalTime({ notBefore, notAfter }), notAfter };
}
