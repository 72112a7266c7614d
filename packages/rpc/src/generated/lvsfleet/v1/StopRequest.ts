// Original file: proto/lvsfleet/v1/agent.proto


export interface StopRequest {
  'cluster'?: (string);
}

export interface StopRequest__Output {
  'cluster': (string);
}
