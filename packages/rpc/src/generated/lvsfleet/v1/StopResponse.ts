// Original file: proto/lvsfleet/v1/agent.proto

import type { HostChange as _lvsfleet_v1_HostChange, HostChange__Output as _lvsfleet_v1_HostChange__Output } from '../../lvsfleet/v1/HostChange.ts';
import type { AgentState as _lvsfleet_v1_AgentState, AgentState__Output as _lvsfleet_v1_AgentState__Output } from '../../lvsfleet/v1/AgentState.ts';

export interface StopResponse {
  'changes'?: (_lvsfleet_v1_HostChange)[];
  'state'?: (_lvsfleet_v1_AgentState | null);
}

export interface StopResponse__Output {
  'changes': (_lvsfleet_v1_HostChange__Output)[];
  'state': (_lvsfleet_v1_AgentState__Output | null);
}
