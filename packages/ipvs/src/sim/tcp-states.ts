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
