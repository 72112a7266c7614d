export { applyOperations, OperationError } from "./apply.ts";
export { describeOperation } from "./describe.ts";
export { type PlanOptions, plan } from "./plan.ts";
