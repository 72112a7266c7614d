// Original file: proto/lvsfleet/v1/agent.proto

import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from '../../lvsfleet/v1/Table.ts';
import type { Long } from '@grpc/proto-loader';

export interface ApplyRequest {
  'cluster'?: (string);
  /**
   * The desired-state generation this table belongs to; echoed back and in heartbeats.
   */
  'generation'?: (number | string | Long);
  'desired'?: (_lvsfleet_v1_Table | null);
  /**
   * Plan only: report the operations without executing them.
   */
  'dryRun'?: (boolean);
  /**
   * The cluster spec as JSON (health checks, quorum, sorry servers, slow start, VRRP); empty: unchanged.
   */
  'specJson'?: (string);
}

export interface ApplyRequest__Output {
  'cluster': (string);
  /**
   * The desired-state generation this table belongs to; echoed back and in heartbeats.
   */
  'generation': (number);
  'desired': (_lvsfleet_v1_Table__Output | null);
  /**
   * Plan only: report the operations without executing them.
   */
  'dryRun': (boolean);
  /**
   * The cluster spec as JSON (health checks, quorum, sorry servers, slow start, VRRP); empty: unchanged.
   */
  'specJson': (string);
}
