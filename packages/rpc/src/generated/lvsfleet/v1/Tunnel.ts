// Original file: proto/lvsfleet/v1/agent.proto


export interface Tunnel {
  /**
   * ipip, gue or gre.
   */
  'type'?: (string);
  /**
   * gue only.
   */
  'port'?: (number);
  /**
   * nocsum, csum or remcsum (gue and gre).
   */
  'checksum'?: (string);
}

export interface Tunnel__Output {
  /**
   * ipip, gue or gre.
   */
  'type': (string);
  /**
   * gue only.
   */
  'port': (number);
  /**
   * nocsum, csum or remcsum (gue and gre).
   */
  'checksum': (string);
}
