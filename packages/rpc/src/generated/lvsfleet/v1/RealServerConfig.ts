// Original file: proto/lvsfleet/v1/agent.proto

import type { Forwarding as _lvsfleet_v1_Forwarding, Forwarding__Output as _lvsfleet_v1_Forwarding__Output } from '../../lvsfleet/v1/Forwarding.ts';

export interface _lvsfleet_v1_RealServerConfig_Vip {
  'address'?: (string);
  /**
   * How the director forwards to this server for the VIP: DR and TUN need the VIP on lo
   * and ARP suppression; NAT needs the reply path through the director.
   */
  'forwarding'?: (_lvsfleet_v1_Forwarding)[];
}

export interface _lvsfleet_v1_RealServerConfig_Vip__Output {
  'address': (string);
  /**
   * How the director forwards to this server for the VIP: DR and TUN need the VIP on lo
   * and ARP suppression; NAT needs the reply path through the director.
   */
  'forwarding': (_lvsfleet_v1_Forwarding__Output)[];
}

/**
 * What a real server needs (realdr.sh).
 */
export interface RealServerConfig {
  'vips'?: (_lvsfleet_v1_RealServerConfig_Vip)[];
  /**
   * For NAT: the director address real servers route replies through.
   */
  'natGateway'?: (string);
}

/**
 * What a real server needs (realdr.sh).
 */
export interface RealServerConfig__Output {
  'vips': (_lvsfleet_v1_RealServerConfig_Vip__Output)[];
  /**
   * For NAT: the director address real servers route replies through.
   */
  'natGateway': (string);
}
