import { runAgentProcess } from "@lvsfleet/agent-runtime";
import { directorProgram } from "./program.ts";

await runAgentProcess(directorProgram);
