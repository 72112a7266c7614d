// Original file: proto/lvsfleet/v1/agent.proto

import type { AgentInfo as _lvsfleet_v1_AgentInfo, AgentInfo__Output as _lvsfleet_v1_AgentInfo__Output } from '../../lvsfleet/v1/AgentInfo.ts';
import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from '../../lvsfleet/v1/Table.ts';
import type { HostState as _lvsfleet_v1_HostState, HostState__Output as _lvsfleet_v1_HostState__Output } from '../../lvsfleet/v1/HostState.ts';
import type { Problem as _lvsfleet_v1_Problem, Problem__Output as _lvsfleet_v1_Problem__Output } from '../../lvsfleet/v1/Problem.ts';
import type { Failover as _lvsfleet_v1_Failover, Failover__Output as _lvsfleet_v1_Failover__Output } from '../../lvsfleet/v1/Failover.ts';
import type { ScriptAllowlist as _lvsfleet_v1_ScriptAllowlist, ScriptAllowlist__Output as _lvsfleet_v1_ScriptAllowlist__Output } from '../../lvsfleet/v1/ScriptAllowlist.ts';
import type { Long } from '@grpc/proto-loader';

export interface AgentState {
  'info'?: (_lvsfleet_v1_AgentInfo | null);
  /**
   * The cluster this host serves, once started or applied.
   */
  'cluster'?: (string);
  /**
   * "running" after Start, "stopped" otherwise.
   */
  'roleState'?: (string);
  /**
   * The observed IPVS table (directors; empty on real servers).
   */
  'table'?: (_lvsfleet_v1_Table | null);
  'host'?: (_lvsfleet_v1_HostState | null);
  /**
   * Generation of the last applied desired table.
   */
  'generation'?: (number | string | Long);
  /**
   * What the agent's doctor found wrong with the host for its role (empty when all is well).
   */
  'problems'?: (_lvsfleet_v1_Problem)[];
  /**
   * Directors: health checks and what the agent decided locally, VRRP, the VIPs held. Absent: not a director.
   */
  'failover'?: (_lvsfleet_v1_Failover | null);
  /**
   * Directors: the scripts the agent's own allowlist holds (--actions-file, section scripts); a
   * cluster spec may name only those. Absent: not reported (a real server, an older agent).
   */
  'scripts'?: (_lvsfleet_v1_ScriptAllowlist | null);
}

export interface AgentState__Output {
  'info': (_lvsfleet_v1_AgentInfo__Output | null);
  /**
   * The cluster this host serves, once started or applied.
   */
  'cluster': (string);
  /**
   * "running" after Start, "stopped" otherwise.
   */
  'roleState': (string);
  /**
   * The observed IPVS table (directors; empty on real servers).
   */
  'table': (_lvsfleet_v1_Table__Output | null);
  'host': (_lvsfleet_v1_HostState__Output | null);
  /**
   * Generation of the last applied desired table.
   */
  'generation': (number);
  /**
   * What the agent's doctor found wrong with the host for its role (empty when all is well).
   */
  'problems': (_lvsfleet_v1_Problem__Output)[];
  /**
   * Directors: health checks and what the agent decided locally, VRRP, the VIPs held. Absent: not a director.
   */
  'failover': (_lvsfleet_v1_Failover__Output | null);
  /**
   * Directors: the scripts the agent's own allowlist holds (--actions-file, section scripts); a
   * cluster spec may name only those. Absent: not reported (a real server, an older agent).
   */
  'scripts': (_lvsfleet_v1_ScriptAllowlist__Output | null);
}
