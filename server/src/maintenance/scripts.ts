import type { Redis } from "ioredis";

const defined = new WeakMap<Redis, Map<string, string>>();

/**
 * Defines a Lua script on a connection (once) — the maintenance store and lock, the supervisor lease — and returns its command name: ioredis then runs it
 * by its SHA (EVALSHA, falling back to EVAL when Redis has forgotten it) instead of sending its
 * text every time. Define every script when the connection is made: with auto-pipelining, a
 * command defined after a pipeline was opened is missing from it.
 */
export function defineScript(redis: Redis, lua: string, numberOfKeys: number): string {
  let names = defined.get(redis);
  if (!names) {
    names = new Map();
    defined.set(redis, names);
  }
  let name = names.get(lua);
  if (!name) {
    name = `lvsfleetScript${names.size}`;
    redis.defineCommand(name, { numberOfKeys, lua });
    names.set(lua, name);
  }
  return name;
}

/** As `redis.eval(lua, numberOfKeys, ...keysAndArgs)`, through the defined command. */
export function evalScript(
  redis: Redis,
  lua: string,
  numberOfKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  const name = defineScript(redis, lua, numberOfKeys);
  return (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[name]!(...args);
}

/**
 * Extends a key's time to live only while it holds the given value (`<holder> <token>`): the renewal
 * of the maintenance lock and of the supervisor lease. KEYS[1] the key; ARGV[1] the value, ARGV[2] the TTL in ms.
 */
export const RENEW_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Deletes a key only while it holds the given value: the supervisor lease given up, a replica's
 * claim on its id released. KEYS[1] the key; ARGV[1] the value. 1 when deleted.
 */
export const DELETE_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
