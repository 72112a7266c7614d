/** The health and VRRP messages of agent.proto as proto-loader hands them over (see wire.ts). */

export interface WireCheckStatus {
  type: string;
  state: string;
  detail: string;
  lastRoundMs: number;
  lastMs: number;
}

export interface WireRealServerHealth {
  service: string;
  address: string;
  port: number;
  state: string;
  desiredWeight: number;
  effectiveWeight: number;
  action: string;
  reason: string;
  sinceMs: number;
  checks: WireCheckStatus[];
}

export interface WireServiceHealth {
  service: string;
  healthyWeight: number;
  quorum: number;
  quorumState: string;
  sorryServer: string;
}

export interface WireVrrpStatus {
  instance: string;
  state: string;
  sinceMs: number;
  vips: string[];
  priority: number;
  process: string;
  detail: string;
}

export interface WireFailover {
  realServers: WireRealServerHealth[];
  services: WireServiceHealth[];
  vrrp: WireVrrpStatus[];
  vipsHeld: string[];
}

export interface WireFailoverBeat {
  vipsHeld: string[];
  vrrp: { instance: string; state: string }[];
  realServersDown: number;
}

export interface WireHealthWeights {
  desired: number;
  effective: number;
}

export interface WireSetSimulatedHealthRequest {
  address: string;
  port: number;
  healthy: boolean;
  service: string;
}

export interface WireSetSimulatedHealthResponse {
  realServers: WireRealServerHealth[];
}
