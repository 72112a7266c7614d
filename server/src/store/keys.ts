/** Every Redis key the server uses, under one prefix. */
export function keys(prefix: string) {
  return {
    clusters: `${prefix}:clusters`,
    cluster: (name: string) => `${prefix}:cluster:${name}`,
    agents: `${prefix}:agents`,
    agentStatus: `${prefix}:agent-status`,
    events: `${prefix}:events`,
    lastState: `${prefix}:last-state`,
  };
}
export type Keys = ReturnType<typeof keys>;
