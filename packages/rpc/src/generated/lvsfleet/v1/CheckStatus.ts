// Original file: proto/lvsfleet/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One health checker's view of one real server.
 */
export interface CheckStatus {
  /**
   * tcp, http, https, misc or sim.
   */
  'type'?: (string);
  /**
   * up, down or unknown.
   */
  'state'?: (string);
  'detail'?: (string);
  /**
   * When the last round ended; 0: none yet.
   */
  'lastRoundMs'?: (number | string | Long);
  /**
   * Duration of the last attempt in ms.
   */
  'lastMs'?: (number | string);
}

/**
 * One health checker's view of one real server.
 */
export interface CheckStatus__Output {
  /**
   * tcp, http, https, misc or sim.
   */
  'type': (string);
  /**
   * up, down or unknown.
   */
  'state': (string);
  'detail': (string);
  /**
   * When the last round ended; 0: none yet.
   */
  'lastRoundMs': (number);
  /**
   * Duration of the last attempt in ms.
   */
  'lastMs': (number);
}
