// Original file: proto/lvsfleet/v1/agent.proto


export interface VrrpInstanceState {
  'instance'?: (string);
  'state'?: (string);
}

export interface VrrpInstanceState__Output {
  'instance': (string);
  'state': (string);
}
