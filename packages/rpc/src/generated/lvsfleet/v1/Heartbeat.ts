// Original file: proto/lvsfleet/v1/agent.proto

import type { FailoverBeat as _lvsfleet_v1_FailoverBeat, FailoverBeat__Output as _lvsfleet_v1_FailoverBeat__Output } from '../../lvsfleet/v1/FailoverBeat.ts';
import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'roleState'?: (string);
  'generation'?: (number | string | Long);
  'services'?: (number);
  'destinations'?: (number);
  'activeConns'?: (number | string | Long);
  'inactConns'?: (number | string | Long);
  /**
   * Directors with health checks or VRRP; absent otherwise.
   */
  'failover'?: (_lvsfleet_v1_FailoverBeat | null);
}

export interface Heartbeat__Output {
  'roleState': (string);
  'generation': (number);
  'services': (number);
  'destinations': (number);
  'activeConns': (number);
  'inactConns': (number);
  /**
   * Directors with health checks or VRRP; absent otherwise.
   */
  'failover': (_lvsfleet_v1_FailoverBeat__Output | null);
}
