// Original file: proto/lvsfleet/v1/agent.proto

import type { DirectorConfig as _lvsfleet_v1_DirectorConfig, DirectorConfig__Output as _lvsfleet_v1_DirectorConfig__Output } from '../../lvsfleet/v1/DirectorConfig.ts';
import type { RealServerConfig as _lvsfleet_v1_RealServerConfig, RealServerConfig__Output as _lvsfleet_v1_RealServerConfig__Output } from '../../lvsfleet/v1/RealServerConfig.ts';

export interface StartRequest {
  'cluster'?: (string);
  'director'?: (_lvsfleet_v1_DirectorConfig | null);
  'realServer'?: (_lvsfleet_v1_RealServerConfig | null);
  'config'?: "director"|"realServer";
}

export interface StartRequest__Output {
  'cluster': (string);
  'director'?: (_lvsfleet_v1_DirectorConfig__Output | null);
  'realServer'?: (_lvsfleet_v1_RealServerConfig__Output | null);
  'config'?: "director"|"realServer";
}
