// Original file: proto/lvsfleet/v1/agent.proto


export interface RunActionResponse {
  /**
   * The command's exit status; -1 when it was killed (timed_out, or a signal).
   */
  'exitCode'?: (number);
  /**
   * The end of its output (stdout, then stderr), at most 4 KiB.
   */
  'output'?: (string);
  'durationMs'?: (number);
  'timedOut'?: (boolean);
}

export interface RunActionResponse__Output {
  /**
   * The command's exit status; -1 when it was killed (timed_out, or a signal).
   */
  'exitCode': (number);
  /**
   * The end of its output (stdout, then stderr), at most 4 KiB.
   */
  'output': (string);
  'durationMs': (number);
  'timedOut': (boolean);
}
