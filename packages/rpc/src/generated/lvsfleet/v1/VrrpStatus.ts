// Original file: proto/lvsfleet/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface VrrpStatus {
  'instance'?: (string);
  /**
   * MASTER, BACKUP, FAULT, STOP or UNKNOWN.
   */
  'state'?: (string);
  'sinceMs'?: (number | string | Long);
  'vips'?: (string)[];
  'priority'?: (number);
  /**
   * running, starting, restarting, stopped or simulated.
   */
  'process'?: (string);
  'detail'?: (string);
}

export interface VrrpStatus__Output {
  'instance': (string);
  /**
   * MASTER, BACKUP, FAULT, STOP or UNKNOWN.
   */
  'state': (string);
  'sinceMs': (number);
  'vips': (string)[];
  'priority': (number);
  /**
   * running, starting, restarting, stopped or simulated.
   */
  'process': (string);
  'detail': (string);
}
