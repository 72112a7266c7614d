// Original file: proto/lvsfleet/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Rates {
  'cps'?: (number | string | Long);
  'inPps'?: (number | string | Long);
  'outPps'?: (number | string | Long);
  'inBps'?: (number | string | Long);
  'outBps'?: (number | string | Long);
}

export interface Rates__Output {
  'cps': (number);
  'inPps': (number);
  'outPps': (number);
  'inBps': (number);
  'outBps': (number);
}
