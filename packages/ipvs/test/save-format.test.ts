import type { IpvsTable } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { parseList, parseSave, renderList, renderRestore, renderSave, SaveFormatError } from "../src/index.ts";
import { golden, setupCommands } from "./golden.ts";
import { RESTORE_OPERATIONS } from "./restore-operations.ts";

/** The table the real kernel held: the very commands formats.sh gave it, applied by our parser. */
const formats = (): IpvsTable => parseSave(setupCommands("formats.sh"));

describe("renderSave (ipvsadm -Sn)", () => {
  it("matches the real ipvsadm -Sn byte for byte for the commands the kernel was given", () => {
    expect(renderSave(formats())).toBe(golden("formats.Sn.txt"));
  });

  it("does not write thresholds, as the real ipvsadm -Sn does not", () => {
    const table = formats();
    const udp = table.services.find((s) => s.port === 53 && s.address === "192.168.1.229");
    expect(udp?.destinations.find((d) => d.address === "10.0.0.1")).toMatchObject({
      upperThreshold: 1000,
      lowerThreshold: 200,
    });
    expect(renderSave(table)).toContain("-a -u 192.168.1.229:53 -r 10.0.0.1:53 -m -w 2\n");
  });

  it("round-trips every recorded save file", () => {
    for (const name of ["formats.Sn.txt", "list-mixed.Sn.txt"])
      expect(renderSave(parseSave(golden(name)))).toBe(golden(name));
  });

  it("renders an empty table as empty text", () => {
    expect(renderSave({ services: [] })).toBe("");
    expect(parseSave("")).toEqual({ services: [] });
  });
});

describe("renderList (ipvsadm -Ln and its variants)", () => {
  const cases = [
    ["formats.Ln.txt", {}],
    ["formats.stats.txt", { format: "stats" }],
    ["formats.rate.txt", { format: "rate" }],
    ["formats.exact.txt", { format: "stats", exact: true }],
    ["formats.thresholds.txt", { format: "thresholds" }],
    ["formats.persistent-conn.txt", { format: "persistent-conn" }],
    ["formats.tun-info.txt", { format: "tun-info" }],
  ] as const;
  for (const [file, options] of cases)
    it(`matches ${file} byte for byte`, () => {
      expect(renderList(formats(), options)).toBe(golden(file));
    });
});

describe("parseList (ipvsadm -Ln)", () => {
  it("reads back everything -Ln shows: the table less thresholds", () => {
    const withoutThresholds = (t: IpvsTable) =>
      renderList({
        services: t.services.map((s) => ({
          ...s,
          destinations: s.destinations.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 })),
        })),
      });
    const parsed = parseList(golden("formats.Ln.txt"));
    expect(renderList(parsed)).toBe(golden("formats.Ln.txt"));
    // plain -Ln does not show the encapsulation: every tunnel reads back as the default, ipip
    expect(renderSave(parsed)).toBe(
      golden("formats.Sn.txt").replace(/ --tun-type (gue|gre) .*$/gm, " --tun-type ipip"),
    );
    expect(withoutThresholds(parsed)).toBe(withoutThresholds(formats()));
  });

  it("reads tunnel details from --tun-info", () => {
    const parsed = parseList(golden("formats.tun-info.txt"));
    expect(renderSave(parsed)).toBe(golden("formats.Sn.txt"));
  });

  it("reads connection counts", () => {
    const text = `${golden("list-mixed.Ln.txt").replace("Route   3      0          0", "Route   3      12         7  ")}`;
    const d = parseList(text).services[0]?.destinations[0];
    expect(d).toMatchObject({ address: "192.168.1.220", weight: 3, activeConns: 12, inactConns: 7 });
  });

  it("names line and column of a line it does not understand", () => {
    const text =
      "IP Virtual Server version 1.2.1 (size=4096)\nTCP  192.168.1.229:80 wrr\n  -> 192.168.1.220:80 Bogus 3 0 0\n";
    expect(() => parseList(text)).toThrow(SaveFormatError);
    expect(() => parseList(text)).toThrow(/^line 3, column 1: expected a real server line/);
    expect(() => parseList("TCP  192.168.1.229:80 nosuch\n")).toThrow(
      /^line 1, column 23: expected a scheduler \(rr, wrr/,
    );
  });
});

describe("parseSave errors name the line, the column and what was expected", () => {
  const error = (text: string) => {
    try {
      parseSave(text);
    } catch (e) {
      if (e instanceof SaveFormatError) return { line: e.line, column: e.column, reason: e.reason, message: e.message };
      throw e;
    }
    throw new Error("parsed without error");
  };

  it("an unknown scheduler", () => {
    expect(error("-A -t 10.0.0.1:80 -s wrr\n-A -t 10.0.0.1:81 -s fastest\n")).toEqual({
      line: 2,
      column: 22,
      reason: expect.stringMatching(/^expected a scheduler \(rr, wrr, .*\), found "fastest"$/),
      message: expect.stringMatching(/^line 2, column 22: expected a scheduler/),
    });
  });

  it("a bad address", () => {
    expect(error("-A -t 10.0.0.300:80 -s rr\n")).toMatchObject({
      line: 1,
      column: 7,
      reason: 'expected a numeric address and port (192.0.2.1:80 or [2001:db8::1]:80), found "10.0.0.300:80"',
    });
  });

  it("a missing value, an unknown option, a missing command", () => {
    expect(error("-A -t 10.0.0.1:80 -s")).toMatchObject({ line: 1, column: 21, reason: "expected a value after -s" });
    expect(error("-A -t 10.0.0.1:80 --frobnicate")).toMatchObject({
      column: 19,
      reason: 'expected an ipvsadm option, found "--frobnicate"',
    });
    expect(error("\n\n  -t 10.0.0.1:80 -s rr")).toMatchObject({
      line: 3,
      column: 3,
      reason: expect.stringMatching(/^expected a command/),
    });
  });

  it("what the kernel refuses: a duplicate service, a real server of a missing service", () => {
    expect(error("-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n")).toMatchObject({
      line: 2,
      column: 1,
      reason: "service -t 10.0.0.1:80 already exists",
    });
    expect(error("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n")).toMatchObject({
      reason: "no such service -t 10.0.0.1:80",
    });
  });

  it("what ipvsadm refuses: flags of another scheduler, -o on TCP, port 0 without -p, tunnel options without -i", () => {
    expect(error("-A -t 10.0.0.1:80 -s rr -b sh-port")).toMatchObject({
      column: 28,
      reason: "scheduler flag sh-port does not apply to the rr scheduler",
    });
    expect(error("-A -t 10.0.0.1:80 -s rr -o")).toMatchObject({
      column: 25,
      reason: "one-packet scheduling (-o) is only for UDP services",
    });
    expect(error("-A -t 10.0.0.1:0 -s rr")).toMatchObject({ column: 7, reason: expect.stringMatching(/port 0/) });
    expect(error("-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2 -g --tun-type gue")).toMatchObject({
      line: 2,
      column: 34,
      reason: "option --tun-type is only for tunnelling (-i)",
    });
    expect(error("-A -t 10.0.0.1:80 -p 60 -M 255.0.255.0")).toMatchObject({
      column: 28,
      reason: 'expected a contiguous IPv4 netmask such as 255.255.255.0, found "255.0.255.0"',
    });
  });
});

describe("parseSave applies batches as ipvsadm -R does", () => {
  it("uses ipvsadm's defaults: wlc, weight 1, direct routing, the service's port, -p = 360 s", () => {
    const table = parseSave("-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2\n-A -t 10.0.0.1:0 -p\n");
    expect(table.services[0]).toMatchObject({ scheduler: "wlc", family: "inet" });
    expect(table.services[0]?.destinations[0]).toMatchObject({ port: 80, weight: 1, forwarding: "dr" });
    expect(table.services[1]?.persistence).toEqual({ timeout: 360, netmask: 32 });
  });

  it("keeps the port a DR or TUN real server cannot change, and the NAT port it can", () => {
    const table = parseSave(
      "-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g\n-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m\n",
    );
    expect(table.services[0]?.destinations.map((d) => d.port)).toEqual([80, 8080]);
  });

  it("accepts long options, --opt=value, comments and blank lines", () => {
    const table = parseSave(
      "# saved by hand\n\n--add-service --tcp-service=10.0.0.1:80 --scheduler wrr --persistent 60\n--add-server -t 10.0.0.1:80 --real-server 10.0.0.2 --masquerading --weight=4\n",
    );
    expect(renderSave(table)).toBe("-A -t 10.0.0.1:80 -s wrr -p 60\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 4\n");
  });
});

describe("renderRestore (one ipvsadm -R batch)", () => {
  it("writes every operation as the line ipvsadm -R takes", () => {
    expect(renderRestore(RESTORE_OPERATIONS)).toBe(golden("restore.batch.txt"));
  });

  it("builds, applied as ipvsadm -R applies it, the table the real kernel read back with -Sn", () => {
    const table = parseSave(renderRestore(RESTORE_OPERATIONS));
    expect(renderSave(table)).toBe(golden("restore.Sn.txt"));
    expect(renderList(table, { format: "thresholds" })).toBe(golden("restore.thresholds.txt"));
  });
});
