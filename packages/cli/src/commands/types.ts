import type { Command } from "commander";
import type { Context } from "../context.ts";

/** Builds a command's Context from its (and the program's) options. */
export type MakeContext = (command: Command) => Context;
