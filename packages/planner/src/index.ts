export { applyOperations, OperationError, type Refusal, TableEditor } from "./apply.ts";
export { describeOperation } from "./describe.ts";
export { type PlanOptions, plan } from "./plan.ts";
