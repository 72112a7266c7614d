// @peculiar/x509 resolves its algorithms through tsyringe, which needs a Reflect metadata polyfill
// loaded before the library itself. Every module in this package imports x509 from here, never directly.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// The library is typed against the DOM `Crypto`; Node's webcrypto implements it.
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
export const subtle = webcrypto.subtle;
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
