// Original file: proto/lvsfleet/v1/agent.proto


export interface Persistence {
  'timeout'?: (number);
  /**
   * Prefix length (the -M netmask).
   */
  'netmask'?: (number);
}

export interface Persistence__Output {
  'timeout': (number);
  /**
   * Prefix length (the -M netmask).
   */
  'netmask': (number);
}
