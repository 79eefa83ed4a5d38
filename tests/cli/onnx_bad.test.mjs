// Bad ONNX files (tests/data/onnx_bad/manifest.json): each gives exit status 2 and its one
// message, naming the problem and the node; and a file over 64 MB is refused before it is read.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, run, tmp } from "./onnx_common.mjs";

const dir = path.join(root, "tests/data/onnx_bad");
const { cases } = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));

test("the corpus holds at least 20 bad files, each in the manifest", () => {
  assert.ok(cases.length >= 20);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".onnx")).sort();
  assert.deepEqual(cases.map((c) => c.file).sort(), files);
});

for (const c of cases) {
  test(`bad ONNX: ${c.file} (${c.what})`, () => {
    for (const command of [["predict", "--json"], ["eval"]]) {
      const r = run([command[0], "--model", path.join(dir, c.file), "--data", "synth:linear:d=4",
        ...command.slice(1)]);
      assert.equal(r.status, 2, r.stderr);
      assert.ok(r.stderr.includes(c.message), `expected "${c.message}" in:\n${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one message");
    }
  });
}

test("bad ONNX: a file over 64 MB is refused before it is read", () => {
  const big = path.join(tmp, "big.onnx");
  const fd = fs.openSync(big, "w");
  fs.ftruncateSync(fd, 64 * 1024 * 1024 + 1);  // sparse: nothing is written
  fs.closeSync(fd);
  const r = run(["predict", "--model", big, "--data", "synth:linear:d=4", "--json"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /more than the lab's limit of 64 MB \(refused before reading\)/);
});
