export { Api, type ApiOptions } from "./api.ts";
export { bashCompletion, fishCompletion, zshCompletion } from "./completion.ts";
export type { GlobalOptions, Io } from "./context.ts";
export { CliError, EXIT, type ExitCode } from "./exit-codes.ts";
export { buildProgram, run, VERSION } from "./program.ts";
export { ConfigFile, configPath, resolveSettings, type Settings } from "./settings.ts";
export { parseSpecText, readSpec } from "./spec-file.ts";
