// Shared by the ONNX CLI tests: the qlab binary, the first MNIST digits as an IDX pair (so every
// run sees the same rows in file order), onnxruntime sessions, and row comparisons.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const qlab = path.join(root, "build/native-release/cli/qlab");
export const fixtures = path.join(root, "tests/data/onnx");
export const manifest = JSON.parse(fs.readFileSync(path.join(fixtures, "fixtures.json"), "utf8"));

export function run(args) {
  const r = spawnSync(qlab, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-onnx-"));

// A 10 MB ONNX model (MLP 784-1024-1024-768-10, 2.65e6 float32 parameters: past the lab's
// training limit of 2e6, within its import limit of 4e6), written by `qlab train` with no epochs
// and `qlab export`; returns its path.
export function tenMegabyteModel(dir) {
  const json = path.join(dir, "ten.json"), onnx = path.join(dir, "ten.onnx");
  for (const args of [["train", "--data", "mnist", "--model", "mlp:784-1024-1024-768-10", "--epochs", "0",
    "--seed", "1", "--save", json], ["export", "--model", json, "--out", onnx]]) {
    const r = run(args);
    if (r.status !== 0) throw new Error(`qlab ${args[0]}: ${r.stderr}`);
  }
  fs.rmSync(json);
  return onnx;
}

// n MNIST digits (.deps/datasets, from the bootstrap; the file is sorted by digit), rows 0,
// stride, 2 stride, ..., as an IDX pair for idx:IMAGES,LABELS and as the float32 inputs qlab
// reads (pixel / 255 in float32; a double division rounded once to float32 is the same). The
// fixtures were trained without the rows whose index is a multiple of 10.
export function mnistRows(n, stride) {
  const dir = path.join(root, ".deps/datasets/mnist");
  if (!fs.existsSync(path.join(dir, "images.idx"))) return null;
  const images = fs.readFileSync(path.join(dir, "images.idx"));
  const labels = fs.readFileSync(path.join(dir, "labels.idx"));
  const img = Buffer.alloc(16 + n * 784), lbl = Buffer.alloc(8 + n);
  images.copy(img, 0, 0, 16);
  labels.copy(lbl, 0, 0, 8);
  img.writeUInt32BE(n, 4);
  lbl.writeUInt32BE(n, 4);
  for (let i = 0; i < n; i++) {
    images.copy(img, 16 + i * 784, 16 + i * stride * 784, 16 + (i * stride + 1) * 784);
    lbl[8 + i] = labels[8 + i * stride];
  }
  const ip = path.join(tmp, `images-${n}-${stride}.idx`), lp = path.join(tmp, `labels-${n}-${stride}.idx`);
  fs.writeFileSync(ip, img);
  fs.writeFileSync(lp, lbl);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = img[16 + i] / 255;
  return { spec: `idx:${ip},${lp}`, x, n };
}

export async function loadOrt() {
  try {
    return (await import("onnxruntime-node")).default;
  } catch {
    return null;
  }
}

// onnxruntime's outputs, one array per example. `level` is its graph optimisation level;
// blocked int4 is compared with MatMulNBits' accuracy level 0 (float activations).
export async function ortRows(ort, file, data, shape, level = "basic") {
  const session = await ort.InferenceSession.create(file, {
    graphOptimizationLevel: level,
    extra: { session: { qdq_matmulnbits_accuracy_level: "0" } },
  });
  const out = await session.run({ input: new ort.Tensor("float32", data.x, [data.n, ...shape]) });
  const t = Object.values(out)[0];
  const k = t.dims[1], rows = [];
  for (let i = 0; i < data.n; i++) rows.push(Array.from(t.data.subarray(i * k, (i + 1) * k)));
  return rows;
}

// qlab predict's outputs (the scores before any final Softmax), as the CSV it writes.
export function qlabRows(args, data) {
  const out = path.join(tmp, `predict-${Math.random().toString(36).slice(2)}.csv`);
  const r = run(["predict", ...args, "--data", data.spec, "--out", out]);
  if (r.status !== 0) throw new Error(r.stderr);
  const text = fs.readFileSync(out, "utf8");
  return { text, rows: text.trim().split("\n").map((l) => l.split(",").map(Number)) };
}

// What the graph's last node makes of the scores, in double.
export function finish(row, meaning) {
  if (!meaning) return row;
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return meaning === "logsoftmax" ? row.map((v) => v - m - Math.log(s)) : e.map((v) => v / s);
}

export function argmax(row) {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

// The largest difference in a row relative to that row's largest magnitude.
export function rowError(a, b) {
  const top = Math.max(...b.map(Math.abs));
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / top);
  return worst;
}
