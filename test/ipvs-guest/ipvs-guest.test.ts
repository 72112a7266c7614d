import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConnections, parseSave, renderConnections, renderList, renderRestore, renderSave } from "@lvsfleet/ipvs";
import { beforeAll, describe, expect, it } from "vitest";
import { golden, setupCommands } from "../../packages/ipvs/test/golden.ts";
import { RESTORE_OPERATIONS } from "../../packages/ipvs/test/restore-operations.ts";
import { clientPorts, parseVectors, replay } from "../../packages/ipvs/test/vectors/replay.ts";
import { SCENARIOS } from "../../packages/ipvs/test/vectors/scenarios.ts";
import { ipvsDriverJob, parseIpvsDriverOutput } from "../lab/guest-jobs/guest-tier.ts";
import { STEPS } from "../lab/guest-jobs/ipvs-driver-plan.ts";
import { buildGuest, ensureQemu, runJobs } from "./guest.ts";
import { vectorsJob } from "./vectors-job.ts";

/**
 * The real kernel IPVS (Debian's kernel in a qemu guest), one boot for the whole tier:
 * - the ipvsadm formats: what the kernel prints equals the golden files and our renderers;
 * - an `ipvsadm -R` batch from renderRestore reads back with -Sn as we predict;
 * - the scheduler vectors: real TCP connections through LVS-NAT get the real servers the
 *   simulator picks, connection by connection.
 * RECORD_GOLDEN=1 rewrites the golden files from the kernel instead of comparing.
 */
const qemu = await ensureQemu();
const record = process.env.RECORD_GOLDEN === "1";
const goldenFile = (name: string) => new URL(`../../packages/ipvs/test/golden/${name}`, import.meta.url);

type Table = ReturnType<typeof parseSave>;

describe.skipIf(!qemu.ok)(`the real kernel IPVS${qemu.ok ? "" : ` (skipped: ${qemu.reason})`}`, () => {
  let out: Map<string, string>;
  beforeAll(async () => {
    await buildGuest();
    const dir = mkdtempSync(join(tmpdir(), "lvsfleet-guest-ipvs-driver-"));
    const driver = await ipvsDriverJob(dir);
    out = await runJobs(
      [
        { name: "formats", script: golden("formats.sh") },
        {
          name: "restore",
          script: [
            "#!/bin/sh",
            "set -e",
            "ipvsadm -C",
            "ipvsadm -R <<'BATCH'",
            renderRestore(RESTORE_OPERATIONS).trimEnd(),
            "BATCH",
            'echo "=== restore.Sn"; ipvsadm -Sn',
            'echo "=== restore.thresholds"; ipvsadm -Ln --thresholds',
            'echo "=== end"',
            "",
          ].join("\n"),
        },
        { name: "vectors", script: vectorsJob() },
        // Last: the director's ipvs data plane with real traffic (its own namespaces and addresses).
        driver.job,
      ],
      { hostUsr: true, files: driver.files },
    ).finally(() => rmSync(dir, { recursive: true, force: true }));
    if (!record) return;
    for (const [name, text] of out) {
      if (name === "end" || name === "ipvs-driver") continue;
      const file =
        name === "vectors"
          ? "vectors.txt"
          : name === "vectors-lnc"
            ? "vectors.Lnc.txt"
            : name.includes(".")
              ? `${name}.txt`
              : `formats.${name}.txt`;
      writeFileSync(goldenFile(file), text);
    }
  });

  const listings: [string, (t: Table) => string][] = [
    ["Sn", (t) => renderSave(t)],
    ["Ln", (t) => renderList(t)],
    ["stats", (t) => renderList(t, { format: "stats" })],
    ["rate", (t) => renderList(t, { format: "rate" })],
    ["exact", (t) => renderList(t, { format: "stats", exact: true })],
    ["thresholds", (t) => renderList(t, { format: "thresholds" })],
    ["persistent-conn", (t) => renderList(t, { format: "persistent-conn" })],
    ["tun-info", (t) => renderList(t, { format: "tun-info" })],
  ];
  for (const [name, render] of listings)
    it(`ipvsadm ${name}: the kernel's output is the golden file and our rendering`, () => {
      const real = out.get(name);
      expect(real).toBe(golden(`formats.${name}.txt`));
      expect(render(parseSave(setupCommands("formats.sh")))).toBe(real);
    });

  it("a renderRestore batch restored with ipvsadm -R reads back with -Sn as we predict", () => {
    const predicted = parseSave(renderRestore(RESTORE_OPERATIONS));
    expect(out.get("restore.Sn")).toBe(renderSave(predicted));
    expect(out.get("restore.Sn")).toBe(golden("restore.Sn.txt"));
    expect(out.get("restore.thresholds")).toBe(renderList(predicted, { format: "thresholds" }));
  });

  it("every scheduler scenario: the kernel gives each connection the real server the simulator picks", () => {
    const kernel = parseVectors(out.get("vectors") ?? "");
    const ports = clientPorts();
    for (const scenario of SCENARIOS) {
      expect.soft(kernel.get(scenario.name), scenario.name).toEqual(replay(scenario, ports.get(scenario.name) ?? []));
    }
    expect(out.get("vectors")).toBe(golden("vectors.txt"));
  });

  it("the ipvs data plane: one ipvsadm -R per plan, -Sn reads back as planned, re-applying changes nothing, real HTTP through NAT and DR splits 3:1", () => {
    const steps = parseIpvsDriverOutput(out.get("ipvs-driver") ?? "");
    expect(steps.filter((s) => s.failed !== undefined)).toEqual([]);
    expect(steps.at(-1)).toEqual({ result: "ok" });
    const byName = new Map(steps.map((s) => [s.step, s]));
    // The real servers answer directly before any service exists.
    expect(byName.get("sysctls")?.direct).toEqual([{ rs1: 1 }, { rs2: 1 }]);
    for (const { name, desired, requests } of STEPS) {
      const step = byName.get(name);
      expect(step?.sn, name).toBe(renderSave(desired));
      expect(step?.replan, name).toBe(0);
      // observeServices (the read-back of the services a change touched) read what observe read
      expect(step?.targeted, name).toEqual({
        keys: expect.any(Number),
        services: desired.services.length,
      });
      if (requests === 0) continue;
      const split = step?.split ?? {};
      const weights = desired.services[0]?.destinations.map((d) => d.weight) ?? [];
      const total = weights.reduce((a, b) => a + b, 0);
      expect(split.fail, name).toBeUndefined();
      weights.forEach((w, i) => {
        const share = (100 * (split[`rs${i + 1}`] ?? 0)) / requests;
        expect(Math.abs(share - (100 * w) / total), `${name} rs${i + 1}`).toBeLessThanOrEqual(5);
      });
    }
    expect(byName.get("nat-wrr-3:1")?.operations).toBe(3);
    expect(byName.get("nat-wrr-3:1-again")?.operations).toBe(0);
    expect(byName.get("dr-wrr-1:1")?.operations).toBe(1);
    // Weight 0: every new connection goes to rs1.
    const drained = STEPS.find((s) => s.name === "dr-weight-0");
    expect(byName.get("dr-weight-0")?.split).toEqual({ rs1: drained?.requests });
  });

  it("ipvsadm -Lnc: every line re-renders byte for byte, and the persistence templates are the simulator's", () => {
    const text = out.get("vectors-lnc") ?? "";
    expect(renderConnections(parseConnections(text))).toBe(text);
    const strip = (entries: ReturnType<typeof parseConnections>) =>
      entries.map(({ expiresIn: _, ...rest }) => JSON.stringify(rest)).sort();
    const kernel = parseConnections(text).filter((e) => e.virtualPort === 8018 || e.virtualPort === 65535);
    const persistence = SCENARIOS.find((s) => s.name === "persistence")!;
    const { sim } = replay(persistence, clientPorts().get("persistence") ?? [], { keep: true });
    expect(strip(parseConnections(renderConnections(sim.connections())))).toEqual(strip(kernel));
  });
});
