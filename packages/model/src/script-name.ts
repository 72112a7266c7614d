import { z } from "zod";

/**
 * A program the cluster spec wants run on a director (a MISC_CHECK, quorum_up/quorum_down, a VRRP
 * notify script) is named, never given: the spec carries a name, and each director's own allowlist
 * (`--actions-file`, section `scripts`) maps the name to an absolute program and its arguments.
 * So whoever may PUT a spec can only choose among programs each host's operator allowed.
 *
 * Names follow the real-server actions' rule (RunAction): lowercase letters, digits, - and _.
 */
export const SCRIPT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Where to read how scripts work now: every refusal of an old-style spec points there. */
export const SCRIPTS_DOC = "docs/operations.md#scripts-on-directors";

/** A path or a command line: what specs used to carry before scripts were named. */
const COMMAND_LIKE = /[\s/]/;

export const ScriptName = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? "is required: the name of a script in the director's allowlist"
        : "must be a string: the name of a script in the director's allowlist",
  })
  .superRefine((name, ctx) => {
    if (SCRIPT_NAME.test(name)) return;
    ctx.addIssue({
      code: "custom",
      message: COMMAND_LIKE.test(name)
        ? `a path or command line is no longer accepted: name a script from the director's allowlist instead (e.g. "check-web"; the director's --actions-file maps it to a program), see ${SCRIPTS_DOC}`
        : "must be the name of a script in the director's allowlist: 1-63 lowercase letters, digits, - and _, starting with a letter or digit",
    });
  });

/**
 * The retired `path` of a misc check: any value is refused with what to write instead. (A strict
 * object would refuse it too, but only as an unknown key; this says what happened to it.) An
 * always-failing refinement rather than z.never(), which OpenAPI generators cannot describe.
 */
export const RetiredScriptPath = z.unknown().refine(() => false, {
  error: `is no longer accepted: name a script from the director's allowlist instead (\`script\`: NAME; the director's --actions-file maps it to a program), see ${SCRIPTS_DOC}`,
});
