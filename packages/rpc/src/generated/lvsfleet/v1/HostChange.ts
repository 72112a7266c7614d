// Original file: proto/lvsfleet/v1/agent.proto


/**
 * One change made to the host, for humans and the audit trail.
 */
export interface HostChange {
  'kind'?: (string);
  'description'?: (string);
}

/**
 * One change made to the host, for humans and the audit trail.
 */
export interface HostChange__Output {
  'kind': (string);
  'description': (string);
}
