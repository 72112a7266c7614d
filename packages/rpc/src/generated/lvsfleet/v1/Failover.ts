// Original file: proto/lvsfleet/v1/agent.proto

import type { RealServerHealth as _lvsfleet_v1_RealServerHealth, RealServerHealth__Output as _lvsfleet_v1_RealServerHealth__Output } from '../../lvsfleet/v1/RealServerHealth.ts';
import type { ServiceHealth as _lvsfleet_v1_ServiceHealth, ServiceHealth__Output as _lvsfleet_v1_ServiceHealth__Output } from '../../lvsfleet/v1/ServiceHealth.ts';
import type { VrrpStatus as _lvsfleet_v1_VrrpStatus, VrrpStatus__Output as _lvsfleet_v1_VrrpStatus__Output } from '../../lvsfleet/v1/VrrpStatus.ts';

export interface Failover {
  'realServers'?: (_lvsfleet_v1_RealServerHealth)[];
  'services'?: (_lvsfleet_v1_ServiceHealth)[];
  'vrrp'?: (_lvsfleet_v1_VrrpStatus)[];
  /**
   * The cluster's VIPs this host has on an interface now.
   */
  'vipsHeld'?: (string)[];
}

export interface Failover__Output {
  'realServers': (_lvsfleet_v1_RealServerHealth__Output)[];
  'services': (_lvsfleet_v1_ServiceHealth__Output)[];
  'vrrp': (_lvsfleet_v1_VrrpStatus__Output)[];
  /**
   * The cluster's VIPs this host has on an interface now.
   */
  'vipsHeld': (string)[];
}
