/** Something named in a command does not exist (HTTP 404). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** A short name matched more than one thing; the candidates say how to be precise. */
export class AmbiguousError extends Error {
  override name = "AmbiguousError";
  constructor(
    message: string,
    readonly candidates: string[],
  ) {
    super(message);
  }
}

/** The request is valid but the thing is not in a state that allows it (HTTP 409), e.g. cancelling a finished job. */
export class ConflictError extends Error {
  override name = "ConflictError";
}
