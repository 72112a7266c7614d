// Original file: proto/lvsfleet/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Stats {
  'conns'?: (number | string | Long);
  'inPkts'?: (number | string | Long);
  'outPkts'?: (number | string | Long);
  'inBytes'?: (number | string | Long);
  'outBytes'?: (number | string | Long);
}

export interface Stats__Output {
  'conns': (number);
  'inPkts': (number);
  'outPkts': (number);
  'inBytes': (number);
  'outBytes': (number);
}
