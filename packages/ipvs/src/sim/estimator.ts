import type { IpvsRates, IpvsStats } from "@lvsfleet/model";
import type { Counters } from "./types.ts";

/**
 * net/netfilter/ipvs/ip_vs_est.c: every 2 seconds each counter set updates scaled moving
 * averages (weight 1/4): rates of connections and packets are kept <<10 (per 2 s: <<9),
 * byte rates <<5 (per 2 s: <<4); reading rounds them back.
 */
export const ESTIMATOR_INTERVAL_MS = 2000;

export function newCounters(): Counters {
  const zero = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
  return { ...zero, est: { last: { ...zero }, cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 } };
}

const ewma = (avg: number, rate: number) => avg + Math.floor((rate - avg) / 4);

export function estimate(c: Counters): void {
  const e = c.est;
  e.cps = ewma(e.cps, (c.conns - e.last.conns) * 512);
  e.inpps = ewma(e.inpps, (c.inPkts - e.last.inPkts) * 512);
  e.outpps = ewma(e.outpps, (c.outPkts - e.last.outPkts) * 512);
  e.inbps = ewma(e.inbps, (c.inBytes - e.last.inBytes) * 16);
  e.outbps = ewma(e.outbps, (c.outBytes - e.last.outBytes) * 16);
  e.last = { conns: c.conns, inPkts: c.inPkts, outPkts: c.outPkts, inBytes: c.inBytes, outBytes: c.outBytes };
}

/** ip_vs_read_estimator. */
export function ratesOf(c: Counters): IpvsRates {
  const e = c.est;
  return {
    cps: Math.floor((e.cps + 0x1ff) / 1024),
    inPps: Math.floor((e.inpps + 0x1ff) / 1024),
    outPps: Math.floor((e.outpps + 0x1ff) / 1024),
    inBps: Math.floor((e.inbps + 0xf) / 32),
    outBps: Math.floor((e.outbps + 0xf) / 32),
  };
}

export function statsOf(c: Counters): IpvsStats {
  return { conns: c.conns, inPkts: c.inPkts, outPkts: c.outPkts, inBytes: c.inBytes, outBytes: c.outBytes };
}
