import type { HostAddress } from "@lvsfleet/model";
import { z } from "zod";
import { HostAddressInput, validate } from "./names.ts";
import type { CommandRunner } from "./runner.ts";

/** A network interface as `ip -j link` reports it. */
export interface HostLink {
  name: string;
  /** Administratively up (the UP flag). */
  up: boolean;
  /** The carrier is up (LOWER_UP), or the device has none (loopback, tunnels). */
  lowerUp: boolean;
  /** `ether`, `loopback`, `ipip`, `none`… */
  linkType: string;
  mac?: string | undefined;
}

const IpLinkJson = z.array(
  z.looseObject({
    ifname: z.string(),
    flags: z.array(z.string()).default([]),
    link_type: z.string().default("none"),
    address: z.string().optional(),
  }),
);

const IpAddrJson = z.array(
  z.looseObject({
    ifname: z.string(),
    addr_info: z
      .array(
        z.looseObject({
          family: z.string(),
          local: z.string().optional(),
          prefixlen: z.number(),
          label: z.string().optional(),
        }),
      )
      .default([]),
  }),
);

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.trim() === "" ? "[]" : text);
  } catch (error) {
    throw new Error(`cannot parse ${what} output as JSON: ${(error as Error).message}`);
  }
}

/** The addresses in `ip -j addr` output; a label is kept only when it differs from the interface name. */
export function parseIpAddr(text: string): HostAddress[] {
  const links = IpAddrJson.parse(parseJson(text, "ip -j addr"));
  return links.flatMap((link) =>
    link.addr_info
      .filter((a) => (a.family === "inet" || a.family === "inet6") && a.local !== undefined)
      .map((a) => ({
        address: a.local as string,
        prefixLength: a.prefixlen,
        interface: link.ifname,
        ...(a.label !== undefined && a.label !== link.ifname ? { label: a.label } : {}),
      })),
  );
}

export function parseIpLink(text: string): HostLink[] {
  return IpLinkJson.parse(parseJson(text, "ip -j link")).map((l) => ({
    name: l.ifname,
    up: l.flags.includes("UP"),
    lowerUp: l.flags.includes("LOWER_UP") || l.link_type === "loopback",
    linkType: l.link_type,
    ...(l.address && l.link_type === "ether" ? { mac: l.address } : {}),
  }));
}

/** `ip addr add|del A/P dev IF [label L]` as an argument array; the address is validated first. */
export function addressArgs(verb: "add" | "del", address: HostAddress): string[] {
  const a = validate(HostAddressInput, address, ["address"]);
  return [
    ...(a.address.includes(":") ? ["-6"] : []),
    "addr",
    verb,
    `${a.address}/${a.prefixLength}`,
    "dev",
    a.interface,
    ...(a.label && a.label !== a.interface ? ["label", a.label] : []),
    ...(verb === "add" && a.address.includes(":") ? ["nodad"] : []),
  ];
}

export async function listAddresses(runner: CommandRunner): Promise<HostAddress[]> {
  return parseIpAddr((await runner.run("ip", ["-j", "addr", "show"])).stdout);
}

export async function listLinks(runner: CommandRunner): Promise<HostLink[]> {
  return parseIpLink((await runner.run("ip", ["-j", "link", "show"])).stdout);
}

export async function addAddress(runner: CommandRunner, address: HostAddress): Promise<void> {
  await runner.run("ip", addressArgs("add", address));
}

export async function removeAddress(runner: CommandRunner, address: HostAddress): Promise<void> {
  await runner.run("ip", addressArgs("del", address));
}
