import { connect } from "node:net";
import type { TcpCheck } from "@lvsfleet/model";
import { elapsedSince, failureDetail, type ProbeResult } from "./probe.ts";

/** keepalived TCP_CHECK: up when a TCP connection completes within the timeout; closed at once. */
export function tcpProbe(
  check: TcpCheck,
  address: string,
  port: number,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, ...(check.bindTo ? { localAddress: check.bindTo } : {}) });
    let settled = false;
    const finish = (result: Omit<ProbeResult, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve({ ...result, ms: elapsedSince(started) });
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no connection within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onAbort = () => finish({ ok: false, detail: "cancelled" });
    options.signal.addEventListener("abort", onAbort);
    socket.once("connect", () => finish({ ok: true, detail: `connected in ${elapsedSince(started)} ms` }));
    socket.once("error", (error) => finish({ ok: false, detail: `connect ${failureDetail(error)}` }));
  });
}
