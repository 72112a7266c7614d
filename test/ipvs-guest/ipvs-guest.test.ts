import { writeFileSync } from "node:fs";
import { parseSave, renderList, renderRestore, renderSave } from "@lvsfleet/ipvs";
import { beforeAll, describe, expect, it } from "vitest";
import { golden, setupCommands } from "../../packages/ipvs/test/golden.ts";
import { RESTORE_OPERATIONS } from "../../packages/ipvs/test/restore-operations.ts";
import { buildGuest, ensureQemu, runJobs } from "./guest.ts";

/**
 * The ipvsadm formats against the real kernel IPVS (Debian's kernel in a qemu guest): what the
 * kernel prints must equal the recorded golden files and what our renderers print.
 * RECORD_GOLDEN=1 rewrites the golden files from the kernel instead of comparing.
 */
const qemu = await ensureQemu();
const record = process.env.RECORD_GOLDEN === "1";
const goldenUrl = (name: string) => new URL(`../../packages/ipvs/test/golden/${name}`, import.meta.url);

describe.skipIf(!qemu.ok)(`ipvsadm formats in the real kernel${qemu.ok ? "" : ` (skipped: ${qemu.reason})`}`, () => {
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
    ]);
    if (record)
      for (const [name, text] of out)
        if (name !== "end") writeFileSync(goldenUrl(name.includes(".") ? `${name}.txt` : `formats.${name}.txt`), text);
  });

  const sections = [
    ["Sn", (t: ReturnType<typeof parseSave>) => renderSave(t)],
    ["Ln", (t: ReturnType<typeof parseSave>) => renderList(t)],
    ["stats", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "stats" })],
    ["rate", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "rate" })],
    ["exact", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "stats", exact: true })],
    ["thresholds", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "thresholds" })],
    ["persistent-conn", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "persistent-conn" })],
    ["tun-info", (t: ReturnType<typeof parseSave>) => renderList(t, { format: "tun-info" })],
  ] as const;
  for (const [name, render] of sections)
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
});
