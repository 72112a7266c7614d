import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError, EXIT, resolveSettings } from "../src/index.ts";
import { columns } from "../src/output.ts";

const dir = mkdtempSync(join(tmpdir(), "lvsctl-settings-"));
const write = (name: string, text: string, mode = 0o600) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};

describe("resolveSettings: flags, then environment, then the config file, then defaults", () => {
  const config = write("config.yaml", "url: http://file:8080\ntoken: from-file\ncluster: web\n");

  it("takes the flag over the environment over the file", () => {
    const env = { LVSFLEET_CONFIG: config, LVSFLEET_URL: "http://env:8080", LVSFLEET_TOKEN: "from-env" };
    expect(resolveSettings({ server: "http://flag:8080" }, env)).toMatchObject({
      url: "http://flag:8080",
      token: "from-env",
      cluster: "web",
      sources: { url: "--server", token: "LVSFLEET_TOKEN", configFile: config },
    });
    expect(resolveSettings({}, { LVSFLEET_CONFIG: config })).toMatchObject({
      url: "http://file:8080",
      token: "from-file",
    });
  });

  it("falls back to http://127.0.0.1:8080 and no token when nothing is set", () => {
    expect(resolveSettings({}, { HOME: dir })).toMatchObject({ url: "http://127.0.0.1:8080", token: undefined });
  });

  it("reads tokenFile, and warns about a token in a file others can read", () => {
    const tokenFile = write("token", "secret-token\nignored\n");
    const withFile = write("c2.yaml", `tokenFile: ${tokenFile}\n`);
    expect(resolveSettings({}, { LVSFLEET_CONFIG: withFile }).token).toBe("secret-token");
    const loose = write("c3.yaml", "token: t\n", 0o644);
    expect(resolveSettings({}, { LVSFLEET_CONFIG: loose }).warning).toMatch(/chmod 600/);
    expect(resolveSettings({}, { LVSFLEET_CONFIG: config }).warning).toBeUndefined();
  });

  it("names the bad key of a config file, and refuses a missing file that was asked for (exit 2)", () => {
    const bad = write("bad.yaml", "url: nope\ncolour: blue\n");
    const error = (() => {
      try {
        resolveSettings({}, { LVSFLEET_CONFIG: bad });
      } catch (e) {
        return e as CliError;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect(error?.exitCode).toBe(EXIT.usage);
    expect(error?.details.join("\n")).toMatch(/url: must be the server's URL/);
    expect(() => resolveSettings({ config: join(dir, "missing.yaml") }, {})).toThrow(/does not exist/);
  });

  it("takes a list of servers in the config file, and names the bad entry of a list", () => {
    const list = write("list.yaml", "url:\n  - https://lvs1:8080\n  - https://lvs2:8080\n");
    expect(resolveSettings({}, { LVSFLEET_CONFIG: list })).toMatchObject({
      urls: ["https://lvs1:8080", "https://lvs2:8080"],
      sources: { url: list },
    });
    const bad = write("bad-list.yaml", "url:\n  - https://lvs1:8080\n  - lvs2:8080\n");
    const error = (() => {
      try {
        resolveSettings({}, { LVSFLEET_CONFIG: bad });
      } catch (e) {
        return e as CliError;
      }
    })();
    expect(error?.exitCode).toBe(EXIT.usage);
    expect(error?.details).toEqual([
      "url.1: must be the server's URL, http:// or https://, e.g. http://127.0.0.1:8080",
    ]);
  });
});

describe("columns", () => {
  it("aligns columns, writes - for empty cells and does not pad the last column", () => {
    expect(
      columns(
        ["NAME", "WEIGHT", "HOST"],
        [
          ["a", 3, undefined],
          ["longer", 10, "web1"],
        ],
      ),
    ).toBe("NAME     WEIGHT   HOST\na        3        -\nlonger   10       web1\n");
  });
});
