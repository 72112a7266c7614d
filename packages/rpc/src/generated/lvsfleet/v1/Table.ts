// Original file: proto/lvsfleet/v1/agent.proto

import type { Service as _lvsfleet_v1_Service, Service__Output as _lvsfleet_v1_Service__Output } from '../../lvsfleet/v1/Service.ts';

export interface Table {
  'services'?: (_lvsfleet_v1_Service)[];
}

export interface Table__Output {
  'services': (_lvsfleet_v1_Service__Output)[];
}
