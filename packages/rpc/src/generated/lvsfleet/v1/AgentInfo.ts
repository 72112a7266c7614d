// Original file: proto/lvsfleet/v1/agent.proto

import type { Role as _lvsfleet_v1_Role, Role__Output as _lvsfleet_v1_Role__Output } from '../../lvsfleet/v1/Role.ts';
import type { Long } from '@grpc/proto-loader';

export interface AgentInfo {
  'host'?: (string);
  'role'?: (_lvsfleet_v1_Role);
  /**
   * Data-plane driver: sim, nftables or ipvs.
   */
  'driver'?: (string);
  'version'?: (string);
  'startedAtMs'?: (number | string | Long);
}

export interface AgentInfo__Output {
  'host': (string);
  'role': (_lvsfleet_v1_Role__Output);
  /**
   * Data-plane driver: sim, nftables or ipvs.
   */
  'driver': (string);
  'version': (string);
  'startedAtMs': (number);
}
