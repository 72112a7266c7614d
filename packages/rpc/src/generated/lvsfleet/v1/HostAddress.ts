// Original file: proto/lvsfleet/v1/agent.proto


export interface HostAddress {
  'address'?: (string);
  'prefixLength'?: (number);
  'interface'?: (string);
  'label'?: (string);
}

export interface HostAddress__Output {
  'address': (string);
  'prefixLength': (number);
  'interface': (string);
  'label': (string);
}
