// Original file: proto/lvsfleet/v1/agent.proto


export interface StateChange {
  /**
   * What changed: "role", "table", "vrrp".
   */
  'subject'?: (string);
  'from'?: (string);
  'to'?: (string);
  'detail'?: (string);
}

export interface StateChange__Output {
  /**
   * What changed: "role", "table", "vrrp".
   */
  'subject': (string);
  'from': (string);
  'to': (string);
  'detail': (string);
}
