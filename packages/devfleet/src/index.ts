export { agentControlClient } from "./agent-control.ts";
export { Api } from "./api.ts";
export {
  type AgentSpec,
  DEMO_AGENTS,
  type Fleet,
  PROGRAM_FILES,
  repoRoot,
  startAgentProcess,
  startFleet,
  startServerProcess,
} from "./fleet.ts";
export { freePort } from "./ports.ts";
export { type ProgramHandle, startProgram } from "./program.ts";
export { ensureRedis, findRedisServer, type RedisHandle, redisAnswers } from "./redis.ts";
export { signSlackBody, signSlackCommand } from "./slack.ts";
