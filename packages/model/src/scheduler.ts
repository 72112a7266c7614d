/** Every scheduler the Linux kernel ships in net/netfilter/ipvs/. */
export const SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "mh",
  "fo",
  "ovf",
  "twos",
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

/** Scheduler flags (`ipvsadm -b`): sh-fallback/sh-port for sh, mh-fallback/mh-port for mh. */
export const SCHEDULER_FLAGS = ["sh-fallback", "sh-port", "mh-fallback", "mh-port"] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

export function flagAppliesTo(flag: SchedulerFlag, scheduler: Scheduler): boolean {
  return flag.startsWith(`${scheduler}-`);
}
