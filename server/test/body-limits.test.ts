import { describe, expect, it } from "vitest";
import { describeBytes, takesSpec } from "../src/http/body-limits.ts";

describe("which routes take a whole spec (their own body limit)", () => {
  it("PUT a cluster and POST its plan; nothing else", () => {
    expect(takesSpec("PUT", "/v1/clusters/web")).toBe(true);
    expect(takesSpec("POST", "/v1/clusters/web/plan")).toBe(true);
    expect(takesSpec("POST", "/v1/clusters/web")).toBe(false);
    expect(takesSpec("PUT", "/v1/clusters/web/plan")).toBe(false);
    expect(takesSpec("POST", "/v1/clusters/web/jobs")).toBe(false);
    expect(takesSpec("POST", "/v1/clusters/web/simulate")).toBe(false);
    expect(takesSpec("PATCH", "/v1/clusters/web/services/http/real-servers/10.0.0.1:80")).toBe(false);
    expect(takesSpec("PUT", "/v1/clusters/web/services/http")).toBe(false);
    expect(takesSpec("PUT", "/v1/clusters")).toBe(false);
    expect(takesSpec("POST", "/v1/chat/slack/commands")).toBe(false);
  });

  it("limits are named as an operator sets them", () => {
    expect(describeBytes(32 * 1024 * 1024)).toBe("32 MiB");
    expect(describeBytes(1536 * 1024)).toBe("1536 KiB");
    expect(describeBytes(1000)).toBe("1000 bytes");
  });
});
