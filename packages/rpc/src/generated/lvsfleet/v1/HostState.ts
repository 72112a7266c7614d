// Original file: proto/lvsfleet/v1/agent.proto

import type { HostAddress as _lvsfleet_v1_HostAddress, HostAddress__Output as _lvsfleet_v1_HostAddress__Output } from '../../lvsfleet/v1/HostAddress.ts';
import type { HostRoute as _lvsfleet_v1_HostRoute, HostRoute__Output as _lvsfleet_v1_HostRoute__Output } from '../../lvsfleet/v1/HostRoute.ts';

export interface HostState {
  'addresses'?: (_lvsfleet_v1_HostAddress)[];
  'routes'?: (_lvsfleet_v1_HostRoute)[];
  'sysctls'?: ({[key: string]: string});
}

export interface HostState__Output {
  'addresses': (_lvsfleet_v1_HostAddress__Output)[];
  'routes': (_lvsfleet_v1_HostRoute__Output)[];
  'sysctls': ({[key: string]: string});
}
