// Every citation the lab, the CLI and the READMEs show is in docs/citations.md, and every row there
// points at a place that exists in the paper (its anchor is in the paper's text, when the papers
// are at hand). The extractor is tested on planted strings, so the check can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  cppStrings, extractCitations, normalizeSpace, paperFile, papersDir, readTable, shownTexts,
  sourceFiles,
} from "./citations_lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const table = readTable(path.join(root, "docs/citations.md"));

// The citations of some texts that are not rows of the table: "file: key (context)".
function missing(files) {
  const out = [];
  for (const [file, content] of files)
    for (const text of shownTexts(file, content))
      for (const c of extractCitations(text))
        if (!table.has(c.key)) out.push(`${path.relative(root, file)}: ${c.key} (${c.context})`);
  return out;
}

test("every citation the lab, the CLI and the READMEs show is in docs/citations.md", () => {
  const files = sourceFiles(root);
  assert.ok(files.some((f) => f.endsWith("README.md")));
  assert.ok(files.some((f) => f.includes(`${path.sep}web${path.sep}`)));
  assert.ok(files.some((f) => f.includes(`${path.sep}cli${path.sep}`)));
  let seen = 0;
  for (const f of files)
    for (const t of shownTexts(f)) seen += extractCitations(t).length;
  assert.ok(seen > 150, `only ${seen} citations found: the extractor reads too little`);
  const bad = missing(files.map((f) => [f, fs.readFileSync(f, "utf8")]));
  assert.deepEqual(bad, [], `citations not in docs/citations.md:\n${bad.join("\n")}`);
});

test("a planted wrong citation fails, in C++ string literals and in markdown", () => {
  const cpp = [
    "// Sakr eq. 99 in a comment is not shown, so it is not checked",
    'help("Delta = 2^-(B-1)", "Sakr et al. eq. 99");',
    'const char* t = "Cherkhev\'s Table " "9 on mushrooms";',  // adjacent literals join
    'tip("ok", "Lin et al. eq. 9, eq. 2");',
  ].join("\n");
  const bad = missing([[path.join(root, "web/planted.cpp"), cpp]]);
  assert.deepEqual(bad.map((b) => b.split(" (")[0]),
    ["web/planted.cpp: Sakr eq. 99", "web/planted.cpp: Cherkhev Table 9"]);
  const md = "As Kundu's Tables 3-5 show,\nand Lin §9.9 says. Sakr Fig. 1 is fine.";
  assert.deepEqual(missing([[path.join(root, "README.md"), md]]).map((b) => b.split(" (")[0]),
    ["README.md: Kundu Table 5", "README.md: Lin §9.9"]);
});

test("the extractor reads lists, ranges and the authors' forms", () => {
  const keys = (t) => extractCitations(t).map((c) => c.key);
  assert.deepEqual(keys("Sakr et al. Theorem 1, eq. 8 / 11"),
    ["Sakr Theorem 1", "Sakr eq. 8", "Sakr eq. 11"]);
  assert.deepEqual(keys("Cherkhev Tables 2-4"), ["Cherkhev Table 2", "Cherkhev Table 3", "Cherkhev Table 4"]);
  assert.deepEqual(keys("Kundu et al. Algorithms 1-2"), ["Kundu Algorithm 1", "Kundu Algorithm 2"]);
  assert.deepEqual(keys("Cherkhev eq. (1): delta"), ["Cherkhev eq. 1"]);
  assert.deepEqual(keys("Lin 2016 Table 1 and eq. 2: steps"), ["Lin Table 1", "Lin eq. 2"]);
  assert.deepEqual(keys("Sakr's Theorems 1 and 2 beside"), ["Sakr Theorem 1", "Sakr Theorem 2"]);
  assert.deepEqual(keys("Cherkhev §3.3-3.4"), ["Cherkhev §3.3", "Cherkhev §3.4"]);
  assert.deepEqual(keys("Cherkhev Table 2, 20% held out"), ["Cherkhev Table 2"]);
  assert.deepEqual(keys("Linear layers, Table 9"), []);  // "Linear" is no author
  assert.deepEqual(keys("Sakr trained 900 epochs on the digits of Table 1"), []);  // not attached
  assert.deepEqual(cppStrings('a("x" "y"); // "z"\nb(R"(raw)")'), ["xy", "raw"]);
});

test("every row of docs/citations.md points at a place in its paper", (t) => {
  assert.ok(table.size >= 60, `${table.size} rows`);
  for (const r of table.values()) {
    assert.match(r.key, /^(Sakr|Cherkhev|Lin|Kundu|Gupta|MX|OFP8) (eq\. |Table |Fig\. |Theorem |Algorithm |Lemma |Corollary |§)[\d.]+$/, r.line);
    assert.ok(r.place.length > 0, r.line);
    const author = r.key.split(" ")[0];
    assert.ok(r.paper.includes(author === "MX" || author === "OFP8" ? "OCP" : author), r.line);
  }
  const dir = papersDir(root);
  if (!dir) {
    t.skip("the papers' texts are not at hand (../shared/papers or $QLAB_PAPERS)");
    return;
  }
  const texts = new Map();
  const absent = [];
  for (const r of table.values()) {
    const file = paperFile(dir, r.paper);
    if (!file) {
      assert.equal(r.anchor, "", `${r.key}: an anchor without a paper text to check it in`);
      continue;
    }
    assert.ok(r.anchor.length >= 8, `${r.key}: no anchor`);
    if (!texts.has(file)) texts.set(file, normalizeSpace(fs.readFileSync(file, "utf8")));
    if (!texts.get(file).includes(normalizeSpace(r.anchor))) absent.push(`${r.key}: ${r.anchor}`);
  }
  assert.deepEqual(absent, [], `anchors not found in the papers:\n${absent.join("\n")}`);
});
