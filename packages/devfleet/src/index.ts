export { agentControlClient } from "./agent-control.ts";
export { Api } from "./api.ts";
export { DemoSettings, readDemoSettings } from "./demo-settings.ts";
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
export { DemoProcess, DemoProcesses, ProcessesFile } from "./processes-file.ts";
export { type ProgramHandle, startProgram } from "./program.ts";
export { ensureRedis, findRedisServer, type RedisHandle, redisAnswers } from "./redis.ts";
export { type DevRedisTarget, parseDevRedisUrl } from "./redis-url.ts";
export {
  askRedisNode,
  DEMO_MASTER_NAME,
  type RedisNodeProcess,
  replicationInfo,
  type SentinelRedis,
  type SentinelRedisOptions,
  startSentinelRedis,
} from "./sentinel.ts";
export { signSlackBody, signSlackCommand } from "./slack.ts";
