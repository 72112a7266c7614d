import { describe, expect, it } from "vitest";
import { ApplyRound, describeApplyProgress } from "../src/queue/apply-progress.ts";

describe("an apply round's progress, as GET /v1/jobs/{id} shows it", () => {
  it("says who is applying how many services for how long, who is done, who waits", () => {
    const round = new ApplyRound();
    expect(describeApplyProgress(round, 0).message).toBe("reading the stored spec");
    round.begin(7, 10_000, ["lb-master", "lb-backup", "lb-3"]);
    round.applying("lb-master", 1_000);
    round.applying("lb-backup", 1_000);
    round.finished("lb-backup", true, 10_400);
    const progress = describeApplyProgress(round, 13_200);
    expect(progress.message).toBe(
      "generation 7: lb-master: applying 10,000 services, 12 s so far; lb-backup: applied in 9 s; lb-3: waiting for a slot",
    );
    expect(progress.directors).toEqual([
      { host: "lb-master", state: "applying", seconds: 12 },
      { host: "lb-backup", state: "applied", seconds: 9 },
      { host: "lb-3", state: "waiting" },
    ]);
    round.finished("lb-master", false, 20_000);
    expect(describeApplyProgress(round, 30_000).message).toContain("lb-master: failed after 19 s");
  });

  it("one service is one service", () => {
    const round = new ApplyRound();
    round.begin(2, 1, ["lb1"]);
    round.applying("lb1", 0);
    expect(describeApplyProgress(round, 0).message).toBe("generation 2: lb1: applying 1 service, 0 s so far");
  });
});
