import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { CliError, EXIT } from "./exit-codes.ts";
import { parseServerList, ServerUrl } from "./servers.ts";

export const DEFAULT_URL = "http://127.0.0.1:8080";

/** The config file: YAML (or JSON), every key optional. */
export const ConfigFile = z.strictObject({
  /** The server's URL, or a list of its replicas' URLs (tried in order, see docs/cli.md). */
  url: z.union([ServerUrl, z.array(ServerUrl).min(1, { error: "must list at least one URL" })]).optional(),
  token: z.string().min(1).optional(),
  /** A file holding the token (first line), e.g. one only the operator can read. */
  tokenFile: z.string().min(1).optional(),
  /** The cluster commands use when none is given. */
  cluster: z.string().min(1).optional(),
  /** CA certificate(s), PEM, trusted for an https:// server besides Node's default roots (e.g. the lvsfleet CA). */
  caFile: z.string().min(1).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export interface Settings {
  /** The servers, comma-separated as given (one URL, or several replicas). */
  url: string;
  /** Each server's URL, in the order they are tried. */
  urls: string[];
  token: string | undefined;
  cluster: string | undefined;
  /** A PEM file of CA certificates to trust for the server's HTTPS certificate, besides Node's default roots. */
  caFile: string | undefined;
  /** Where each setting came from, for `lvsctl config` and error messages. */
  sources: { url: string; token: string; caFile: string; configFile: string | undefined };
}

export interface GlobalFlags {
  server?: string | undefined;
  token?: string | undefined;
  config?: string | undefined;
  cluster?: string | undefined;
  caFile?: string | undefined;
}

/** `$LVSFLEET_CONFIG`, else `$XDG_CONFIG_HOME/lvsfleet/config.yaml` (~/.config/lvsfleet/config.yaml). */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.LVSFLEET_CONFIG) return env.LVSFLEET_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "lvsfleet", "config.yaml");
}

function readConfig(path: string, explicit: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (explicit) throw new CliError(`config file ${path} does not exist`, EXIT.usage);
    return {};
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, "utf8")) ?? {};
  } catch (error) {
    throw new CliError(`config file ${path} is not valid YAML: ${(error as Error).message}`, EXIT.usage);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success)
    throw new CliError(
      `config file ${path} is not valid`,
      EXIT.usage,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`),
    );
  return parsed.data;
}

function readTokenFile(path: string): string {
  try {
    const token = readFileSync(path, "utf8").split("\n")[0]?.trim();
    if (token) return token;
  } catch (error) {
    throw new CliError(`cannot read the token file ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  throw new CliError(`the token file ${path} is empty`, EXIT.usage);
}

/** A config file holding a token that others can read is worth a warning. */
export function looseModeWarning(path: string | undefined, config: ConfigFile): string | undefined {
  if (!path || !config.token) return undefined;
  try {
    if ((statSync(path).mode & 0o077) !== 0)
      return `warning: ${path} holds a token and can be read by others: chmod 600 ${path}`;
  } catch {}
  return undefined;
}

/** The server URLs in `text` (one, or several comma-separated); a usage error naming a bad one. */
function serverUrls(text: string, source: string): string[] {
  const list = parseServerList(text);
  if ("urls" in list) return list.urls;
  const where = text.includes(",") ? ` (entry ${list.position} of ${source})` : ` (from ${source})`;
  throw new CliError(
    `${list.bad === "" ? "an empty server URL" : list.bad}${where} ${list.bad === "" ? "is not allowed" : "is not a server URL"}: ${list.bad === "" ? "remove the extra comma" : list.reason}`,
    EXIT.usage,
    ["several servers are comma-separated, e.g. https://lvs1:8080,https://lvs2:8080"],
  );
}

/**
 * Where lvsctl finds its server and token, first match wins: --server/--token/--ca-file, then
 * LVSFLEET_URL/LVSFLEET_TOKEN/LVSFLEET_CA_FILE, then the config file (url, token or tokenFile,
 * caFile, cluster), then http://127.0.0.1:8080, no token and Node's default roots only. --server,
 * LVSFLEET_URL and the config's url may name several servers (replicas): comma-separated, or a list.
 */
export function resolveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv): Settings & { warning?: string } {
  const path = flags.config ?? configPath(env);
  const config = readConfig(path, flags.config !== undefined || env.LVSFLEET_CONFIG !== undefined);
  const fileUsed = Object.keys(config).length > 0 ? path : undefined;
  const configUrl = Array.isArray(config.url) ? config.url.join(",") : config.url;
  const url = flags.server ?? env.LVSFLEET_URL ?? configUrl ?? DEFAULT_URL;
  const urlSource = flags.server ? "--server" : env.LVSFLEET_URL ? "LVSFLEET_URL" : config.url ? path : "default";
  let token: string | undefined;
  let tokenSource = "none";
  if (flags.token) [token, tokenSource] = [flags.token, "--token"];
  else if (env.LVSFLEET_TOKEN) [token, tokenSource] = [env.LVSFLEET_TOKEN, "LVSFLEET_TOKEN"];
  else if (config.token) [token, tokenSource] = [config.token, path];
  else if (config.tokenFile) [token, tokenSource] = [readTokenFile(config.tokenFile), config.tokenFile];
  const urls = serverUrls(url, urlSource);
  const warning = looseModeWarning(fileUsed, config);
  const caFile = flags.caFile ?? (env.LVSFLEET_CA_FILE || undefined) ?? config.caFile;
  const caSource = flags.caFile
    ? "--ca-file"
    : env.LVSFLEET_CA_FILE
      ? "LVSFLEET_CA_FILE"
      : config.caFile
        ? path
        : "none";
  return {
    url: urls.join(","),
    urls,
    token,
    cluster: flags.cluster ?? env.LVSFLEET_CLUSTER ?? config.cluster,
    caFile,
    sources: { url: urlSource, token: tokenSource, caFile: caSource, configFile: fileUsed },
    ...(warning ? { warning } : {}),
  };
}

/**
 * The CA certificates in `path` (PEM), for trusting an https:// server; a clear usage error when the
 * file cannot be read or holds no certificate.
 */
export function readCaFile(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read the CA file ${path} (from ${source}): ${(error as Error).message}`, EXIT.usage);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw new CliError(`the CA file ${path} (from ${source}) holds no PEM certificate`, EXIT.usage, [
      "it should be the server's CA, e.g. GET /v1/pki/ca's pem, or <data dir>/pki/ca.crt on the server",
    ]);
  return text;
}
