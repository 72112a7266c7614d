import { subscribe } from "node:diagnostics_channel";
import { TableMetrics } from "@lvsfleet/metrics/prom";
import { RPC_CALL_CHANNEL, type RpcCallRecord } from "@lvsfleet/rpc";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { JOB_FINISHED_CHANNEL, type JobFinishedRecord } from "../commands/job-finished.ts";
import { DRIFT_CHANNEL, type DriftRecord } from "../health/drift.ts";
import type { FleetReadings, Reading } from "./fleet.ts";

/** The supervisor lease as this replica sees it (agents/supervisor-lease.ts). */
export interface LeaseReading {
  replica: string;
  holding: boolean;
  gains: number;
  losses: number;
}

const RS = ["cluster", "service", "protocol", "vip", "real_server"] as const;

/** Seconds: from a fast local call to a slow apply on a big table. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The server's Prometheus metrics, on a registry of their own (so several apps in one process never clash). */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly table = new TableMetrics(this.registry, ["cluster", "director", "service"]);
  private readonly gauge = (name: string, help: string, labelNames: readonly string[]) =>
    new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });

  private readonly fleet = {
    clusterGeneration: this.gauge(
      "lvsfleet_cluster_generation",
      "Generation of the cluster's desired state (it grows with every change)",
      ["cluster"],
    ),
    configuredWeight: this.gauge(
      "lvsfleet_real_server_configured_weight",
      "Weight of the real server in the cluster's spec (what operators asked for)",
      RS,
    ),
    inTable: this.gauge(
      "lvsfleet_real_server_in_table",
      "1 when the director's IPVS table holds the real server the spec lists, 0 when it does not (removed after a failed check, or not applied yet)",
      ["cluster", "director", "service", "protocol", "vip", "real_server"],
    ),
    realServerUp: this.gauge(
      "lvsfleet_real_server_up",
      "Health of the real server as the director's checks last reported it (1 up, 0 down); present once a director reports health",
      ["cluster", "director", "service", "real_server"],
    ),
    directorUp: this.gauge(
      "lvsfleet_director_up",
      "1 when the director's agent answered GetState for this scrape, 0 when it did not",
      ["cluster", "director"],
    ),
    directorRunning: this.gauge(
      "lvsfleet_director_running",
      "1 when the director holds its role (lvsdr started), 0 when stopped",
      ["cluster", "director"],
    ),
    directorGeneration: this.gauge(
      "lvsfleet_director_generation",
      "Generation of the desired state the director last applied",
      ["cluster", "director"],
    ),
    directorInSync: this.gauge(
      "lvsfleet_director_in_sync",
      "1 when the director has applied the cluster's current generation",
      ["cluster", "director"],
    ),
    vrrpState: this.gauge(
      "lvsfleet_director_vrrp_state",
      "1 for the VRRP state the director last reported (MASTER, BACKUP, FAULT…), 0 for the others; present once a director reports VRRP",
      ["cluster", "director", "instance", "state"],
    ),
    vipHeld: this.gauge(
      "lvsfleet_director_vip_held",
      "1 for each of the cluster's VIPs the director has on an interface now (two holders of one VIP: split brain); present once directors report it",
      ["cluster", "director", "vip"],
    ),
    agentUp: this.gauge("lvsfleet_agent_up", "1 while the agent's heartbeats arrive, 0 after three are missed", [
      "host",
      "role",
      "driver",
    ]),
    heartbeatAge: this.gauge("lvsfleet_agent_heartbeat_age_seconds", "Seconds since the agent's last heartbeat", [
      "host",
    ]),
  } satisfies Record<Exclude<keyof FleetReadings, "table">, Gauge>;

  readonly jobs = this.gauge(
    "lvsfleet_jobs",
    "Jobs in the queue by state (waiting, active, delayed, completed and failed as kept)",
    ["state"],
  );
  readonly scrapeDuration = this.gauge(
    "lvsfleet_fleet_scrape_duration_seconds",
    "How long reading the fleet (specs, every director's table) took for this scrape",
    [],
  );
  readonly jobsFinished = new Counter({
    name: "lvsfleet_jobs_finished_total",
    help: "Jobs that finished for good, by kind and outcome",
    labelNames: ["kind", "outcome"],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: "lvsfleet_job_duration_seconds",
    help: "From queued to finished: how long a command took to reach the agents (retries included)",
    labelNames: ["kind", "outcome"],
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  readonly jobRun = new Histogram({
    name: "lvsfleet_job_run_seconds",
    help: "From the worker taking the job to finished",
    labelNames: ["kind", "outcome"],
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  readonly http = new Histogram({
    name: "lvsfleet_http_request_duration_seconds",
    help: "REST and chat requests: latency by method, route pattern and status",
    labelNames: ["method", "route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rpcDuration = new Histogram({
    name: "lvsfleet_agent_rpc_duration_seconds",
    help: "gRPC calls to agents: latency by method and status code",
    labelNames: ["method", "code"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rpcErrors = new Counter({
    name: "lvsfleet_agent_rpc_errors_total",
    help: "gRPC calls to agents that failed, by agent, method and status code",
    labelNames: ["host", "method", "code"],
    registers: [this.registry],
  });

  readonly driftOperations = new Counter({
    name: "lvsfleet_drift_operations",
    help: "Operations a director's periodic read-back found between its kernel table and the table it applied (a hand change), by whether it repaired them (driftPolicy correct) or only reported them; counted by the replica that supervises",
    labelNames: ["cluster", "host", "corrected"],
    registers: [this.registry],
  });

  readonly leaseHolder = this.gauge(
    "lvsfleet_supervisor_lease_holder",
    "1 when this replica holds the supervisor lease (it watches the agents and runs fleet health), 0 when another does; summed over the replicas it should be 1",
    ["replica"],
  );
  readonly leaseChanges = new Counter({
    name: "lvsfleet_supervisor_lease_changes_total",
    help: "Times this replica gained or lost the supervisor lease (change: gained, lost); a rising rate means the replicas hand it over too often",
    labelNames: ["replica", "change"],
    registers: [this.registry],
  });
  private leaseCounted = { gains: 0, losses: 0 };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    subscribe(RPC_CALL_CHANNEL, (message) => this.onRpcCall(message as RpcCallRecord));
    subscribe(JOB_FINISHED_CHANNEL, (message) => this.onJobFinished(message as JobFinishedRecord));
    subscribe(DRIFT_CHANNEL, (message) => this.onDrift(message as DriftRecord));
  }

  private onDrift(drift: DriftRecord): void {
    this.driftOperations.inc(
      { cluster: drift.cluster, host: drift.host, corrected: String(drift.corrected) },
      drift.operations,
    );
  }

  private onRpcCall(call: RpcCallRecord): void {
    this.rpcDuration.observe({ method: call.method, code: call.code }, call.durationSeconds);
    if (call.code !== "OK") this.rpcErrors.inc({ host: call.host, method: call.method, code: call.code });
  }

  private onJobFinished(job: JobFinishedRecord): void {
    const labels = { kind: job.kind, outcome: job.outcome };
    this.jobsFinished.inc(labels);
    this.jobDuration.observe(labels, job.totalSeconds);
    this.jobRun.observe(labels, job.runSeconds);
  }

  /** Replaces the fleet gauges with one snapshot's readings. */
  setFleet(readings: FleetReadings): void {
    for (const [key, gauge] of Object.entries(this.fleet)) {
      gauge.reset();
      for (const r of readings[key as keyof typeof this.fleet] as Reading[]) gauge.set(r.labels, r.value);
    }
    this.table.set(readings.table);
  }

  /** The lease holder gauge now, and the changes since the last reading. */
  setLease(lease: LeaseReading): void {
    this.leaseHolder.reset();
    this.leaseHolder.set({ replica: lease.replica }, lease.holding ? 1 : 0);
    this.leaseChanges.inc({ replica: lease.replica, change: "gained" }, lease.gains - this.leaseCounted.gains);
    this.leaseChanges.inc({ replica: lease.replica, change: "lost" }, lease.losses - this.leaseCounted.losses);
    this.leaseCounted = { gains: lease.gains, losses: lease.losses };
  }

  setJobCounts(counts: Record<string, number>): void {
    this.jobs.reset();
    for (const [state, n] of Object.entries(counts)) this.jobs.set({ state }, n);
  }
}
