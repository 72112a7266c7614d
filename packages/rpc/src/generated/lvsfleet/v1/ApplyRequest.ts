// Original file: proto/lvsfleet/v1/agent.proto

import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from '../../lvsfleet/v1/Table.ts';
import type { Long } from '@grpc/proto-loader';

export interface ApplyRequest {
  'cluster'?: (string);
  /**
   * The desired-state generation; echoed back and in heartbeats.
   */
  'generation'?: (number | string | Long);
  /**
   * A bare table (previews, tests): the director's health checks and VRRP keep the spec it holds.
   */
  'desired'?: (_lvsfleet_v1_Table | null);
  /**
   * Plan only: report the operations without executing them.
   */
  'dryRun'?: (boolean);
  /**
   * The cluster spec as JSON: the director derives its IPVS table from it (the model's
   * desiredTable, as the server does), and its health checks, quorum, sorry servers, slow start,
   * VRRP and scripts follow it.
   */
  'specJson'?: (string);
  /**
   * The desired state, sent once, in one of two forms.
   */
  'desiredState'?: "specJson"|"desired";
}

export interface ApplyRequest__Output {
  'cluster': (string);
  /**
   * The desired-state generation; echoed back and in heartbeats.
   */
  'generation': (number);
  /**
   * A bare table (previews, tests): the director's health checks and VRRP keep the spec it holds.
   */
  'desired'?: (_lvsfleet_v1_Table__Output | null);
  /**
   * Plan only: report the operations without executing them.
   */
  'dryRun': (boolean);
  /**
   * The cluster spec as JSON: the director derives its IPVS table from it (the model's
   * desiredTable, as the server does), and its health checks, quorum, sorry servers, slow start,
   * VRRP and scripts follow it.
   */
  'specJson'?: (string);
  /**
   * The desired state, sent once, in one of two forms.
   */
  'desiredState'?: "specJson"|"desired";
}
