import { formatEndpoint } from "@lvsfleet/model";
import type { Command } from "commander";
import { columns } from "../output.ts";
import type { SpecView } from "./real-servers.ts";
import type { MakeContext } from "./types.ts";

const vip = (s: SpecView["spec"]["services"][number]) =>
  s.protocol === "fwmark"
    ? `FWM ${s.fwmark}`
    : `${s.protocol.toUpperCase()} ${formatEndpoint(s.address ?? "", s.port ?? 0)}`;

/** `lvsctl get [cluster]`: the clusters, or one cluster's spec (-o yaml gives a file apply takes back). */
export function registerGet(program: Command, make: MakeContext): void {
  program
    .command("get [cluster]")
    .description("list the clusters, or show one cluster's desired state (-o yaml|json: the spec, ready for apply -f)")
    .addHelpText(
      "after",
      `
Examples:
  lvsctl get                          clusters and their generation
  lvsctl get web                      services, real servers and weights
  lvsctl get web -o yaml > web.yaml   the spec; edit it, then: lvsctl diff -f web.yaml && lvsctl apply -f web.yaml`,
    )
    .action(async (cluster: string | undefined, _opts, cmd: Command) => {
      const ctx = make(cmd);
      if (!cluster) {
        const list = await ctx.api.get<{ clusters: { name: string; generation: number }[] }>("/v1/clusters");
        ctx.print(list, () =>
          columns(
            ["NAME", "GENERATION"],
            list.clusters.map((c) => [c.name, c.generation]),
          ),
        );
        return;
      }
      const view = await ctx.api.get<SpecView>(`/v1/clusters/${encodeURIComponent(cluster)}`);
      ctx.print(view.spec, () => {
        const rows = view.spec.services.flatMap((s) =>
          s.realServers.length === 0
            ? [[s.name, vip(s), s.scheduler, s.forwarding, "", "", ""]]
            : s.realServers.map((r) => [
                s.name,
                vip(s),
                s.scheduler + (s.persistence ? ` persistent ${s.persistence.timeout}` : ""),
                r.forwarding ?? s.forwarding,
                formatEndpoint(r.address, r.port),
                r.weight,
                r.host,
              ]),
        );
        const directors = view.spec.directors.map((d) => `${d.host} (${d.address}, ${d.role}, priority ${d.priority})`);
        return `cluster ${view.name}, generation ${view.generation}; directors: ${directors.join(", ") || "none"}\n${columns(
          ["SERVICE", "VIRTUAL SERVICE", "SCHEDULER", "FORWARD", "REAL SERVER", "WEIGHT", "HOST"],
          rows,
        )}`;
      });
    });
}
