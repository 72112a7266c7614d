import { runAgentProcess } from "@lvsfleet/agent-runtime";
import { realServerProgram } from "./program.ts";

await runAgentProcess(realServerProgram);
