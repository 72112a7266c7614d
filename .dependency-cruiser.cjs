// The server's import rules: the front doors (REST, chat), the maintenance jobs and the notifier
// reach the rest of the server only through its command layer, server/src/commands
// (docs/architecture.md, "Import rules"). Checked by test/structure/import-rules.test.ts through
// dependency-cruiser's API, so `npm test` (and CI) fails on a new back door. Type-only imports count:
// a front door that names a store's type depends on the store.
//
// Each folder below may import its own folder, server/src/commands, the @lvsfleet/* packages and npm
// libraries. Anything else in server/src must be listed as an exception, with the reason it is allowed
// (the rule's comment carries it). Also runnable by hand: npm run lint:imports.

/** @typedef {{ path: string; reason: string }} Exception */

const RATE_LIMIT = {
  path: "^server/src/rate-limit/",
  reason: "cross-cutting leaf (npm only): per-caller request limits guard both front doors before any command runs",
};
const STATUS_TEXT = {
  path: "^server/src/status/",
  reason:
    "cross-cutting leaf over commands/: the plain-text renderings of command results that REST and chat both send",
};

/** @type {Record<string, Exception[]>} */
const frontDoors = {
  // REST (chat's endpoints are handed to its app by server.ts, not imported)
  http: [RATE_LIMIT, STATUS_TEXT],
  // chat (Slack)
  chat: [RATE_LIMIT, STATUS_TEXT],
  // the chat notifier: response_url posts, the incoming webhook, job progress and outcomes
  notify: [],
  // the maintenance jobs: queue, runner, steps. What a job does to the world is behind MaintenanceEffects
  // and HealthView; the command layer implements them (commands/maintenance-world.ts) over the Fleet,
  // the cluster writer and the command queue's applier.
  maintenance: [],
};

/** Folders allowed as exceptions above stay leaves: their own folder, commands/, packages and npm only. */
const leaves = {
  "rate-limit": [],
  status: [],
};

/** @param {string} folder @param {Exception[]} exceptions @param {string} kind */
function onlyCommands(folder, exceptions, kind) {
  return {
    name: `${kind}-${folder}-imports-only-commands`,
    comment: `server/src/${folder} imports only server/src/commands and its own folder${
      exceptions.length ? `; exceptions: ${exceptions.map((e) => `${e.path} (${e.reason})`).join("; ")}` : ""
    }`,
    severity: "error",
    from: { path: `^server/src/${folder}/` },
    to: {
      path: "^server/src/",
      pathNot: [`^server/src/${folder}/`, "^server/src/commands/", ...exceptions.map((e) => e.path)],
    },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...Object.entries(frontDoors).map(([folder, exceptions]) => onlyCommands(folder, exceptions, "door")),
    ...Object.entries(leaves).map(([folder, exceptions]) => onlyCommands(folder, exceptions, "leaf")),
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^packages/", "^agents/"] },
    exclude: { path: ["/dist/", "/test/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
