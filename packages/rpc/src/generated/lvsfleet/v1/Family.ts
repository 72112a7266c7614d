// Original file: proto/lvsfleet/v1/agent.proto

export const Family = {
  FAMILY_UNSPECIFIED: 'FAMILY_UNSPECIFIED',
  INET: 'INET',
  INET6: 'INET6',
} as const;

export type Family =
  | 'FAMILY_UNSPECIFIED'
  | 0
  | 'INET'
  | 1
  | 'INET6'
  | 2

export type Family__Output = typeof Family[keyof typeof Family]
