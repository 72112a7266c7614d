import type { AgentRole } from "@lvsfleet/model";
import {
  AGENT_IDENTITY_NAME,
  acceptCertificateResponse,
  createEnrollmentRequest,
  createRenewalRequest,
  loadIdentity,
  saveIdentity,
} from "@lvsfleet/pki";
import { tlsDir } from "./identity.ts";

/*
 * Enrollment and renewal, run in a short-lived child process of the agent (`<agent> enroll|renew`)
 * so that the long-running agent never loads the X.509 library. The private key is made here and
 * never leaves the host: only the CSR goes to the server.
 */

async function post(server: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, server), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: { message?: string; field?: string } };
  if (!response.ok)
    throw new Error(
      `${path}: HTTP ${response.status}: ${answer.error?.field ? `${answer.error.field}: ` : ""}${answer.error?.message ?? "no reason given"}`,
    );
  return answer;
}

export async function enrollAgent(params: {
  host: string;
  role: AgentRole;
  server: string;
  token: string;
  caPin: string;
  stateDir: string;
}): Promise<{ notAfter: Date }> {
  const { keyPem, request } = await createEnrollmentRequest({
    host: params.host,
    role: params.role,
    token: params.token,
  });
  const response = await post(params.server, "/v1/pki/enroll", request);
  const accepted = await acceptCertificateResponse({
    host: params.host,
    keyPem,
    response,
    trust: { caPin: params.caPin },
  });
  await saveIdentity(tlsDir(params.stateDir), AGENT_IDENTITY_NAME, accepted.material);
  return { notAfter: accepted.info.notAfter };
}

export async function renewAgent(params: {
  host: string;
  server: string;
  stateDir: string;
}): Promise<{ notAfter: Date }> {
  const dir = tlsDir(params.stateDir);
  const current = await loadIdentity(dir, AGENT_IDENTITY_NAME);
  if (!current) throw new Error(`no identity in ${dir} to renew: enroll first`);
  const { keyPem, request } = await createRenewalRequest({ host: params.host, current });
  const response = await post(params.server, "/v1/pki/renew", request);
  const accepted = await acceptCertificateResponse({
    host: params.host,
    keyPem,
    response,
    trust: { caPem: current.caPem },
  });
  await saveIdentity(dir, AGENT_IDENTITY_NAME, accepted.material);
  return { notAfter: accepted.info.notAfter };
}
