/**
 * lvsctl's exit codes: scripts can rely on them (docs/cli.md lists them with examples).
 * Codes above 1 are errors; 1 alone means "diff found differences", as diff(1) does.
 */
export const EXIT = {
  ok: 0,
  /** diff: the spec would change something. */
  differences: 1,
  /** Bad arguments, an unreadable or invalid file, an import that was refused, an ambiguous name. */
  usage: 2,
  /** The server could not be reached (refused, DNS, timeout). */
  unreachable: 3,
  /** 401 or 403: no, wrong or revoked token, or a role too weak for the command. */
  auth: 4,
  /** 404: no such cluster, service, real server, job or token. */
  notFound: 5,
  /** 400, 409, 413 or 429: the server refused the request; nothing changed. */
  rejected: 6,
  /** The server has no such endpoint (an older server, or a feature not built yet). */
  unsupported: 7,
  /** The job failed, or did not finish within --wait-timeout. */
  jobFailed: 8,
  /** 5xx from the server (502: an agent call failed), or a director that could not be asked. */
  serverError: 9,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error lvsctl reports in one or two lines (no stack) and exits with. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Extra lines: candidates, field errors, hints. */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}
