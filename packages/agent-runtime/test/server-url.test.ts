import { isLoopbackHost, ValidationError } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { parseAgentOptions } from "../src/options.ts";
import { serverUrlRefusal } from "../src/server-url.ts";

/** The ValidationError parseAgentOptions throws for argv, or undefined when it accepts it. */
function refusal(argv: string[]): ValidationError | undefined {
  try {
    parseAgentOptions(argv);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
}

describe("the agent's rule for --server: https, or plain http only to this host (or --insecure)", () => {
  it("knows loopback: 127.0.0.0/8, ::1 and localhost, and nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "localhost.", "[::1]"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      "198.18.0.1",
      "10.0.0.1",
      "128.0.0.1",
      "127.0.0.1.nip.io",
      "localhost.example",
      "[::2]",
      "example.com",
    ])
      expect(isLoopbackHost(host), host).toBe(false);
    // The URL parser normalizes other spellings of loopback before the check sees them.
    expect(isLoopbackHost(new URL("http://0x7f000001:80").hostname)).toBe(true);
    expect(isLoopbackHost(new URL("http://[0:0:0:0:0:0:0:1]:80").hostname)).toBe(true);
  });

  it("refuses http:// to a host that is not loopback, saying why and what to do", () => {
    const error = refusal(["--host", "web1", "--server", "http://198.18.0.1:8080"]);
    expect(error?.errors).toEqual([
      {
        field: "server",
        message: expect.stringMatching(/http:\/\/198\.18\.0\.1:8080 is plain HTTP to a host that is not this one/),
      },
    ]);
    expect(error?.errors[0]?.message).toMatch(/join token .* unencrypted/);
    expect(error?.errors[0]?.message).toMatch(/Use https:\/\/ .*LVSFLEET_TLS.*or start the agent with --insecure/);
    expect(refusal(["--host", "web1", "--server", "http://lvsfleet.example.com"])?.errors[0]?.field).toBe("server");
    expect(refusal(["--host", "web1", "--server", "ftp://127.0.0.1/"])?.errors[0]?.message).toMatch(/https:\/\//);
  });

  it("accepts https:// anywhere, http:// on loopback, and http:// anywhere with --insecure", () => {
    const server = (argv: string[]) => parseAgentOptions(["--host", "web1", ...argv]);
    expect(server(["--server", "https://198.18.0.1:8443"]).server).toBe("https://198.18.0.1:8443");
    expect(server(["--server", "https://lvsfleet.example.com"]).server).toBe("https://lvsfleet.example.com");
    for (const url of ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.9.9.9"])
      expect(server(["--server", url]).server, url).toBe(url);
    const lab = server(["--server", "http://198.18.0.1:8080", "--insecure"]);
    expect(lab).toMatchObject({ server: "http://198.18.0.1:8080", insecure: true });
    expect(serverUrlRefusal("http://198.18.0.1:8080", true)).toBeUndefined();
    expect(serverUrlRefusal("http://198.18.0.1:8080", false)).toBeDefined();
  });
});

describe("--server-ca-roots: whom the agent trusts for the server's certificate besides its pinned CA", () => {
  it("is pinned unless the operator says public; anything else is refused, naming both", () => {
    expect(parseAgentOptions(["--host", "web1"]).serverCaRoots).toBe("pinned");
    expect(parseAgentOptions(["--host", "web1", "--server-ca-roots", "public"]).serverCaRoots).toBe("public");
    expect(refusal(["--host", "web1", "--server-ca-roots", "system"])?.errors).toEqual([
      {
        field: "serverCaRoots",
        message:
          "must be pinned (only the lvsfleet CA the agent pinned, and the CAs in NODE_EXTRA_CA_CERTS) or public (also Node's public roots)",
      },
    ]);
  });
});
