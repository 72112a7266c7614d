// Original file: proto/lvsfleet/v1/agent.proto

import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from '../../lvsfleet/v1/Table.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * What a director needs to take up its role.
 */
export interface DirectorConfig {
  'vips'?: (string)[];
  /**
   * Interface for the VIPs (eth0 in lvsdr.sh, as label eth0:1).
   */
  'interface'?: (string);
  /**
   * A bare table to install (tests): no health checks, no VRRP.
   */
  'desired'?: (_lvsfleet_v1_Table | null);
  'generation'?: (number | string | Long);
  /**
   * The cluster spec as JSON: the table to install is derived from it (the model's desiredTable),
   * and health checks, quorum, sorry servers, slow start, VRRP and scripts follow it.
   */
  'specJson'?: (string);
  /**
   * The desired state, sent once, in one of two forms.
   */
  'desiredState'?: "specJson"|"desired";
}

/**
 * What a director needs to take up its role.
 */
export interface DirectorConfig__Output {
  'vips': (string)[];
  /**
   * Interface for the VIPs (eth0 in lvsdr.sh, as label eth0:1).
   */
  'interface': (string);
  /**
   * A bare table to install (tests): no health checks, no VRRP.
   */
  'desired'?: (_lvsfleet_v1_Table__Output | null);
  'generation': (number);
  /**
   * The cluster spec as JSON: the table to install is derived from it (the model's desiredTable),
   * and health checks, quorum, sorry servers, slow start, VRRP and scripts follow it.
   */
  'specJson'?: (string);
  /**
   * The desired state, sent once, in one of two forms.
   */
  'desiredState'?: "specJson"|"desired";
}
