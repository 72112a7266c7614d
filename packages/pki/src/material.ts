/** One side's TLS material, PEM: what grpc-js credentials are built from. */
export interface TlsMaterial {
  /** The CA certificate(s) this side trusts (a bundle of two during a CA roll-over). */
  caPem: string;
  /** This side's certificate (chain). */
  certPem: string;
  /** This side's private key (PKCS#8). Never logged, never sent. */
  keyPem: string;
}
