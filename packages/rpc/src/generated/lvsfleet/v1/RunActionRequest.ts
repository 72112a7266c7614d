// Original file: proto/lvsfleet/v1/agent.proto


export interface RunActionRequest {
  /**
   * An action name from the agent's allowlist: lowercase letters, digits, - and _.
   */
  'name'?: (string);
}

export interface RunActionRequest__Output {
  /**
   * An action name from the agent's allowlist: lowercase letters, digits, - and _.
   */
  'name': (string);
}
