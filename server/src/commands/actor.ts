/**
 * Who runs a command: the front doors build an Actor (a token, a chat user) and hand it to every
 * command; roles are what a command checks. Part of the command layer's API, defined in access/.
 */
export type { Actor, Role } from "../access/roles.ts";
