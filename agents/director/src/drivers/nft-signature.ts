/**
 * A rule reduced to what decides where its packets go — verdicts and the chains they name, the
 * sets and maps it reads or writes, the address it forwards or DNATs to, the data it stores, the
 * picker value it computes and the ranges it matches — the same whether read from the text the
 * renderer writes or from the kernel's `nft -j` listing. The read-back compares these, so a rule
 * changed or deleted by hand is seen even when every comment is still in place.
 */

type Json = unknown;

const L4 = new Set(["tcp", "udp", "sctp", "th"]);

/** `ip saddr`, `th sport` (tcp/udp/sctp header fields are the same field to the kernel). */
function field(protocol: string, name: string): string {
  return `${L4.has(protocol) ? "th" : protocol} ${name}`;
}

function textKey(text: string): string {
  return text
    .trim()
    .split(/\s+\.\s+/)
    .map((part) => {
      const [protocol = "", name = ""] = part.trim().split(/\s+/);
      return field(protocol, name);
    })
    .join(".");
}

function jsonKey(expr: Json): string {
  const parts = (expr as { concat?: Json[] } | null)?.concat ?? [expr];
  return parts
    .map((p) => {
      const payload = (p as { payload?: { protocol?: string; field?: string } } | null)?.payload;
      return payload ? field(payload.protocol ?? "", payload.field ?? "") : JSON.stringify(p);
    })
    .join(".");
}

const range = (from: number, to: number) => `mark:${from}-${to}`;

/** Tokens of a dynamic set/map statement as nft prints it (`add @m { key : data }`). */
function statementTokens(text: string, out: string[]): void {
  for (const m of text.matchAll(/@(\w+)/g)) out.push(`@${m[1]}`);
  const stored = /^add @\w+ \{[^}]*? : ([^}]*?) \}$/.exec(text.trim());
  if (stored) out.push(`val:${stored[1]}`);
}

/** The signature of a rule as the renderer writes it. */
export function signatureOfText(rule: string): string {
  const text = rule.replace(/ comment "[^"]*"$/, "");
  const out: string[] = [];
  for (const m of text.matchAll(/\b(goto|jump) (\w+)/g)) out.push(`${m[1]}:${m[2]}`);
  for (const verdict of ["drop", "return", "accept"]) if (new RegExp(`\\b${verdict}\\b`).test(text)) out.push(verdict);
  for (const m of text.matchAll(/@(\w+)/g)) out.push(`@${m[1]}`);
  const stored = /\badd @\w+ \{[^}]*? : ([^}]*?) \}/.exec(text);
  if (stored) out.push(`val:${stored[1]}`);
  if (/\bfwd ip6? to /.test(text)) {
    out.push("fwd");
    const literal = /\bfwd ip6? to ([0-9a-fA-F.:]+) device/.exec(text);
    if (literal) out.push(`fwd:${literal[1]}`);
  }
  if (/\bdnat ip6? to /.test(text)) {
    out.push("dnat");
    const literal = /\bdnat ip6? to (?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)/.exec(text);
    if (literal) out.push(`dnat:${literal[1] ?? literal[2]}:${literal[3]}`);
  }
  const numgen = /\bmeta mark set numgen inc mod (\d+)/.exec(text);
  if (numgen) out.push(`numgen:${numgen[1]}`);
  const jhash = /\bmeta mark set jhash (.+?) mod (\d+) seed (0x[0-9a-f]+|\d+)/.exec(text);
  if (jhash) out.push(`jhash:${textKey(jhash[1] ?? "")}:${jhash[2]}:${Number(jhash[3])}`);
  if (/\bmeta mark set 0\b/.test(text)) out.push("mark=0");
  const mark = /\bmeta mark (\d+)(?:-(\d+))? goto/.exec(text);
  if (mark) out.push(range(Number(mark[1]), Number(mark[2] ?? mark[1])));
  return out.sort().join(" ");
}

function walk(node: Json, out: string[]): void {
  if (typeof node === "string") {
    if (/^(add|update|delete) @/.test(node)) statementTokens(node, out);
    else if (/^@\w+$/.test(node)) out.push(node);
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) walk(item, out);
    return;
  }
  if (!node || typeof node !== "object") return;
  const o = node as Record<string, Json>;
  for (const [key, value] of Object.entries(o)) {
    switch (key) {
      case "goto":
      case "jump":
        out.push(`${key}:${(value as { target?: string } | null)?.target ?? ""}`);
        continue;
      case "drop":
      case "return":
      case "accept":
        if (value === null) out.push(key);
        continue;
      case "fwd": {
        out.push("fwd");
        const addr = (value as { addr?: Json } | null)?.addr;
        if (typeof addr === "string") out.push(`fwd:${addr}`);
        else walk(addr, out);
        continue;
      }
      case "dnat": {
        out.push("dnat");
        const v = value as { addr?: Json; port?: Json } | null;
        if (typeof v?.addr === "string" && v.port !== undefined) out.push(`dnat:${v.addr}:${String(v.port)}`);
        else walk(v?.addr, out);
        continue;
      }
      case "mangle": {
        const v = value as { key?: { meta?: { key?: string } }; value?: Json } | null;
        if (v?.key?.meta?.key === "mark") {
          const set = v.value as
            | 0
            | { numgen?: { mod?: number }; jhash?: { mod?: number; seed?: number; expr?: Json } };
          if (set === 0) out.push("mark=0");
          else if (set?.numgen) out.push(`numgen:${set.numgen.mod}`);
          else if (set?.jhash) out.push(`jhash:${jsonKey(set.jhash.expr)}:${set.jhash.mod}:${set.jhash.seed ?? 0}`);
          else walk(set, out);
        } else walk(value, out);
        continue;
      }
      case "match": {
        const v = value as { left?: { meta?: { key?: string } }; right?: Json } | null;
        if (v?.left?.meta?.key === "mark") {
          const r = v.right as number | { range?: [number, number] };
          if (typeof r === "number") out.push(range(r, r));
          else if (r?.range) out.push(range(r.range[0], r.range[1]));
        } else walk(value, out);
        continue;
      }
      default:
        walk(value, out);
    }
  }
}

/** The signature of a rule as the kernel lists it (`nft -j`: the rule's `expr`). */
export function signatureOfJson(expr: readonly Json[]): string {
  const out: string[] = [];
  walk(expr, out);
  return out.sort().join(" ");
}
