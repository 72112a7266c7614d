import { describe, expect, it } from "vitest";
import { readDemoSettings } from "../src/demo-settings.ts";

describe("the demo's knobs", () => {
  it("defaults to one server on 8080 over one Redis", () => {
    expect(readDemoSettings({})).toEqual({ LVSFLEET_DEMO_REPLICAS: 1, LVSFLEET_DEMO_SENTINEL: false, PORT: 8080 });
  });

  it("reads replicas, Sentinel, the data directory and the port", () => {
    expect(
      readDemoSettings({
        LVSFLEET_DEMO_REPLICAS: "3",
        LVSFLEET_DEMO_SENTINEL: "1",
        LVSFLEET_DEMO_DATA: "/tmp/x",
        PORT: "9000",
      }),
    ).toEqual({ LVSFLEET_DEMO_REPLICAS: 3, LVSFLEET_DEMO_SENTINEL: true, LVSFLEET_DEMO_DATA: "/tmp/x", PORT: 9000 });
    expect(readDemoSettings({ LVSFLEET_DEMO_SENTINEL: "0", REDIS_URL: "redis://127.0.0.1:1" })).toMatchObject({
      LVSFLEET_DEMO_SENTINEL: false,
      REDIS_URL: "redis://127.0.0.1:1",
    });
  });

  it("refuses a bad knob, naming it and the reason", () => {
    expect(() => readDemoSettings({ LVSFLEET_DEMO_REPLICAS: "0" })).toThrow(
      "LVSFLEET_DEMO_REPLICAS: must be a number of server replicas from 1 to 9",
    );
    expect(() => readDemoSettings({ LVSFLEET_DEMO_REPLICAS: "three" })).toThrow(/^LVSFLEET_DEMO_REPLICAS: /);
    expect(() => readDemoSettings({ LVSFLEET_DEMO_REPLICAS: "1.5" })).toThrow(/whole number/);
    expect(() => readDemoSettings({ LVSFLEET_DEMO_SENTINEL: "maybe" })).toThrow(
      "LVSFLEET_DEMO_SENTINEL: must be 1 or 0 (true or false)",
    );
    expect(() => readDemoSettings({ PORT: "65535", LVSFLEET_DEMO_REPLICAS: "3" })).toThrow(/^PORT: leaves no room/);
    expect(() => readDemoSettings({ LVSFLEET_DEMO_SENTINEL: "1", REDIS_URL: "redis://127.0.0.1:6379" })).toThrow(
      /^REDIS_URL: LVSFLEET_DEMO_SENTINEL=1 starts the demo's own Redis/,
    );
  });
});
