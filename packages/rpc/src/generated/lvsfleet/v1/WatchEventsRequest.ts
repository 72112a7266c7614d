// Original file: proto/lvsfleet/v1/agent.proto


export interface WatchEventsRequest {
  /**
   * Heartbeat period wanted by the watcher; the agent clamps it to [200 ms, 60 s].
   */
  'heartbeatIntervalMs'?: (number);
}

export interface WatchEventsRequest__Output {
  /**
   * Heartbeat period wanted by the watcher; the agent clamps it to [200 ms, 60 s].
   */
  'heartbeatIntervalMs': (number);
}
