import { describe, expect, it } from "vitest";
import { KeyedSerial } from "../src/commands/keyed-serial.ts";

describe("KeyedSerial", () => {
  it("runs tasks of one key one at a time, in order, and keys independently", async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    const task = (name: string, ms: number) => () =>
      new Promise<string>((resolve) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          resolve(name);
        }, ms);
      });
    const results = await Promise.all([
      serial.run("a", task("a1", 30)),
      serial.run("a", task("a2", 1)),
      serial.run("b", task("b1", 5)),
    ]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
  });

  it("keeps going after a failure", async () => {
    const serial = new KeyedSerial();
    await expect(serial.run("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await serial.run("a", async () => 1)).toBe(1);
  });
});
