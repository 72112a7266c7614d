// Original file: proto/lvsfleet/v1/agent.proto

export const Role = {
  ROLE_UNSPECIFIED: 'ROLE_UNSPECIFIED',
  DIRECTOR: 'DIRECTOR',
  REAL_SERVER: 'REAL_SERVER',
} as const;

export type Role =
  | 'ROLE_UNSPECIFIED'
  | 0
  | 'DIRECTOR'
  | 1
  | 'REAL_SERVER'
  | 2

export type Role__Output = typeof Role[keyof typeof Role]
