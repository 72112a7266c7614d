// Original file: proto/lvsfleet/v1/agent.proto

import type { CheckStatus as _lvsfleet_v1_CheckStatus, CheckStatus__Output as _lvsfleet_v1_CheckStatus__Output } from '../../lvsfleet/v1/CheckStatus.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * A real server as the director's health checks see it, and what the agent does about it.
 */
export interface RealServerHealth {
  /**
   * The virtual service's name in the spec.
   */
  'service'?: (string);
  'address'?: (string);
  'port'?: (number);
  /**
   * up, down or unknown.
   */
  'state'?: (string);
  /**
   * The operator's weight (never changed by health).
   */
  'desiredWeight'?: (number);
  /**
   * The weight the data plane has; -1: out of the table.
   */
  'effectiveWeight'?: (number);
  /**
   * none, inhibited, removed, slow-start, dynamic, quorum-lost, sorry.
   */
  'action'?: (string);
  'reason'?: (string);
  'sinceMs'?: (number | string | Long);
  'checks'?: (_lvsfleet_v1_CheckStatus)[];
}

/**
 * A real server as the director's health checks see it, and what the agent does about it.
 */
export interface RealServerHealth__Output {
  /**
   * The virtual service's name in the spec.
   */
  'service': (string);
  'address': (string);
  'port': (number);
  /**
   * up, down or unknown.
   */
  'state': (string);
  /**
   * The operator's weight (never changed by health).
   */
  'desiredWeight': (number);
  /**
   * The weight the data plane has; -1: out of the table.
   */
  'effectiveWeight': (number);
  /**
   * none, inhibited, removed, slow-start, dynamic, quorum-lost, sorry.
   */
  'action': (string);
  'reason': (string);
  'sinceMs': (number);
  'checks': (_lvsfleet_v1_CheckStatus__Output)[];
}
