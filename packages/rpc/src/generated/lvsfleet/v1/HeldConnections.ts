// Original file: proto/lvsfleet/v1/agent.proto


/**
 * Established connections put on one real server, bypassing the scheduler (long-lived clients).
 */
export interface HeldConnections {
  'address'?: (string);
  'port'?: (number);
  'count'?: (number);
  /**
   * When they close, in seconds; 0: only when released. They keep alive meanwhile.
   */
  'lifetimeSeconds'?: (number | string);
}

/**
 * Established connections put on one real server, bypassing the scheduler (long-lived clients).
 */
export interface HeldConnections__Output {
  'address': (string);
  'port': (number);
  'count': (number);
  /**
   * When they close, in seconds; 0: only when released. They keep alive meanwhile.
   */
  'lifetimeSeconds': (number);
}
