/**
 * Raised by the ipvsadm text parsers: names the line and column (both 1-based) where the
 * text stopped making sense and what was expected there.
 */
export class SaveFormatError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    /** What was wrong, without the position. */
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = "SaveFormatError";
  }
}
