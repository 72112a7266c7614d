import { writeFileSync } from "node:fs";
import { parseConnections, parseSave, renderConnections, renderList, renderRestore, renderSave } from "@lvsfleet/ipvs";
import { beforeAll, describe, expect, it } from "vitest";
import { golden, setupCommands } from "../../packages/ipvs/test/golden.ts";
import { RESTORE_OPERATIONS } from "../../packages/ipvs/test/restore-operations.ts";
import { clientPorts, parseVectors, replay } from "../../packages/ipvs/test/vectors/replay.ts";
import { SCENARIOS } from "../../packages/ipvs/test/vectors/scenarios.ts";
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
    out = await runJobs([
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
    ]);
    if (!record) return;
    for (const [name, text] of out) {
      if (name === "end") continue;
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
