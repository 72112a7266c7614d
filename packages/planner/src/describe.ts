import { formatEndpoint, type Operation } from "@lvsfleet/model";

function serviceLabel(op: Operation): string {
  const s = op.service;
  return s.protocol === "fwmark"
    ? `FWM ${s.fwmark}`
    : `${s.protocol.toUpperCase()} ${formatEndpoint(s.address ?? "", s.port ?? 0)}`;
}

/** One line per operation, for humans: `edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 weight 5`. */
export function describeOperation(op: Operation): string {
  switch (op.op) {
    case "add-service":
    case "edit-service": {
      const p = op.service.persistence;
      return `${op.op} ${serviceLabel(op)} ${op.service.scheduler}${p ? ` persistent ${p.timeout}` : ""}`;
    }
    case "delete-service":
      return `${op.op} ${serviceLabel(op)}`;
    case "delete-destination":
      return `${op.op} ${serviceLabel(op)} -> ${formatEndpoint(op.destination.address, op.destination.port)}`;
    default:
      return `${op.op} ${serviceLabel(op)} -> ${formatEndpoint(op.destination.address, op.destination.port)} ${op.destination.forwarding} weight ${op.destination.weight}`;
  }
}
