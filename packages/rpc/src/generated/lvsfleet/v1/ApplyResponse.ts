// Original file: proto/lvsfleet/v1/agent.proto

import type { Operation as _lvsfleet_v1_Operation, Operation__Output as _lvsfleet_v1_Operation__Output } from '../../lvsfleet/v1/Operation.ts';
import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from '../../lvsfleet/v1/Table.ts';
import type { Long } from '@grpc/proto-loader';

export interface ApplyResponse {
  'operations'?: (_lvsfleet_v1_Operation)[];
  'observed'?: (_lvsfleet_v1_Table | null);
  'generation'?: (number | string | Long);
}

export interface ApplyResponse__Output {
  'operations': (_lvsfleet_v1_Operation__Output)[];
  'observed': (_lvsfleet_v1_Table__Output | null);
  'generation': (number);
}
