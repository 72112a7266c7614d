import { ValidationError } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { parseAgentOptions } from "../src/options.ts";

function refusal(argv: string[]): ValidationError | undefined {
  try {
    parseAgentOptions(argv);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
}

describe("--readback-interval: seconds between the director's whole read-backs (drift)", () => {
  it("is 30 s unless given, 0 turns it off, fractions are taken", () => {
    expect(parseAgentOptions(["--host", "lb1"]).readbackInterval).toBe(30);
    expect(parseAgentOptions(["--host", "lb1", "--readback-interval", "0"]).readbackInterval).toBe(0);
    expect(parseAgentOptions(["--host", "lb1", "--readback-interval", "0.5"]).readbackInterval).toBe(0.5);
  });

  it("refuses what is not a number of seconds from 0 to a day, naming the option", () => {
    for (const [value, message] of [
      ["soon", /must be a number of seconds/],
      ["-1", /must not be negative/],
      ["86401", /at most 86400 seconds/],
    ] as const) {
      const error = refusal(["--host", "lb1", `--readback-interval=${value}`]);
      expect(error?.errors[0], value).toMatchObject({
        field: "readbackInterval",
        message: expect.stringMatching(message),
      });
    }
  });
});
