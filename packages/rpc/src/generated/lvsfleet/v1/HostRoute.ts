// Original file: proto/lvsfleet/v1/agent.proto


export interface HostRoute {
  'destination'?: (string);
  'interface'?: (string);
  'via'?: (string);
  'table'?: (string);
}

export interface HostRoute__Output {
  'destination': (string);
  'interface': (string);
  'via': (string);
  'table': (string);
}
