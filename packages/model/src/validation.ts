import type { z } from "zod";

/** One problem with an input: the field (a path such as `services[0].realServers[1].weight`) and why. */
export interface FieldError {
  field: string;
  message: string;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

export function fieldErrors(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    field: fieldPath([...prefix, ...issue.path]) || "(body)",
    message: issue.message,
  }));
}

/** Thrown by validate() so that every front door can turn it into a 400 with the field and the reason. */
export class ValidationError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    const first = errors[0];
    super(first ? `${first.field}: ${first.message}` : "invalid input");
    this.name = "ValidationError";
    this.errors = errors;
  }
}

/** Parses input with a schema; throws a ValidationError naming every bad field. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, prefix));
}
