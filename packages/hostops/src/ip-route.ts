import type { HostRoute } from "@lvsfleet/model";
import { z } from "zod";
import { HostRouteInput, validate } from "./names.ts";
import type { CommandRunner } from "./runner.ts";

const IpRouteJson = z.array(
  z.looseObject({
    type: z.string().optional(),
    dst: z.string(),
    gateway: z.string().optional(),
    dev: z.string().optional(),
    table: z.string().optional(),
  }),
);

/** Route types that are not forwarding decisions an operator makes (the kernel's local table). */
const KERNEL_ONLY = new Set(["local", "broadcast", "multicast", "anycast", "nat"]);

/**
 * The unicast routes in `ip -j route show table all` output, without the kernel's local table.
 * The main table is reported without a table name, as HostRoute expects. An IPv6 default route
 * is `::/0`, so that it never passes for the IPv4 `default`.
 */
export function parseIpRoute(text: string, family: "inet" | "inet6" = "inet"): HostRoute[] {
  const parsed = IpRouteJson.parse(JSON.parse(text.trim() === "" ? "[]" : text));
  return parsed
    .filter((r) => !KERNEL_ONLY.has(r.type ?? "unicast") && r.table !== "local")
    .map((r) => ({
      destination: family === "inet6" && r.dst === "default" ? "::/0" : r.dst,
      ...(r.dev !== undefined ? { interface: r.dev } : {}),
      ...(r.gateway !== undefined ? { via: r.gateway } : {}),
      ...(r.table !== undefined && r.table !== "main" ? { table: r.table } : {}),
    }));
}

/** `ip route add|del|replace DEST [via GW] [dev IF] [table T]`; the route is validated first. */
export function routeArgs(verb: "add" | "del" | "replace", route: HostRoute): string[] {
  const r = validate(HostRouteInput, route, ["route"]);
  const v6 = r.destination.includes(":") || (r.via?.includes(":") ?? false);
  return [
    ...(v6 ? ["-6"] : []),
    "route",
    verb,
    r.destination,
    ...(r.via ? ["via", r.via] : []),
    ...(r.interface ? ["dev", r.interface] : []),
    ...(r.table && r.table !== "main" ? ["table", r.table] : []),
  ];
}

export async function listRoutes(runner: CommandRunner): Promise<HostRoute[]> {
  const [v4, v6] = await Promise.all([
    runner.run("ip", ["-j", "-4", "route", "show", "table", "all"]),
    runner.run("ip", ["-j", "-6", "route", "show", "table", "all"]),
  ]);
  return [...parseIpRoute(v4.stdout), ...parseIpRoute(v6.stdout, "inet6")];
}

export async function addRoute(runner: CommandRunner, route: HostRoute): Promise<void> {
  await runner.run("ip", routeArgs("add", route));
}

export async function removeRoute(runner: CommandRunner, route: HostRoute): Promise<void> {
  await runner.run("ip", routeArgs("del", route));
}

/** Sets the route for the destination (and table), whatever route was there before. */
export async function replaceRoute(runner: CommandRunner, route: HostRoute): Promise<void> {
  await runner.run("ip", routeArgs("replace", route));
}
