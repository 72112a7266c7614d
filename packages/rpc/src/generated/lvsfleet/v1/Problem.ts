// Original file: proto/lvsfleet/v1/agent.proto


/**
 * Something a host lacks for its role, with the fix.
 */
export interface Problem {
  /**
   * Stable identifier, e.g. arp-ignore, vip-missing, no-ip-vs.
   */
  'code'?: (string);
  /**
   * error or warning.
   */
  'severity'?: (string);
  /**
   * A sysctl key, an address, an interface, the data plane.
   */
  'subject'?: (string);
  'message'?: (string);
  'fix'?: (string);
}

/**
 * Something a host lacks for its role, with the fix.
 */
export interface Problem__Output {
  /**
   * Stable identifier, e.g. arp-ignore, vip-missing, no-ip-vs.
   */
  'code': (string);
  /**
   * error or warning.
   */
  'severity': (string);
  /**
   * A sysctl key, an address, an interface, the data plane.
   */
  'subject': (string);
  'message': (string);
  'fix': (string);
}
