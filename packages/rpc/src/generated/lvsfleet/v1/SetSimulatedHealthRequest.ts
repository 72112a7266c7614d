// Original file: proto/lvsfleet/v1/agent.proto


export interface SetSimulatedHealthRequest {
  'address'?: (string);
  'port'?: (number);
  /**
   * false: its checks fail from now on; true: they pass again.
   */
  'healthy'?: (boolean);
  /**
   * The virtual service's name; empty: every service that has this real server.
   */
  'service'?: (string);
}

export interface SetSimulatedHealthRequest__Output {
  'address': (string);
  'port': (number);
  /**
   * false: its checks fail from now on; true: they pass again.
   */
  'healthy': (boolean);
  /**
   * The virtual service's name; empty: every service that has this real server.
   */
  'service': (string);
}
