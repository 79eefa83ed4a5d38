// What the citations test reads: the citation-like strings the lab, the CLI and the READMEs show
// (an author's name followed by an equation, section, table, figure, theorem, ... number), the
// table in docs/citations.md they must all be in, and the papers' texts the table's anchors quote.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

// Authors (and specs) the lab cites, as they appear in text -> the key used in docs/citations.md.
const AUTHORS = [
  ["Sakr", "Sakr"], ["Cherkhev", "Cherkhev"], ["Lin", "Lin"], ["Kundu", "Kundu"],
  ["Gupta", "Gupta"], ["MX v1.0", "MX"], ["MX", "MX"], ["OFP8", "OFP8"],
];
const AUTHOR_RE = /\b(Sakr|Cherkhev|Lin|Kundu|Gupta|MX(?: v1\.0)?|OFP8)\b(?: et al\.)?(?:'s)?(?: \(?(?:2015|2016|2017)\)?)?/g;

// Locator words -> their canonical spelling in keys.
const KINDS = [
  [/^(?:eqs?\.?|Eqs?\.|equations?|Equations?)$/, "eq."],
  [/^(?:§|Sections?|sections?)$/, "§"],
  [/^Tables?$/, "Table"],
  [/^(?:Figs?\.|Figures?)$/, "Fig."],
  [/^Theorems?$/, "Theorem"],
  [/^Algorithms?$/, "Algorithm"],
  [/^Lemmas?$/, "Lemma"],
  [/^Corollar(?:y|ies)$/, "Corollary"],
  [/^Appendix$/, "Appendix"],
];
const KIND_SRC = String.raw`(eqs?\.|Eqs?\.|eq\b|equations?\b|Equations?\b|§|Sections?\b|Tables?\b|Figs?\.|Figures?\b|Theorems?\b|Algorithms?\b|Lemmas?\b|Corollar(?:y|ies)\b|Appendix\b)`;
// A number: 12, (12), 3.3, 6.1.2; a list or range of them: "2-4", "8 / 11", "2, 6, 7", "1 and 2".
const NUM_SRC = String.raw`\(?\d+(?:\.\d+)*\)?(?![\d%x×]|\.\d)`;
const LIST_SRC = String.raw`${NUM_SRC}(?:\s*(?:[-–]|/|,|and|or)\s*${NUM_SRC})*`;
const LOCATOR_RE = new RegExp(String.raw`${KIND_SRC}\s*(${LIST_SRC})`, "g");

function canonicalKind(word) {
  for (const [re, kind] of KINDS) if (re.test(word)) return kind;
  return null;
}

// "2-4" -> [2, 3, 4]; "8 / 11" -> [8, 11]; "3.3-3.4" -> ["3.3", "3.4"].
function expandNumbers(list) {
  const out = [];
  const parts = list.split(/\s*(?:,|\/|\band\b|\bor\b)\s*/);
  for (const part of parts) {
    const range = part.replace(/[()]/g, "").split(/\s*[-–]\s*/).filter((p) => p.length);
    if (range.length === 2 && /^\d+$/.test(range[0]) && /^\d+$/.test(range[1]) &&
        Number(range[1]) > Number(range[0]) && Number(range[1]) - Number(range[0]) < 20) {
      for (let n = Number(range[0]); n <= Number(range[1]); ++n) out.push(String(n));
    } else {
      for (const r of range) out.push(r);
    }
  }
  return out;
}

// Where the text attached to an author ends: another author, a sentence end (a period that is not
// part of "eq." "al." "Fig." "e.g." ... followed by a space and a capital), a blank line, or 120
// characters.
function tailEnd(text, from) {
  const limit = Math.min(text.length, from + 120);
  for (let i = from; i < limit; ++i) {
    const c = text[i];
    if (c === "\n" && text[i + 1] === "\n") return i;
    if (c === "." && /\s/.test(text[i + 1] ?? " ") && /[A-Z`*(]/.test(text[i + 2] ?? "A")) {
      const before = text.slice(Math.max(from, i - 5), i);
      if (!/(?:\beqs?|\bal|\bFigs?|e\.g|i\.e|\bvs|\bcf|\bv1|\bp)$/.test(before)) return i;
    }
    if (c === "|" && text[i - 1] === " ") return i;  // a markdown table cell ends
  }
  return limit;
}

// Every citation in one text: [{author, kind, number, key, context}].
export function extractCitations(text) {
  const found = [];
  const authors = [...text.matchAll(AUTHOR_RE)];
  for (let a = 0; a < authors.length; ++a) {
    const m = authors[a];
    const author = AUTHORS.find(([name]) => m[1] === name)[1];
    const start = m.index + m[0].length;
    let end = tailEnd(text, start);
    if (a + 1 < authors.length) end = Math.min(end, authors[a + 1].index);
    const tail = text.slice(start, end);
    // Attached: the first locator starts within a few words of the author.
    let previousEnd = 0;
    for (const l of tail.matchAll(LOCATOR_RE)) {
      const gap = tail.slice(previousEnd, l.index);
      if (previousEnd === 0 ? gap.split(/\s+/).filter(Boolean).length > 3 : gap.length > 40) break;
      const kind = canonicalKind(l[1].replace(/\s+$/, ""));
      if (!kind) continue;
      for (const number of expandNumbers(l[2])) {
        found.push({
          author, kind, number, key: `${author} ${kind}${kind === "§" ? "" : " "}${number}`,
          context: text.slice(m.index, Math.min(end, m.index + 90)).replace(/\s+/g, " "),
        });
      }
      previousEnd = l.index + l[0].length;
    }
  }
  return found;
}

// The string literals of a C++ file, adjacent ones joined ("a" "b" is "ab"); comments skipped.
export function cppStrings(source) {
  const out = [];
  let current = null;  // the literal being joined, or null
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") ++i;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const e = source.indexOf("*/", i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === "'" ) {  // a character literal (or a digit separator: harmless)
      i += source[i + 1] === "\\" ? 4 : 3;
      continue;
    }
    if (c === "R" && source[i + 1] === '"') {  // raw string R"delim( ... )delim"
      const open = source.indexOf("(", i + 2);
      const delim = source.slice(i + 2, open);
      const close = source.indexOf(`)${delim}"`, open + 1);
      const body = source.slice(open + 1, close < 0 ? n : close);
      current = (current ?? "") + body;
      i = close < 0 ? n : close + delim.length + 2;
      continue;
    }
    if (c === '"') {
      let s = "";
      ++i;
      while (i < n && source[i] !== '"') {
        if (source[i] === "\\") {
          const e = source[i + 1];
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          i += 2;
        } else {
          s += source[i++];
        }
      }
      ++i;
      current = (current ?? "") + s;
      continue;
    }
    if (/\s/.test(c)) {
      ++i;
      continue;
    }
    if (current !== null) out.push(current), current = null;
    ++i;
  }
  if (current !== null) out.push(current);
  return out;
}

// Files whose shown text is checked: the lab (web/), the CLI, the core's messages, the READMEs
// and the docs other than the table itself.
export function sourceFiles(root) {
  const files = [];
  const walk = (dir, ok) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, ok);
      else if (ok(e.name)) files.push(p);
    }
  };
  const cpp = (name) => /\.(cpp|hpp)$/.test(name);
  walk(path.join(root, "web"), cpp);
  walk(path.join(root, "cli"), cpp);
  walk(path.join(root, "core"), cpp);
  for (const md of ["README.md", "examples/README.md"]) files.push(path.join(root, md));
  walk(path.join(root, "docs"), (name) => name.endsWith(".md") && name !== "citations.md");
  walk(path.join(root, "examples"), (name) => name.endsWith(".sh"));
  return files.filter((f) => fs.existsSync(f));
}

// The texts of a file a reader sees: string literals of C++, the whole of markdown and scripts
// (line breaks inside a paragraph are spaces).
export function shownTexts(file, content = fs.readFileSync(file, "utf8")) {
  if (/\.(cpp|hpp)$/.test(file)) return cppStrings(content);
  return [content.replace(/([^\n])\n(?=[^\n])/g, "$1 ")];
}

// docs/citations.md: rows "| key | paper | place | what | `anchor` |" -> Map key -> row.
export function readTable(file) {
  const rows = new Map();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("| ") || line.startsWith("| citation") || line.startsWith("|---")) continue;
    const cells = line.slice(1, -1).split(" | ").map((c) => c.trim());
    if (cells.length < 5) continue;
    const [key, paper, place, what, anchor] = cells;
    rows.set(key, { key, paper, place, what, anchor: anchor.replace(/^`|`$/g, ""), line });
  }
  return rows;
}

// The papers' texts, when they are at hand: $QLAB_PAPERS, or ../shared/papers beside the
// repository (for a git worktree: beside the main checkout).
export function papersDir(root) {
  const candidates = [];
  if (process.env.QLAB_PAPERS) candidates.push(process.env.QLAB_PAPERS);
  candidates.push(path.join(root, "../shared/papers"));
  const g = spawnSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"],
    { cwd: root, encoding: "utf8" });
  if (g.status === 0) candidates.push(path.join(path.dirname(g.stdout.trim()), "../shared/papers"));
  return candidates.find((d) => fs.existsSync(d)) ?? null;
}

// The paper file of a table row's "paper" cell ("Sakr et al. 2017" -> sakr2017-...txt).
export function paperFile(dir, paper) {
  const prefix = { Sakr: "sakr", Cherkhev: "cherkhev", Lin: "lin", Kundu: "kundu" }[paper.split(" ")[0]];
  if (!prefix || !dir) return null;
  const f = fs.readdirSync(dir).find((name) => name.startsWith(prefix));
  return f ? path.join(dir, f) : null;
}

export const normalizeSpace = (s) => s.replace(/\s+/g, " ").trim();
