export { ActionsFile, loadActions, runAllowedAction } from "./actions.ts";
export {
  blockingProblems,
  type Doctor,
  type DoctorInput,
  describeProblems,
  gatherFacts,
  type HostFacts,
  sysctlProblem,
} from "./doctor.ts";
export type { DataPlaneDriver, DataPlaneSupport, HostDriver, HostLinkState } from "./drivers.ts";
export { EventHub } from "./events.ts";
export type { ExtensionEvent, ExtensionHost, RoleExtension, RoleUpdate } from "./extension.ts";
export { HostAgent, type HostAgentParts, INITIAL_STATUS, type RoleBehaviour, type RoleStatus } from "./host-agent.ts";
export { HostKeeper } from "./host-keeper.ts";
export * from "./host-plan.ts";
export { AgentOptions, parseAgentOptions, USAGE } from "./options.ts";
export { type AgentContext, type AgentProgram, runAgentProcess } from "./process.ts";
export {
  KILL_GRACE_MS,
  OUTPUT_TAIL_BYTES,
  PROGRAM_ENV,
  type ProgramRun,
  runProgram,
} from "./program-run.ts";
export { keepRegistered } from "./registration.ts";
export { Serial } from "./serial.ts";
export { SimDataPlane, type SimDataPlaneOptions } from "./sim-data-plane.ts";
export { SimHostDriver, type SimHostState, STOCK_SYSCTLS, stockSimHost } from "./sim-host.ts";
export { StateFile } from "./state-file.ts";
