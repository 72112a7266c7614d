import type { ClusterSpec, VrrpNotify, VrrpState } from "@lvsfleet/model";

/** One VRRP transition, as keepalived reports it on the notify FIFO (or the agent's own stop). */
export interface VrrpTransition {
  kind: "INSTANCE" | "GROUP";
  /** The instance's or sync group's name. */
  name: string;
  state: VrrpState;
  priority: number;
}

const BY_STATE: Partial<Record<VrrpState, keyof VrrpNotify>> = {
  MASTER: "master",
  BACKUP: "backup",
  FAULT: "fault",
  STOP: "stop",
};

/**
 * The notify scripts a transition runs, in keepalived's order: the state's own (notify_master…),
 * then `any` (notify); an instance's for INSTANCE lines, the sync group's for GROUP lines. Each with
 * the values of its placeholders ({type}, {instance}, {state}, {priority}).
 */
export function notifyScripts(
  spec: ClusterSpec | undefined,
  transition: VrrpTransition,
): { name: string; values: Record<string, string> }[] {
  const vrrp = spec?.vrrp;
  const notify =
    transition.kind === "INSTANCE"
      ? vrrp?.instances.find((i) => i.name === transition.name)?.notify
      : vrrp?.syncGroup?.name === transition.name
        ? vrrp.syncGroup.notify
        : undefined;
  if (!notify) return [];
  const own = BY_STATE[transition.state];
  const names = [own ? notify[own] : undefined, notify.any].filter((n): n is string => n !== undefined);
  const values = {
    type: transition.kind,
    instance: transition.name,
    state: transition.state,
    priority: String(transition.priority),
  };
  return names.map((name) => ({ name, values }));
}
