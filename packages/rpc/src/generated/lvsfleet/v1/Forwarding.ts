// Original file: proto/lvsfleet/v1/agent.proto

export const Forwarding = {
  FORWARDING_UNSPECIFIED: 'FORWARDING_UNSPECIFIED',
  DR: 'DR',
  NAT: 'NAT',
  TUN: 'TUN',
} as const;

export type Forwarding =
  | 'FORWARDING_UNSPECIFIED'
  | 0
  | 'DR'
  | 1
  | 'NAT'
  | 2
  | 'TUN'
  | 3

export type Forwarding__Output = typeof Forwarding[keyof typeof Forwarding]
