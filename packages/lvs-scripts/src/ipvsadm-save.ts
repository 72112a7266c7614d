import { parseSave, renderRestore, renderSave, SaveFormatError, sortedLikeIpvsadm } from "@lvsfleet/ipvs";
import { type Diagnostic, Diagnostics, type SourceLocation, sortByPosition } from "@lvsfleet/keepalived";
import {
  type ClusterSpec,
  type ClusterSpecInput,
  ClusterSpec as ClusterSpecSchema,
  desiredTable,
  destinationKey,
  type FieldError,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type Operation,
  serviceKey,
  validate,
} from "@lvsfleet/model";
import { assembleSpec, type DirectorInput } from "./assemble.ts";
import { servicesFromTable } from "./table-to-spec.ts";

export type LegacyImportResult =
  | { ok: true; spec: ClusterSpec; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export interface IpvsadmImportOptions {
  /** The cluster's name (the dump has none). */
  name: string;
  /** For messages (default "ipvsadm.rules"). */
  file?: string | undefined;
  /** VIPs besides the services' addresses, e.g. the ones firewall marks select. */
  vips?: string[] | undefined;
  directors?: DirectorInput[] | undefined;
}

/**
 * Imports an `ipvsadm -Sn` dump (or any `ipvsadm -R` batch) into a ClusterSpec: the services as
 * the batch leaves the table, named by port (80 → http), the VIPs from their addresses. The dump says
 * nothing of directors, health checks or VRRP; errors name line and column.
 */
export function importIpvsadmSave(text: string, options: IpvsadmImportOptions): LegacyImportResult {
  const file = options.file ?? "ipvsadm.rules";
  const diagnostics = new Diagnostics();
  const top = { file, line: 1, column: 1 };
  let table: IpvsTable;
  try {
    table = parseSave(text);
  } catch (e) {
    if (!(e instanceof SaveFormatError)) throw e;
    diagnostics.error("syntax", { file, line: e.line, column: e.column }, e.reason);
    return { ok: false, diagnostics: sortByPosition(diagnostics.list) };
  }
  const lines = serviceLines(text, file);
  const at = (service: IpvsService, destination?: IpvsDestination) =>
    (destination && lines.get(`${serviceKey(service)}|${destinationKey(destination)}`)) ??
    lines.get(serviceKey(service)) ??
    top;
  const services = servicesFromTable(table, at, diagnostics);
  const spec = assembleSpec(
    {
      name: options.name,
      services: services.map((service, i) => ({ service, at: at(table.services[i] as IpvsService) })),
      vips: (options.vips ?? []).map((address) => ({ address, at: top })),
      directors: options.directors ?? [],
      top,
    },
    diagnostics,
  );
  return spec
    ? { ok: true, spec, diagnostics: sortByPosition(diagnostics.list) }
    : { ok: false, diagnostics: sortByPosition(diagnostics.list) };
}

/**
 * Where each service and real server was added (its last -A or -a line), for messages: keys are
 * serviceKey, and serviceKey|destinationKey.
 */
function serviceLines(text: string, file: string): Map<string, SourceLocation> {
  const lines = new Map<string, SourceLocation>();
  text.split("\n").forEach((line, i) => {
    const at = { file, line: i + 1, column: line.search(/\S/) + 1 };
    const add = /^\s*-A\s/.test(line)
      ? line
      : /^\s*-a\s.*\s-r\s/.test(line)
        ? `${line.replace(/^\s*-a/, "-A").replace(/\s-r\s.*$/, "")}\n${line}`
        : undefined;
    if (!add) return;
    try {
      for (const service of parseSave(add).services) {
        if (/^\s*-A/.test(line)) lines.set(serviceKey(service), at);
        for (const d of service.destinations) lines.set(`${serviceKey(service)}|${destinationKey(d)}`, at);
      }
    } catch {
      // a line parseSave reads only in context; the whole text was already accepted
    }
  });
  return lines;
}

export interface IpvsadmExportOptions {
  /**
   * Write each real server's -x/-y thresholds (ipvsadm -R reads them; ipvsadm -S itself never writes
   * them). Default true, so that nothing of the table is lost; false gives ipvsadm -Sn's exact text.
   */
  thresholds?: boolean | undefined;
}

export interface IpvsadmExportResult {
  text: string;
  /** What the text cannot hold, by spec field. */
  warnings: FieldError[];
}

/**
 * The spec's IPVS table as `ipvsadm -Sn` text, for `ipvsadm -R` on any director: the way out of
 * lvsfleet. Everything that is not the table (VIPs on interfaces, VRRP, health checks, quorum, sorry
 * servers) is listed in the warnings.
 */
export function exportIpvsadmSave(spec: ClusterSpecInput, options: IpvsadmExportOptions = {}): IpvsadmExportResult {
  const valid = validate(ClusterSpecSchema, spec);
  const table = desiredTable(valid);
  const text = options.thresholds === false ? renderSave(table) : renderRestore(addOperations(table));
  return { text, warnings: notInTable(valid) };
}

function addOperations(table: IpvsTable): Operation[] {
  return sortedLikeIpvsadm(table).services.flatMap((service) => [
    { op: "add-service" as const, service },
    ...service.destinations.map((destination) => ({ op: "add-destination" as const, service, destination })),
  ]);
}

function notInTable(spec: ClusterSpec): FieldError[] {
  const warnings: FieldError[] = [];
  const not = (field: string, what: string) =>
    warnings.push({ field, message: `${what} is not part of the IPVS table; ipvsadm -S cannot hold it` });
  if (spec.vrrp) not("vrrp", "VRRP");
  if (spec.directors.length > 0) not("directors", "the directors and their VIPs");
  spec.services.forEach((service, i) => {
    const at = `services[${i}]`;
    if (service.inhibitOnFailure) not(`${at}.inhibitOnFailure`, "inhibit on failure");
    if (service.delayLoop !== undefined) not(`${at}.delayLoop`, "the health-check interval");
    if (service.quorum) not(`${at}.quorum`, "the quorum");
    if (service.sorryServer) not(`${at}.sorryServer`, "the sorry server");
    if (service.slowStart !== undefined) not(`${at}.slowStart`, "slow start");
    service.realServers.forEach((rs, j) => {
      const forwarding = rs.forwarding ?? service.forwarding;
      if (service.protocol !== "fwmark" && rs.port !== service.port && (rs.port === 0 || forwarding !== "nat"))
        warnings.push({
          field: `${at}.realServers[${j}].port`,
          message: `ipvsadm gives ${rs.port === 0 ? "a real server without a port" : `a ${forwarding.toUpperCase()} real server`} the service's port ${service.port}`,
        });
      if (rs.healthChecks?.length) not(`${at}.realServers[${j}].healthChecks`, "health checks");
      if (rs.host !== undefined) not(`${at}.realServers[${j}].host`, "the real server's agent host");
    });
  });
  return warnings;
}
