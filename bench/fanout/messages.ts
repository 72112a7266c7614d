/** What the bench's coordinator and its agent-host processes say to each other (Node's IPC channel). */

/** One director to enroll and serve: its name, its label address, its one-time join token. */
export interface AgentTicket {
  host: string;
  address: string;
  token: string;
}

export type ToHost =
  | { type: "start"; server: string; caPin: string; dataDir: string; tickets: AgentTicket[]; enrollConcurrency: number }
  /** Counts since `since` (ms since the epoch): Apply calls, streams opened and still open. */
  | { type: "stats"; id: number; since: number }
  | { type: "stop" };

export interface HostStats {
  agents: number;
  /** Apply calls (not dry runs) served since `since`. */
  applies: number;
  /** Agents whose WatchEvents stream is open now. */
  watched: number;
  /** For each agent that opened a stream at or after `since`: when it first did. */
  openedAt: number[];
}

export type FromHost =
  | { type: "ready"; agents: number; enrollMs: number }
  /** Every agent of this host has applied `generation` (or a later one); `at`: when the last one did. */
  | { type: "applied"; generation: number; at: number }
  | ({ type: "stats"; id: number } & HostStats)
  | { type: "error"; message: string };
