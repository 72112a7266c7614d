/** Where one director of an apply round is. */
export interface DirectorProgress {
  host: string;
  state: "waiting" | "applying" | "applied" | "failed";
  /** When its Apply was sent, and when it answered (ms since the epoch). */
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
}

/**
 * One round of Apply calls for a cluster, as it goes: the worker reads it every second and writes
 * it into the job's progress (GET /v1/jobs/{id}), so a long Apply — 10,000 services on a slow
 * driver take minutes — shows who is applying what and for how long.
 */
export class ApplyRound {
  generation = 0;
  services = 0;
  readonly directors = new Map<string, DirectorProgress>();

  /** The round has read the stored spec: which generation, how many services, which directors. */
  begin(generation: number, services: number, hosts: readonly string[]): void {
    this.generation = generation;
    this.services = services;
    for (const host of hosts) this.directors.set(host, { host, state: "waiting" });
  }

  applying(host: string, now = Date.now()): void {
    this.directors.set(host, { host, state: "applying", startedAt: now });
  }

  finished(host: string, ok: boolean, now = Date.now()): void {
    const director = this.directors.get(host);
    this.directors.set(host, {
      host,
      startedAt: director?.startedAt,
      state: ok ? "applied" : "failed",
      finishedAt: now,
    });
  }
}

/** What GET /v1/jobs/{id} shows of a running apply: one line, and each director. */
export interface ApplyProgress {
  message: string;
  generation: number;
  services: number;
  directors: { host: string; state: DirectorProgress["state"]; seconds?: number | undefined }[];
}

const count = (n: number) => n.toLocaleString("en-US");

/** "lb-master: applying 10,000 services, 12 s so far; lb-backup: applied in 9 s". */
export function describeApplyProgress(round: ApplyRound, now = Date.now()): ApplyProgress {
  const directors = [...round.directors.values()].map((d) => {
    const end = d.state === "applying" ? now : d.finishedAt;
    const seconds =
      d.startedAt !== undefined && end !== undefined ? Math.round((end - d.startedAt) / 1_000) : undefined;
    return { host: d.host, state: d.state, ...(seconds === undefined ? {} : { seconds }) };
  });
  const services = `${count(round.services)} service${round.services === 1 ? "" : "s"}`;
  const said: Record<DirectorProgress["state"], (d: (typeof directors)[number]) => string> = {
    waiting: (d) => `${d.host}: waiting for a slot`,
    applying: (d) => `${d.host}: applying ${services}, ${d.seconds ?? 0} s so far`,
    applied: (d) => `${d.host}: applied in ${d.seconds ?? 0} s`,
    failed: (d) => `${d.host}: failed after ${d.seconds ?? 0} s`,
  };
  const parts = directors.map((d) => said[d.state](d));
  return {
    message: parts.length ? `generation ${round.generation}: ${parts.join("; ")}` : "reading the stored spec",
    generation: round.generation,
    services: round.services,
    directors,
  };
}
