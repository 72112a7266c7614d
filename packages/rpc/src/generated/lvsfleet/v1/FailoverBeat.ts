// Original file: proto/lvsfleet/v1/agent.proto

import type { VrrpInstanceState as _lvsfleet_v1_VrrpInstanceState, VrrpInstanceState__Output as _lvsfleet_v1_VrrpInstanceState__Output } from '../../lvsfleet/v1/VrrpInstanceState.ts';

export interface FailoverBeat {
  'vipsHeld'?: (string)[];
  'vrrp'?: (_lvsfleet_v1_VrrpInstanceState)[];
  'realServersDown'?: (number);
}

export interface FailoverBeat__Output {
  'vipsHeld': (string)[];
  'vrrp': (_lvsfleet_v1_VrrpInstanceState__Output)[];
  'realServersDown': (number);
}
