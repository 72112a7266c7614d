// Original file: proto/lvsfleet/v1/agent.proto


export interface AllowedScript {
  'name'?: (string);
  /**
   * The placeholders its arguments use: address, port, service, state, type, instance, priority.
   */
  'placeholders'?: (string)[];
}

export interface AllowedScript__Output {
  'name': (string);
  /**
   * The placeholders its arguments use: address, port, service, state, type, instance, priority.
   */
  'placeholders': (string)[];
}
