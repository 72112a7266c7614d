import type { IpvsDestinationConfig, IpvsServiceConfig } from "./table.ts";

/** One change to an IPVS table: what one `ipvsadm -A/-E/-D/-a/-e/-d` line does. */
export type Operation =
  | { op: "add-service"; service: IpvsServiceConfig }
  | { op: "edit-service"; service: IpvsServiceConfig }
  | { op: "delete-service"; service: IpvsServiceConfig }
  | { op: "add-destination"; service: IpvsServiceConfig; destination: IpvsDestinationConfig }
  | { op: "edit-destination"; service: IpvsServiceConfig; destination: IpvsDestinationConfig }
  | { op: "delete-destination"; service: IpvsServiceConfig; destination: IpvsDestinationConfig };

export type OperationKind = Operation["op"];
