// Original file: proto/lvsfleet/v1/agent.proto

import type { Heartbeat as _lvsfleet_v1_Heartbeat, Heartbeat__Output as _lvsfleet_v1_Heartbeat__Output } from '../../lvsfleet/v1/Heartbeat.ts';
import type { StateChange as _lvsfleet_v1_StateChange, StateChange__Output as _lvsfleet_v1_StateChange__Output } from '../../lvsfleet/v1/StateChange.ts';
import type { HealthChange as _lvsfleet_v1_HealthChange, HealthChange__Output as _lvsfleet_v1_HealthChange__Output } from '../../lvsfleet/v1/HealthChange.ts';
import type { Long } from '@grpc/proto-loader';

export interface Event {
  'timeMs'?: (number | string | Long);
  'host'?: (string);
  'heartbeat'?: (_lvsfleet_v1_Heartbeat | null);
  'stateChange'?: (_lvsfleet_v1_StateChange | null);
  'healthChange'?: (_lvsfleet_v1_HealthChange | null);
  'kind'?: "heartbeat"|"stateChange"|"healthChange";
}

export interface Event__Output {
  'timeMs': (number);
  'host': (string);
  'heartbeat'?: (_lvsfleet_v1_Heartbeat__Output | null);
  'stateChange'?: (_lvsfleet_v1_StateChange__Output | null);
  'healthChange'?: (_lvsfleet_v1_HealthChange__Output | null);
  'kind'?: "heartbeat"|"stateChange"|"healthChange";
}
