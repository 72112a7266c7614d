import type { z } from "zod";
import type { TlsNames } from "./names.ts";
import {
  OperatorCertificateError,
  type OperatorCertificateFiles,
  readOperatorCertificate,
} from "./operator-certificate.ts";

/** The server settings that decide whether and how the API speaks HTTPS (see config.ts). */
export interface ApiTlsSettings {
  LVSFLEET_TLS?: "off" | "ca" | "files" | undefined;
  LVSFLEET_TLS_NAMES?: TlsNames | undefined;
  LVSFLEET_TLS_CERT?: string | undefined;
  LVSFLEET_TLS_KEY?: string | undefined;
  LVSFLEET_TLS_CHAIN?: string | undefined;
  LVSFLEET_INSECURE_GRPC: boolean;
}

/**
 * How the API listens:
 * - `off`: plain HTTP (the default: loopback, or behind a reverse proxy that terminates TLS);
 * - `ca`: HTTPS with the server's own certificate from the lvsfleet CA (the one it dials agents with),
 *   issued for `names` and renewed by the server before it expires;
 * - `files`: HTTPS with an operator's certificate and key (a public or company CA), read again when
 *   they change.
 */
export type ApiTlsMode =
  | { kind: "off" }
  | { kind: "ca"; names: TlsNames }
  | { kind: "files"; files: OperatorCertificateFiles };

/** The mode the (already checked) settings ask for; `files` when only LVSFLEET_TLS_CERT says so. */
export function apiTlsMode(settings: ApiTlsSettings): ApiTlsMode {
  const kind = settings.LVSFLEET_TLS ?? (settings.LVSFLEET_TLS_CERT ? "files" : "off");
  if (kind === "ca") return { kind, names: settings.LVSFLEET_TLS_NAMES ?? { dnsNames: [], ipAddresses: [] } };
  if (kind === "files")
    return {
      kind,
      files: {
        cert: settings.LVSFLEET_TLS_CERT ?? "",
        key: settings.LVSFLEET_TLS_KEY ?? "",
        chain: settings.LVSFLEET_TLS_CHAIN,
      },
    };
  return { kind };
}

/**
 * The rules between the settings, as zod issues on the field at fault: `ca` needs names (and the CA,
 * which LVSFLEET_INSECURE_GRPC turns off) and takes no files; `files` needs a certificate and a key
 * that can serve (read and checked here, so a bad file stops the start with its reason); a setting
 * that the chosen mode would ignore is an error rather than silently unused.
 */
export function checkApiTlsSettings(settings: ApiTlsSettings, ctx: z.RefinementCtx): void {
  const issue = (field: keyof ApiTlsSettings, message: string) =>
    ctx.addIssue({ code: "custom", path: [field], message });
  const mode = apiTlsMode(settings);
  const fileFields = ["LVSFLEET_TLS_CERT", "LVSFLEET_TLS_KEY", "LVSFLEET_TLS_CHAIN"] as const;
  if (mode.kind !== "ca" && settings.LVSFLEET_TLS_NAMES)
    issue("LVSFLEET_TLS_NAMES", "is only used with LVSFLEET_TLS=ca (an operator's certificate has its own names)");
  if (mode.kind !== "files")
    for (const field of fileFields)
      if (settings[field])
        issue(
          field,
          mode.kind === "ca"
            ? "is not used with LVSFLEET_TLS=ca (the lvsfleet CA issues the certificate): unset it, or use LVSFLEET_TLS=files"
            : "is set, but LVSFLEET_TLS=off: set LVSFLEET_TLS=files to serve it",
        );
  if (mode.kind === "ca") {
    const { dnsNames, ipAddresses } = mode.names;
    if (dnsNames.length + ipAddresses.length === 0)
      issue(
        "LVSFLEET_TLS_NAMES",
        "is required with LVSFLEET_TLS=ca: the DNS names and addresses clients and agents use to reach this server, e.g. lvsfleet.example.com,10.0.0.5",
      );
    if (settings.LVSFLEET_INSECURE_GRPC)
      issue(
        "LVSFLEET_TLS",
        "ca needs the lvsfleet CA, which LVSFLEET_INSECURE_GRPC turns off: use LVSFLEET_TLS=files, or mutual TLS to the agents",
      );
  }
  if (mode.kind === "files") {
    if (!settings.LVSFLEET_TLS_CERT) issue("LVSFLEET_TLS_CERT", "is required with LVSFLEET_TLS=files (a PEM file)");
    if (!settings.LVSFLEET_TLS_KEY) issue("LVSFLEET_TLS_KEY", "is required with LVSFLEET_TLS=files (a PEM file)");
    if (settings.LVSFLEET_TLS_CERT && settings.LVSFLEET_TLS_KEY)
      try {
        readOperatorCertificate(mode.files);
      } catch (error) {
        if (!(error instanceof OperatorCertificateError)) throw error;
        issue(error.field as keyof ApiTlsSettings, error.reason);
      }
  }
}
