import { cruise } from "dependency-cruiser";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const config = require("/work/wt-door/.dependency-cruiser.cjs");
const t = Date.now();
const r = await cruise(["server/src"], { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true });
const v = r.output.summary.violations;
console.log(Date.now() - t, "ms", r.output.modules.length, "modules");
for (const x of v) console.log(x.rule.name, x.from, "->", x.to);
