/**
 * The TCP state machine IPVS keeps per connection (net/netfilter/ipvs/ip_vs_proto_tcp.c):
 * state names, default timeouts and the transition table for input, output and input-only
 * (DR/TUN: the director never sees the replies) directions.
 */

export const TCP_STATES = [
  "NONE",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "SYNACK",
] as const;
export type TcpState = (typeof TCP_STATES)[number];

/** tcp_timeouts[] in seconds; ESTABLISHED and FIN_WAIT are what `ipvsadm --set` changes. */
export const TCP_TIMEOUTS: Record<TcpState, number> = {
  NONE: 2,
  ESTABLISHED: 900,
  SYN_SENT: 120,
  SYN_RECV: 60,
  FIN_WAIT: 120,
  TIME_WAIT: 120,
  CLOSE: 10,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  LISTEN: 120,
  SYNACK: 120,
};

export type TcpEvent = "syn" | "fin" | "ack" | "rst";
export type TcpDirection = "input" | "output" | "input-only";

const [, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI] = TCP_STATES;
type Row = readonly TcpState[];
/** tcp_states[]: rows per event, columns per current state (NONE … SYNACK, as TCP_STATES). */
const TABLE: Record<TcpDirection, Record<TcpEvent, Row>> = {
  input: {
    syn: [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
    fin: [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW],
    ack: [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
    rst: [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR],
  },
  output: {
    syn: [sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR],
    fin: [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
    ack: [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
    rst: [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
  },
  "input-only": {
    syn: [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
    fin: [sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW],
    ack: [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
    rst: [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL],
  },
} as const;

export function nextTcpState(state: TcpState, direction: TcpDirection, event: TcpEvent): TcpState {
  return TABLE[direction][event][TCP_STATES.indexOf(state)]!;
}

/** State codes for the simulator's hot path: TCP_STATES' indexes, then UDP and a closed SCTP association. */
export const STATE_NAMES = [...TCP_STATES, "UDP", "CLOSED"] as const;
export const S_NONE = 0;
export const S_ESTABLISHED = 1;
export const S_FIN_WAIT = 4;
export const S_TIME_WAIT = 5;
export const S_UDP = TCP_STATES.length;
export const S_CLOSED = TCP_STATES.length + 1;

const DIRECTIONS: TcpDirection[] = ["input", "output", "input-only"];
const EVENTS: TcpEvent[] = ["syn", "fin", "ack", "rst"];
/** TABLE as one flat array: [direction][event][state] → next state code. */
const CODES = new Uint8Array(DIRECTIONS.length * EVENTS.length * TCP_STATES.length);
for (const [i, d] of DIRECTIONS.entries())
  for (const [j, e] of EVENTS.entries())
    for (const k of TCP_STATES.keys())
      CODES[(i * EVENTS.length + j) * TCP_STATES.length + k] = TCP_STATES.indexOf(TABLE[d][e][k]!);
export const DIRECTION_CODE = { input: 0, output: 1, "input-only": 2 } as const;
export const EVENT_CODE = { syn: 0, fin: 1, ack: 2, rst: 3 } as const;

/** nextTcpState on codes: direction and event from DIRECTION_CODE/EVENT_CODE, the state a TCP state code. */
export function nextTcpStateCode(state: number, direction: number, event: number): number {
  return CODES[(direction * EVENTS.length + event) * TCP_STATES.length + state]!;
}

/** tcp_timeouts[] by state code, in seconds. */
export const TCP_TIMEOUT_BY_CODE: readonly number[] = TCP_STATES.map((s) => TCP_TIMEOUTS[s]);
