import { formatEndpoint, parseEndpoint } from "@lvsfleet/model";
import { SaveFormatError } from "./format-error.ts";
import type { ConnectionEntry } from "./sim/simulator.ts";

const pad = (value: string, width: number) => value.padEnd(width);

/** `mm:ss` as ipvsadm prints a connection's remaining time (minutes are not capped at 59). */
function formatExpire(seconds: number): string {
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** One line of `ipvsadm -Lnc` (ipvsadm 1.31 print_conn: "%-3s %-6s %-11s %-18s %-18s %s"). */
export function formatConnectionLine(c: Omit<ConnectionEntry, "id" | "template">): string {
  return [
    pad(c.protocol, 3),
    pad(formatExpire(c.expiresIn), 6),
    pad(c.state, 11),
    pad(formatEndpoint(c.client, c.clientPort), 18),
    pad(formatEndpoint(c.virtualAddress, c.virtualPort), 18),
    formatEndpoint(c.destinationAddress, c.destinationPort),
  ].join(" ");
}

/**
 * The connection table as `ipvsadm -Lnc` prints it. The kernel lists entries in its hash
 * table's order, which depends on a random boot-time seed; these come in the order given.
 */
export function renderConnections(connections: readonly Omit<ConnectionEntry, "id" | "template">[]): string {
  const lines = [
    "IPVS connection entries",
    "pro expire state       source             virtual            destination",
    ...connections.map(formatConnectionLine),
  ];
  return `${lines.join("\n")}\n`;
}

const LINE = /^(\S+) +(\d+):(\d\d) +(\S+) +(\S+) +(\S+) +(\S+)$/;

/** Parses `ipvsadm -Lnc` output back into entries (templates are the ones with client port 0). */
export function parseConnections(text: string): Omit<ConnectionEntry, "id">[] {
  const entries: Omit<ConnectionEntry, "id">[] = [];
  text.split("\n").forEach((line, index) => {
    if (line === "" || line === "IPVS connection entries" || line.startsWith("pro expire ")) return;
    const m = LINE.exec(line);
    const endpoint = (text: string | undefined, what: string) => {
      const e = parseEndpoint(text ?? "");
      if (!e || e.port === undefined)
        throw new SaveFormatError(
          index + 1,
          line.indexOf(text ?? "") + 1,
          `expected the ${what} address:port, found ${JSON.stringify(text)}`,
        );
      return e as { address: string; port: number };
    };
    if (!m)
      throw new SaveFormatError(
        index + 1,
        1,
        `expected a connection line "pro expire state source virtual destination", found ${JSON.stringify(line)}`,
      );
    const [, protocol, minutes, seconds, state, source, virtual, destination] = m;
    const client = endpoint(source, "source");
    const vip = endpoint(virtual, "virtual");
    const dest = endpoint(destination, "destination");
    entries.push({
      protocol: protocol as ConnectionEntry["protocol"],
      template: client.port === 0 && (state === "NONE" || state === "ASSURED") && protocol !== "UDP",
      state: state ?? "",
      expiresIn: Number(minutes) * 60 + Number(seconds),
      client: client.address,
      clientPort: client.port,
      virtualAddress: vip.address,
      virtualPort: vip.port,
      destinationAddress: dest.address,
      destinationPort: dest.port,
    });
  });
  return entries;
}
