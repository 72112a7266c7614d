// Original file: proto/lvsfleet/v1/agent.proto


export interface StateChange {
  /**
   * What changed: "role", "table", "vrrp:<instance>", "vip:<address>", "quorum:<service>", "drift".
   */
  'subject'?: (string);
  'from'?: (string);
  'to'?: (string);
  'detail'?: (string);
  /**
   * Subject "drift": how many operations the director's read-back found (0: in step again).
   */
  'operations'?: (number);
}

export interface StateChange__Output {
  /**
   * What changed: "role", "table", "vrrp:<instance>", "vip:<address>", "quorum:<service>", "drift".
   */
  'subject': (string);
  'from': (string);
  'to': (string);
  'detail': (string);
  /**
   * Subject "drift": how many operations the director's read-back found (0: in step again).
   */
  'operations': (number);
}
