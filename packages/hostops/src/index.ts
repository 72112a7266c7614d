export { assertInterfaceExists, assertSysctlWritable, RefusedHostChange, sysctlWritable } from "./allowlist.ts";
export {
  addAddress,
  addressArgs,
  type HostLink,
  listAddresses,
  listLinks,
  parseIpAddr,
  parseIpLink,
  removeAddress,
} from "./ip-addr.ts";
export { addRoute, listRoutes, parseIpRoute, removeRoute, replaceRoute, routeArgs } from "./ip-route.ts";
export {
  type IpvsadmServiceArgs,
  ipvsadmList,
  ipvsadmListBatch,
  ipvsadmListService,
  ipvsadmRestore,
  ipvsadmSave,
} from "./ipvsadm.ts";
export { ipvsSupport, kernelAtLeast, kernelRelease, kernelVersion, nftablesSupport, type Support } from "./kernel.ts";
export { LinuxHostDriver } from "./linux-host.ts";
export {
  AddressLabel,
  HostAddressInput,
  HostRouteInput,
  InterfaceName,
  IpAddress,
  NetnsName,
  RouteDestination,
  RouteTable,
  SysctlKey,
  SysctlValue,
} from "./names.ts";
export { nftApply, nftListObject, nftListTable, parseNftJson } from "./nft.ts";
export {
  BATCH_TIMEOUT_CAP_MS,
  batchTimeoutMs,
  COMMAND_TIMEOUT_MS,
  type CommandResult,
  type CommandRunner,
  ExecRunner,
  HostCommandError,
  type RunOptions,
} from "./runner.ts";
export { readSysctl, sysctlPath, writeSysctl } from "./sysctl.ts";
