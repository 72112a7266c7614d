import { describe, expect, it } from "vitest";
import { parseChatCommand, USAGE } from "../src/chat/parse.ts";
import { signSlackRequest, verifySlackSignature } from "../src/chat/signature.ts";
import { responseUrlAllowed } from "../src/notify/response-url.ts";

describe("parseChatCommand", () => {
  it("reads every command with its short forms", () => {
    expect(parseChatCommand("")).toEqual({ ok: true, command: { kind: "help" } });
    expect(parseChatCommand("  status  web ")).toEqual({ ok: true, command: { kind: "status", cluster: "web" } });
    expect(parseChatCommand("weight 192.168.1.220 5")).toEqual({
      ok: true,
      command: { kind: "weight", target: "192.168.1.220", weight: 5, cluster: undefined, service: undefined },
    });
    expect(parseChatCommand("weight [2001:db8::1]:80 0 web http")).toMatchObject({
      ok: true,
      command: { target: "[2001:db8::1]:80", weight: 0, cluster: "web", service: "http" },
    });
    expect(parseChatCommand("STOP web lb-backup")).toEqual({
      ok: true,
      command: { kind: "stop", args: ["web", "lb-backup"] },
    });
  });

  it("says what is wrong and shows the right form", () => {
    expect(parseChatCommand("weight 192.168.1.220")).toEqual({
      ok: false,
      error: "weight needs a real server and a weight",
      usage: USAGE.weight,
    });
    expect(parseChatCommand("weight 192.168.1.220 70000")).toMatchObject({
      ok: false,
      error: expect.stringContaining("0 to 65535"),
    });
    expect(parseChatCommand("weight 192.168.1.220 -1")).toMatchObject({ ok: false });
    expect(parseChatCommand("start a b c")).toMatchObject({ ok: false, usage: USAGE.start });
    expect(parseChatCommand("reboot")).toMatchObject({ ok: false, error: 'unknown command "reboot"' });
  });
});

describe("verifySlackSignature", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const body = "token=x&text=status";
  const now = 1_700_000_000;
  const sign = (ts: number, b = body) => ({
    signature: signSlackRequest(secret, String(ts), b),
    timestamp: String(ts),
  });

  it("accepts Slack's v0 signature within five minutes", () => {
    expect(verifySlackSignature(secret, sign(now), body, now)).toEqual({ ok: true });
    expect(verifySlackSignature(secret, sign(now - 299), body, now)).toEqual({ ok: true });
  });

  it("matches Slack's documented example", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const example =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(signSlackRequest(secret, "1531420618", example)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  it("refuses a wrong signature, a changed body, a stale or future timestamp, missing headers", () => {
    expect(verifySlackSignature("other", sign(now), body, now)).toMatchObject({
      ok: false,
      reason: "signature does not match",
    });
    expect(verifySlackSignature(secret, sign(now), `${body}&x=1`, now)).toMatchObject({ ok: false });
    expect(verifySlackSignature(secret, sign(now - 301), body, now)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("5 minutes"),
    });
    expect(verifySlackSignature(secret, sign(now + 301), body, now)).toMatchObject({ ok: false });
    expect(verifySlackSignature(secret, { signature: undefined, timestamp: String(now) }, body, now)).toMatchObject({
      ok: false,
    });
    expect(verifySlackSignature(secret, { signature: "v0=00", timestamp: "abc" }, body, now)).toMatchObject({
      ok: false,
    });
  });
});

describe("responseUrlAllowed", () => {
  it("allows https on allowed hosts and http only on allowed loopback", () => {
    expect(responseUrlAllowed("https://hooks.slack.com/commands/T1/2/3", ["hooks.slack.com"])).toBe(true);
    expect(responseUrlAllowed("http://hooks.slack.com/commands/T1/2/3", ["hooks.slack.com"])).toBe(false);
    expect(responseUrlAllowed("https://evil.example/x", ["hooks.slack.com"])).toBe(false);
    expect(responseUrlAllowed("http://127.0.0.1:9/x", ["127.0.0.1"])).toBe(true);
    expect(responseUrlAllowed("http://127.0.0.1:9/x", ["hooks.slack.com"])).toBe(false);
    expect(responseUrlAllowed("not a url", ["hooks.slack.com"])).toBe(false);
  });
});
