// Original file: proto/lvsfleet/v1/agent.proto


export interface HealthWeights {
  /**
   * The operator's weight.
   */
  'desired'?: (number);
  /**
   * The data plane's weight now; -1: out of the table.
   */
  'effective'?: (number);
}

export interface HealthWeights__Output {
  /**
   * The operator's weight.
   */
  'desired': (number);
  /**
   * The data plane's weight now; -1: out of the table.
   */
  'effective': (number);
}
