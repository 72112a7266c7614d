import type { AgentRole } from "@lvsfleet/model";
import {
  AGENT_IDENTITY_NAME,
  acceptCertificateResponse,
  createEnrollmentRequest,
  createRenewalRequest,
  loadIdentity,
  pinnedCaCertificate,
  saveIdentity,
} from "@lvsfleet/pki";
import { type ApiTrust, type ApiTrustRoots, requestApi } from "@lvsfleet/rpc/https";
import { tlsDir } from "./identity.ts";

/*
 * Enrollment and renewal, run in a short-lived child process of the agent (`<agent> enroll|renew`)
 * so that the long-running agent never loads the X.509 library. The private key is made here and
 * never leaves the host: only the CSR goes to the server.
 */

/** The JSON answer of the server, or undefined when it is not JSON. */
function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function post(server: string, path: string, body: unknown, trust: ApiTrust): Promise<unknown> {
  const response = await requestApi(new URL(path, server), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    timeoutMs: 15_000,
    trust,
  });
  const answer = (json(response.text) ?? {}) as { error?: { message?: string; field?: string } };
  if (!response.ok)
    throw new Error(
      `${path}: HTTP ${response.status}: ${answer.error?.field ? `${answer.error.field}: ` : ""}${answer.error?.message ?? "no reason given"}`,
    );
  return answer;
}

/**
 * Whom to trust for the server's HTTPS certificate on a first enrollment, when the agent has nothing
 * but the CA pin: read the server's CA (`GET /v1/pki/ca`) once WITHOUT verifying the connection, keep
 * only the certificate whose key has the pin, then enroll over a connection verified against it (and
 * the CAs in NODE_EXTRA_CA_CERTS, for an operator's own certificate; Node's public roots only with
 * --server-ca-roots public). Nothing secret is sent before that check: the join token goes only over
 * the verified connection. (kubeadm's discovery with a CA hash works the same way.) Over plain http
 * (loopback only, or --insecure) there is nothing to verify.
 */
export async function firstContactTrust(server: string, caPin: string, roots: ApiTrustRoots): Promise<ApiTrust> {
  if (new URL(server).protocol !== "https:") return { roots };
  const response = await requestApi(new URL("/v1/pki/ca", server), {
    method: "GET",
    headers: { accept: "application/json" },
    timeoutMs: 15_000,
    trust: { roots: "unverified" },
    maxBytes: 256 * 1024,
  });
  const answer = json(response.text) as { pem?: unknown } | undefined;
  if (!response.ok || typeof answer?.pem !== "string")
    throw new Error(`/v1/pki/ca: HTTP ${response.status}: the server did not give its CA certificate`);
  return { roots, caPem: pinnedCaCertificate(answer.pem, caPin, "the server's CA (GET /v1/pki/ca)") };
}

export async function enrollAgent(params: {
  host: string;
  role: AgentRole;
  server: string;
  token: string;
  caPin: string;
  stateDir: string;
  /** Whom to trust besides the pinned CA (--server-ca-roots). */
  roots: ApiTrustRoots;
}): Promise<{ notAfter: Date }> {
  const trust = await firstContactTrust(params.server, params.caPin, params.roots);
  const { keyPem, request } = await createEnrollmentRequest({
    host: params.host,
    role: params.role,
    token: params.token,
  });
  const response = await post(params.server, "/v1/pki/enroll", request, trust);
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
  roots: ApiTrustRoots;
}): Promise<{ notAfter: Date }> {
  const dir = tlsDir(params.stateDir);
  const current = await loadIdentity(dir, AGENT_IDENTITY_NAME);
  if (!current) throw new Error(`no identity in ${dir} to renew: enroll first`);
  const { keyPem, request } = await createRenewalRequest({ host: params.host, current });
  const response = await post(params.server, "/v1/pki/renew", request, { roots: params.roots, caPem: current.caPem });
  const accepted = await acceptCertificateResponse({
    host: params.host,
    keyPem,
    response,
    trust: { caPem: current.caPem },
  });
  await saveIdentity(dir, AGENT_IDENTITY_NAME, accepted.material);
  return { notAfter: accepted.info.notAfter };
}
