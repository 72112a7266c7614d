#!/usr/bin/env node
// docker compose's one-shot `enroll` service: waits for the server, then writes into the shared
// /enroll volume what each agent needs for its first start with mutual TLS (the CA pin and a
// one-time join token per host), a viewer API token for Prometheus, and the CA certificate
// (ca.crt: what the setup service and Prometheus trust for the API's HTTPS certificate). An agent
// that is already enrolled (its state volume holds its certificate) ignores the new join token,
// which expires.
//
// Settings: LVSFLEET_URL (https://server:8080), LVSFLEET_API_TOKEN (admin), LVSFLEET_ENROLL
// ("host=role,…"), ENROLL_DIR (/enroll). For an https URL, Node must trust the server's
// certificate: NODE_EXTRA_CA_CERTS=<the lvsfleet CA certificate> (docker-compose.yml sets it).
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const url = process.env.LVSFLEET_URL ?? "https://server:8080";
const token = process.env.LVSFLEET_API_TOKEN;
const dir = process.env.ENROLL_DIR ?? "/enroll";
const hosts = (process.env.LVSFLEET_ENROLL ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean)
  .map((pair) => {
    const [host, role] = pair.split("=");
    if (!host || (role !== "director" && role !== "real-server"))
      throw new Error(`LVSFLEET_ENROLL: ${pair} is not host=director or host=real-server`);
    return { host, role };
  });
if (!token) {
  console.error("enroll: set LVSFLEET_API_TOKEN (an admin token)");
  process.exit(2);
}

async function call(method, path, body) {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

const deadline = Date.now() + 120_000;
let lastError = "";
for (;;) {
  const up = await fetch(new URL("/v1/health", url)).then(
    (r) => r.ok,
    (error) => {
      // e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE when NODE_EXTRA_CA_CERTS does not name the server's CA.
      lastError = error.cause?.code ?? error.message;
      return false;
    },
  );
  if (up) break;
  if (Date.now() > deadline) {
    console.error(`enroll: ${url} did not answer within 120 s${lastError ? ` (${lastError})` : ""}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}

mkdirSync(dir, { recursive: true });
const secret = (name, text, mode = 0o600) => {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`, { mode });
  chmodSync(path, mode);
};
// The CA, read over the HTTPS connection Node has verified: public, for setup and Prometheus.
const ca = await call("GET", "/v1/pki/ca");
secret("ca.crt", ca.pem.trim(), 0o644);
for (const { host, role } of hosts) {
  const ticket = await call("POST", "/v1/pki/join-tokens", { host, role });
  secret(`${host}.token`, ticket.token);
  secret("ca-pin", ticket.caPin, 0o644);
  console.log(`enroll: join token for ${host} (${role}), valid until ${ticket.expiresAt}`);
}
if (!existsSync(join(dir, "prometheus.token"))) {
  const viewer = await call("POST", "/v1/tokens", { name: `prometheus-${Date.now()}`, role: "viewer" });
  // Prometheus runs as another user in its own container: the file is readable, the token read-only (viewer).
  secret("prometheus.token", viewer.token, 0o644);
  console.log("enroll: viewer token for Prometheus written");
}
