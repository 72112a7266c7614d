import type { RealServer } from "@lvsfleet/model";
import type { Actor } from "../commands/actor.ts";

/** The maintenance job kinds. `undrain` is the end of a drain: it restores what the drain left. */
export const JOB_KINDS = ["drain", "maintenance", "rolling", "switchover", "undrain"] as const;
export type MaintenanceKind = (typeof JOB_KINDS)[number];

/**
 * queued: waiting for its turn in the queue; scheduled: waiting for runAt; waiting: another job
 * holds the cluster; active: running a step; paused: stopped at a safe point until resumed;
 * then completed, failed or cancelled (everything it changed restored).
 */
export const JOB_STATES = [
  "queued",
  "scheduled",
  "waiting",
  "active",
  "paused",
  "completed",
  "failed",
  "cancelled",
] as const;
export type MaintenanceState = (typeof JOB_STATES)[number];
export const TERMINAL: ReadonlySet<MaintenanceState> = new Set(["completed", "failed", "cancelled"]);

/** One real server of one virtual service. */
export interface ServerRef {
  service: string;
  address: string;
  port: number;
  /** The real-server agent's host, when the spec names one. */
  host?: string | undefined;
}

/** What a rolling job does to each server between drain and restore. */
export type RollingAction = { kind: "pause"; seconds: number } | { kind: "command"; name: string };

export interface DrainOptions {
  /** Give up waiting for connections to end after this long (seconds). */
  timeoutSeconds: number;
  /** Wait for InActConn to reach 0 too (TIME_WAIT and the like), not only ActiveConn. */
  includeInactive: boolean;
  /** What a drain that reaches its deadline does: fail (restore the weight) or go on regardless. */
  onTimeout: "fail" | "proceed";
}

export type JobPlanOptions =
  | ({ kind: "drain"; remove: boolean } & DrainOptions)
  | ({ kind: "maintenance"; holdSeconds?: number | undefined } & DrainOptions)
  | { kind: "undrain" }
  | ({
      kind: "rolling";
      batch: number;
      /** Percent of the service's total weight that must stay healthy and in service. */
      minCapacity: number;
      action: RollingAction;
      healthTimeoutSeconds: number;
    } & DrainOptions)
  | {
      kind: "switchover";
      from: string;
      to: string;
      method: "stop" | "priority";
      verifyTimeoutSeconds: number;
      /** Also wait until new connections go through the director that took over (its IPVS counters). */
      verifyTraffic: boolean;
      /** Move the VIPs back to `from` after this long; absent: leave them on `to`. */
      moveBackSeconds?: number | undefined;
    };

export type StepKind =
  | "drain"
  | "wait-drained"
  | "remove"
  | "mark"
  | "hold"
  | "action"
  | "wait-healthy"
  | "restore"
  | "director-up"
  | "demote"
  | "verify-vip";

export type StepState = "pending" | "running" | "done" | "skipped" | "failed";

export interface Step {
  kind: StepKind;
  /** In words: `drain 192.168.1.220:80 in web/http`. */
  title: string;
  servers?: ServerRef[] | undefined;
  /** Directors: switchover. */
  host?: string | undefined;
  /** hold: seconds (absent: until ended). */
  seconds?: number | undefined;
  state: StepState;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  detail?: string | undefined;
}

/** What the job changed and has not restored yet: the undo log, persisted before each change. */
export type Change =
  | { kind: "weight"; ref: ServerRef; before: number; set: number }
  | { kind: "removed"; ref: ServerRef; entry: RealServer; index: number }
  | { kind: "director-stopped"; host: string }
  | { kind: "director-started"; host: string }
  | { kind: "priority"; host: string; before: { role: "master" | "backup"; priority: number } };

export interface Progress {
  message: string;
  /** Steps done of all steps. */
  step: number;
  steps: number;
  /** While draining: connections left on the servers being drained. */
  connectionsLeft?: number | undefined;
  /** Rolling: servers done of all. */
  serversDone?: number | undefined;
  serversTotal?: number | undefined;
}

export interface MaintenanceJob {
  id: string;
  /** Creation order; jobs of one cluster run in this order. */
  seq: number;
  kind: MaintenanceKind;
  cluster: string;
  /** In words, e.g. `drain 192.168.1.220:80 in web/http`. */
  command: string;
  /** The request as given (targets, options), for the record and for schedules. */
  request: { targets: unknown; options: unknown };
  plan: JobPlanOptions;
  /** The servers the job works on, resolved at submission. */
  servers: ServerRef[];
  actor: Actor;
  notify?: { responseUrl: string } | undefined;
  requestId?: string | undefined;
  idempotencyKey?: string | undefined;
  scheduleId?: string | undefined;
  onRestart: "resume" | "restore";
  state: MaintenanceState;
  /** Asked for by cancel/pause/end; honoured at the next safe point. */
  control?: "cancel" | "pause" | "end" | undefined;
  runAt?: number | undefined;
  steps: Step[];
  /** The step running or next to run. */
  stepIndex: number;
  changed: Change[];
  progress?: Progress | undefined;
  summary?: string | undefined;
  error?: string | undefined;
  /** The fencing token of the run that holds the cluster. */
  fence?: number | undefined;
  /** How many times a server (re)started the run: above 1 after a takeover. */
  runs: number;
  createdAt: number;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  /** The BullMQ job that runs it (differs from id for jobs fired by a cron schedule). */
  queueJobId?: string | undefined;
}

/** A progress event, as GET /v1/jobs/{id}/events streams it; `seq` increases by one per event. */
export interface JobEvent {
  seq: number;
  time: number;
  type: "state" | "step" | "progress" | "server";
  message: string;
  state?: MaintenanceState | undefined;
  step?: number | undefined;
  stepState?: StepState | undefined;
  progress?: Progress | undefined;
  /** The servers this job has drained (weight 0 or removed) right after the event. */
  drained?: string[] | undefined;
}

/** A cron schedule: a job template fired by BullMQ's job scheduler. */
export interface Schedule {
  id: string;
  cluster: string;
  kind: MaintenanceKind;
  cron: string;
  timeZone: string;
  targets: unknown;
  options: unknown;
  actor: Actor;
  createdAt: number;
  notify?: { responseUrl: string } | undefined;
}

export const refKey = (r: Pick<ServerRef, "service" | "address" | "port">) => `${r.service}|${r.address}|${r.port}`;
