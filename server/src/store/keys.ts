/** Every Redis key the server uses, under one prefix. */
export function keys(prefix: string) {
  return {
    clusters: `${prefix}:clusters`,
    cluster: (name: string) => `${prefix}:cluster:${name}`,
    agents: `${prefix}:agents`,
    agentStatus: `${prefix}:agent-status`,
    /** host → the cluster that owns it (the one whose spec names it; see host-owners.ts). */
    hostOwners: `${prefix}:host-owners`,
    events: `${prefix}:events`,
    audit: `${prefix}:audit`,
    tokens: `${prefix}:tokens`,
    tokenHashes: `${prefix}:token-hashes`,
    /** token id → when it was last used (ms), apart from the record so that it never races a revocation. */
    tokenLastUsed: `${prefix}:token-last-used`,
    confirmations: (code: string) => `${prefix}:confirm:${code}`,
    slackReplay: (signature: string) => `${prefix}:slack-seen:${signature}`,
  };
}
export type Keys = ReturnType<typeof keys>;
