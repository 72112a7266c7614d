// Original file: proto/lvsfleet/v1/agent.proto

import type { Service as _lvsfleet_v1_Service, Service__Output as _lvsfleet_v1_Service__Output } from '../../lvsfleet/v1/Service.ts';
import type { Destination as _lvsfleet_v1_Destination, Destination__Output as _lvsfleet_v1_Destination__Output } from '../../lvsfleet/v1/Destination.ts';

// Original file: proto/lvsfleet/v1/agent.proto

export const _lvsfleet_v1_Operation_Kind = {
  KIND_UNSPECIFIED: 'KIND_UNSPECIFIED',
  ADD_SERVICE: 'ADD_SERVICE',
  EDIT_SERVICE: 'EDIT_SERVICE',
  DELETE_SERVICE: 'DELETE_SERVICE',
  ADD_DESTINATION: 'ADD_DESTINATION',
  EDIT_DESTINATION: 'EDIT_DESTINATION',
  DELETE_DESTINATION: 'DELETE_DESTINATION',
} as const;

export type _lvsfleet_v1_Operation_Kind =
  | 'KIND_UNSPECIFIED'
  | 0
  | 'ADD_SERVICE'
  | 1
  | 'EDIT_SERVICE'
  | 2
  | 'DELETE_SERVICE'
  | 3
  | 'ADD_DESTINATION'
  | 4
  | 'EDIT_DESTINATION'
  | 5
  | 'DELETE_DESTINATION'
  | 6

export type _lvsfleet_v1_Operation_Kind__Output = typeof _lvsfleet_v1_Operation_Kind[keyof typeof _lvsfleet_v1_Operation_Kind]

export interface Operation {
  'kind'?: (_lvsfleet_v1_Operation_Kind);
  /**
   * The service's settings (destinations empty).
   */
  'service'?: (_lvsfleet_v1_Service | null);
  /**
   * Set for destination operations.
   */
  'destination'?: (_lvsfleet_v1_Destination | null);
}

export interface Operation__Output {
  'kind': (_lvsfleet_v1_Operation_Kind__Output);
  /**
   * The service's settings (destinations empty).
   */
  'service': (_lvsfleet_v1_Service__Output | null);
  /**
   * Set for destination operations.
   */
  'destination': (_lvsfleet_v1_Destination__Output | null);
}
