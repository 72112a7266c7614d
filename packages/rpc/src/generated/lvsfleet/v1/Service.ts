// Original file: proto/lvsfleet/v1/agent.proto

import type { Protocol as _lvsfleet_v1_Protocol, Protocol__Output as _lvsfleet_v1_Protocol__Output } from '../../lvsfleet/v1/Protocol.ts';
import type { Family as _lvsfleet_v1_Family, Family__Output as _lvsfleet_v1_Family__Output } from '../../lvsfleet/v1/Family.ts';
import type { Persistence as _lvsfleet_v1_Persistence, Persistence__Output as _lvsfleet_v1_Persistence__Output } from '../../lvsfleet/v1/Persistence.ts';
import type { Destination as _lvsfleet_v1_Destination, Destination__Output as _lvsfleet_v1_Destination__Output } from '../../lvsfleet/v1/Destination.ts';
import type { Stats as _lvsfleet_v1_Stats, Stats__Output as _lvsfleet_v1_Stats__Output } from '../../lvsfleet/v1/Stats.ts';
import type { Rates as _lvsfleet_v1_Rates, Rates__Output as _lvsfleet_v1_Rates__Output } from '../../lvsfleet/v1/Rates.ts';

export interface Service {
  'protocol'?: (_lvsfleet_v1_Protocol);
  'address'?: (string);
  'port'?: (number);
  'fwmark'?: (number);
  'family'?: (_lvsfleet_v1_Family);
  'scheduler'?: (string);
  'schedulerFlags'?: (string)[];
  /**
   * Absent when the service is not persistent.
   */
  'persistence'?: (_lvsfleet_v1_Persistence | null);
  'destinations'?: (_lvsfleet_v1_Destination)[];
  /**
   * One-packet scheduling (ipvsadm -o, UDP).
   */
  'onePacket'?: (boolean);
  'stats'?: (_lvsfleet_v1_Stats | null);
  'rates'?: (_lvsfleet_v1_Rates | null);
}

export interface Service__Output {
  'protocol': (_lvsfleet_v1_Protocol__Output);
  'address': (string);
  'port': (number);
  'fwmark': (number);
  'family': (_lvsfleet_v1_Family__Output);
  'scheduler': (string);
  'schedulerFlags': (string)[];
  /**
   * Absent when the service is not persistent.
   */
  'persistence': (_lvsfleet_v1_Persistence__Output | null);
  'destinations': (_lvsfleet_v1_Destination__Output)[];
  /**
   * One-packet scheduling (ipvsadm -o, UDP).
   */
  'onePacket': (boolean);
  'stats': (_lvsfleet_v1_Stats__Output | null);
  'rates': (_lvsfleet_v1_Rates__Output | null);
}
