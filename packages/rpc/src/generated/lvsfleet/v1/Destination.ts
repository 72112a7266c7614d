// Original file: proto/lvsfleet/v1/agent.proto

import type { Forwarding as _lvsfleet_v1_Forwarding, Forwarding__Output as _lvsfleet_v1_Forwarding__Output } from '../../lvsfleet/v1/Forwarding.ts';
import type { Tunnel as _lvsfleet_v1_Tunnel, Tunnel__Output as _lvsfleet_v1_Tunnel__Output } from '../../lvsfleet/v1/Tunnel.ts';
import type { Stats as _lvsfleet_v1_Stats, Stats__Output as _lvsfleet_v1_Stats__Output } from '../../lvsfleet/v1/Stats.ts';
import type { Rates as _lvsfleet_v1_Rates, Rates__Output as _lvsfleet_v1_Rates__Output } from '../../lvsfleet/v1/Rates.ts';
import type { Long } from '@grpc/proto-loader';

export interface Destination {
  'address'?: (string);
  'port'?: (number);
  'forwarding'?: (_lvsfleet_v1_Forwarding);
  'weight'?: (number);
  'upperThreshold'?: (number);
  'lowerThreshold'?: (number);
  'activeConns'?: (number | string | Long);
  'inactConns'?: (number | string | Long);
  'persistConns'?: (number | string | Long);
  /**
   * Encapsulation of a TUN destination; absent: ipip (the kernel's default).
   */
  'tunnel'?: (_lvsfleet_v1_Tunnel | null);
  /**
   * Counters and rates (ipvsadm -Ln --stats / --rate), when the data plane reports them.
   */
  'stats'?: (_lvsfleet_v1_Stats | null);
  'rates'?: (_lvsfleet_v1_Rates | null);
}

export interface Destination__Output {
  'address': (string);
  'port': (number);
  'forwarding': (_lvsfleet_v1_Forwarding__Output);
  'weight': (number);
  'upperThreshold': (number);
  'lowerThreshold': (number);
  'activeConns': (number);
  'inactConns': (number);
  'persistConns': (number);
  /**
   * Encapsulation of a TUN destination; absent: ipip (the kernel's default).
   */
  'tunnel': (_lvsfleet_v1_Tunnel__Output | null);
  /**
   * Counters and rates (ipvsadm -Ln --stats / --rate), when the data plane reports them.
   */
  'stats': (_lvsfleet_v1_Stats__Output | null);
  'rates': (_lvsfleet_v1_Rates__Output | null);
}
