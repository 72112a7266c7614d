import type { ProbeResult, ProbeSubject } from "./probe.ts";

/**
 * Simulated health for the sim driver: real servers pass their checks unless failed through
 * SetSimulatedHealth. Nothing here opens a socket or runs a program.
 */
export class SimulatedHealth {
  /** `service|address|port`, or `*|address|port` for every service. */
  private readonly failed = new Set<string>();

  set(change: { address: string; port: number; healthy: boolean; service?: string | undefined }): void {
    const key = `${change.service ?? "*"}|${change.address}|${change.port}`;
    if (change.healthy) {
      this.failed.delete(key);
      // restoring "every service" restores each one failed on its own too
      if (!change.service)
        for (const k of [...this.failed]) if (k.endsWith(`|${change.address}|${change.port}`)) this.failed.delete(k);
    } else this.failed.add(key);
  }

  healthy(subject: ProbeSubject): boolean {
    const tail = `|${subject.address}|${subject.port}`;
    return !this.failed.has(`*${tail}`) && !this.failed.has(`${subject.service}${tail}`);
  }

  probe(subject: ProbeSubject): ProbeResult {
    return this.healthy(subject)
      ? { ok: true, detail: "simulated: healthy", ms: 0 }
      : { ok: false, detail: "simulated failure (SetSimulatedHealth)", ms: 0 };
  }
}
