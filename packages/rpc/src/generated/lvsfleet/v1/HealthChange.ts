// Original file: proto/lvsfleet/v1/agent.proto

import type { HealthWeights as _lvsfleet_v1_HealthWeights, HealthWeights__Output as _lvsfleet_v1_HealthWeights__Output } from '../../lvsfleet/v1/HealthWeights.ts';

export interface HealthChange {
  'service'?: (string);
  'address'?: (string);
  'port'?: (number);
  'from'?: (string);
  'to'?: (string);
  'reason'?: (string);
  /**
   * What the agent did about it, in words; empty: nothing.
   */
  'action'?: (string);
  /**
   * Present when the agent reports weights.
   */
  'weights'?: (_lvsfleet_v1_HealthWeights | null);
}

export interface HealthChange__Output {
  'service': (string);
  'address': (string);
  'port': (number);
  'from': (string);
  'to': (string);
  'reason': (string);
  /**
   * What the agent did about it, in words; empty: nothing.
   */
  'action': (string);
  /**
   * Present when the agent reports weights.
   */
  'weights': (_lvsfleet_v1_HealthWeights__Output | null);
}
