// Original file: proto/lvsfleet/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ServiceHealth {
  'service'?: (string);
  'healthyWeight'?: (number | string | Long);
  'quorum'?: (number | string | Long);
  /**
   * up or down.
   */
  'quorumState'?: (string);
  /**
   * empty (no sorry server), active or standby.
   */
  'sorryServer'?: (string);
}

export interface ServiceHealth__Output {
  'service': (string);
  'healthyWeight': (number);
  'quorum': (number);
  /**
   * up or down.
   */
  'quorumState': (string);
  /**
   * empty (no sorry server), active or standby.
   */
  'sorryServer': (string);
}
