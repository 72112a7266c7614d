// Original file: proto/lvsfleet/v1/agent.proto

export const Protocol = {
  PROTOCOL_UNSPECIFIED: 'PROTOCOL_UNSPECIFIED',
  TCP: 'TCP',
  UDP: 'UDP',
  SCTP: 'SCTP',
  FWMARK: 'FWMARK',
} as const;

export type Protocol =
  | 'PROTOCOL_UNSPECIFIED'
  | 0
  | 'TCP'
  | 1
  | 'UDP'
  | 2
  | 'SCTP'
  | 3
  | 'FWMARK'
  | 4

export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
