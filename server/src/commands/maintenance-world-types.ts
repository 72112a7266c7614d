/**
 * The command layer's types a maintenance job's effects speak in: a stored spec, a change through
 * the group-commit writer, and what each host did on an apply or a start/stop; the audit trail a job
 * run is recorded in.
 */
export type { AuditLog } from "../audit/log.ts";
export type { HostOutcome } from "../queue/jobs.ts";
export type { SpecChange, SpecUpdate } from "../store/cluster-writer.ts";
export type { StoredCluster } from "../store/clusters.ts";
