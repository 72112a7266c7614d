// Original file: proto/lvsfleet/v1/agent.proto

import type { AllowedScript as _lvsfleet_v1_AllowedScript, AllowedScript__Output as _lvsfleet_v1_AllowedScript__Output } from '../../lvsfleet/v1/AllowedScript.ts';

/**
 * A director's script allowlist, as names: the programs and arguments stay on the host.
 */
export interface ScriptAllowlist {
  /**
   * The --actions-file; empty: the agent has none, and scripts are off.
   */
  'file'?: (string);
  'scripts'?: (_lvsfleet_v1_AllowedScript)[];
}

/**
 * A director's script allowlist, as names: the programs and arguments stay on the host.
 */
export interface ScriptAllowlist__Output {
  /**
   * The --actions-file; empty: the agent has none, and scripts are off.
   */
  'file': (string);
  'scripts': (_lvsfleet_v1_AllowedScript__Output)[];
}
