// The server's import rules (docs/architecture.md, "front doors only call server/src/commands").
// Checked by test/structure/import-rules.test.ts through dependency-cruiser's API, so `npm test`
// (and CI) fails on a new back door. Type-only imports count: a front door that names a store's type
// depends on the store.
//
// Each front door may import its own folder, server/src/commands, @lvsfleet/* packages and npm
// libraries. Anything else in server/src must be listed below with the reason it is allowed.

/** @typedef {{ path: string; reason: string }} Exception */

/** @type {Record<string, Exception[]>} */
const frontDoors = {
  // REST
  http: [
    {
      path: "^server/src/chat/",
      reason: "the Slack endpoints are mounted on the REST app (one listener, one body limit, one request id)",
    },
    {
      path: "^server/src/rate-limit/",
      reason: "cross-cutting leaf: per-caller limits guard both front doors before any command runs",
    },
    {
      path: "^server/src/status/",
      reason: "cross-cutting leaf: plain-text renderings of command results, shared with chat",
    },
  ],
  // chat (Slack)
  chat: [
    {
      path: "^server/src/rate-limit/",
      reason: "cross-cutting leaf: per-caller limits guard both front doors before any command runs",
    },
    {
      path: "^server/src/status/",
      reason: "cross-cutting leaf: plain-text renderings of command results, shared with REST",
    },
  ],
  // the chat notifier: response_url posts and the incoming webhook
  notify: [],
  // the maintenance jobs (queue, runner, effects)
  maintenance: [],
};

/** Folders that are allowed as exceptions must themselves stay leaves over the command layer. */
const leaves = {
  "rate-limit": [],
  status: [],
};

/** @param {string} folder @param {Exception[]} exceptions */
function onlyCommands(folder, exceptions, kind) {
  return {
    name: `${kind}-${folder}-imports-only-commands`,
    comment: `server/src/${folder} (${kind}) imports only server/src/commands and its own folder${
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
    ...Object.entries(frontDoors).map(([folder, exceptions]) => onlyCommands(folder, exceptions, "front-door")),
    ...Object.entries(leaves).map(([folder, exceptions]) => onlyCommands(folder, exceptions, "leaf")),
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^packages/", "^agents/"] },
    exclude: { path: ["/dist/", "/test/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
  frontDoors,
  leaves,
};
