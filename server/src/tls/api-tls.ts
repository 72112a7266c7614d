import type { ServerOptions } from "node:https";
import type { Server as TlsServer } from "node:tls";
import type { TlsIdentitySource } from "@lvsfleet/rpc/tls";
import type { Logger } from "pino";
import { type OperatorCertificateFiles, readOperatorCertificate } from "./operator-certificate.ts";

/** The key and certificate chain the API presents, PEM. */
export interface ApiCertificate {
  keyPem: string;
  certPem: string;
}

/** How often an operator's certificate files are read again (a renewal by certbot or the like is picked up). */
export const OPERATOR_FILES_CHECK_MS = 60_000;

/**
 * The certificate the HTTPS API presents, replaced while it serves: `use()` calls
 * `tls.Server.setSecureContext` on the listening server, so new handshakes get the new certificate
 * and open connections keep theirs. No restart, no dropped request.
 *
 * Fed either by the server's own certificate from the lvsfleet CA (`fromIdentity`: the same
 * TlsIdentitySource the gRPC side uses, renewed by ServerTrust) or by an operator's files
 * (`fromFiles`: read again every minute; a new, valid pair is swapped in, a broken one is logged
 * and the current one stays).
 */
export class ApiTls {
  private server: TlsServer | undefined;
  private stop: () => void = () => undefined;

  private constructor(
    private current: ApiCertificate,
    readonly source: "ca" | "files",
  ) {}

  /** Serves the server's certificate (spiffe://lvsfleet/server plus LVSFLEET_TLS_NAMES) and follows its renewals. */
  static fromIdentity(identity: TlsIdentitySource, log: Logger): ApiTls {
    const { keyPem, certPem } = identity.current;
    const tls = new ApiTls({ keyPem, certPem }, "ca");
    const listener = (update: { certificate: Buffer; privateKey: Buffer } | null) => {
      if (!update) return;
      const next = { keyPem: update.privateKey.toString(), certPem: update.certificate.toString() };
      if (next.certPem === tls.current.certPem && next.keyPem === tls.current.keyPem) return;
      tls.use(next);
      log.info("the HTTPS API now presents the renewed server certificate");
    };
    identity.addIdentityCertificateListener(listener);
    tls.stop = () => identity.removeIdentityCertificateListener(listener);
    return tls;
  }

  /** Serves an operator's certificate; throws an OperatorCertificateError (naming the setting) when it cannot. */
  static fromFiles(files: OperatorCertificateFiles, log: Logger, checkEveryMs = OPERATOR_FILES_CHECK_MS): ApiTls {
    const first = readOperatorCertificate(files);
    const tls = new ApiTls(first, "files");
    let lastProblem: string | undefined;
    const timer = setInterval(() => {
      try {
        if (tls.reloadFiles(files)) log.info({ cert: files.cert }, "the HTTPS API now presents the new certificate");
        lastProblem = undefined;
      } catch (error) {
        const problem = (error as Error).message;
        if (problem !== lastProblem)
          log.error({ err: problem }, "cannot use the HTTPS certificate files; still serving the previous certificate");
        lastProblem = problem;
      }
    }, checkEveryMs);
    timer.unref();
    tls.stop = () => clearInterval(timer);
    return tls;
  }

  /** Reads the operator's files again; true when they changed and are now served. Throws when they cannot serve. */
  reloadFiles(files: OperatorCertificateFiles): boolean {
    const next = readOperatorCertificate(files);
    if (next.certPem === this.current.certPem && next.keyPem === this.current.keyPem) return false;
    this.use(next);
    return true;
  }

  /** For `https.createServer`: the certificate served from the first connection on. */
  serverOptions(): ServerOptions {
    return { key: this.current.keyPem, cert: this.current.certPem };
  }

  /** The listening server whose secure context `use()` replaces. */
  attach(server: TlsServer): void {
    this.server = server;
    server.setSecureContext(this.serverOptions());
  }

  /** Presents `certificate` from the next handshake on. */
  use(certificate: ApiCertificate): void {
    this.current = certificate;
    this.server?.setSecureContext(this.serverOptions());
  }

  get certificate(): ApiCertificate {
    return this.current;
  }

  close(): void {
    this.stop();
  }
}
