// npm run bench: one table of issue 19's figures, all measured in this run, each with its ratio, the
// issue's target and pass/miss. The yardstick is this machine's single-thread Eigen 512^3 GEMM:
// native (Google Benchmark, tests/bench), WebAssembly under Node (tests/bench/*_wasm.cpp) and the
// lab in headless Chromium (scripts/bench_train_browser.mjs, bench_lab_browser.mjs).
// Usage: npm run bench [-- --seconds 10 --limit 60]   (about 5-10 minutes; not part of npm test)
// Builds what it needs first (native-release and wasm-release, configured by cmake --preset).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser } from "../tests/e2e/browser.mjs";
import { measure, firstFrame, curveFromPress } from "./bench_train_browser.mjs";
import { whileRunning } from "./bench_lab_browser.mjs";

const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg("--seconds", 10);  // browser training window per net
const limit = arg("--limit", 60);  // the MNIST curve stops here
const NATIVE = path.join(root, "build/native-release"), WASM = path.join(root, "build/wasm-release");
const log = (s) => process.stderr.write(s + "\n");

// The targets this table runs, built incrementally (a no-op when up to date), then dist/.
function build() {
  for (const [dir, preset, targets] of [[NATIVE, "native-release", ["train_bench", "format_bench"]],
    [WASM, "wasm-release", ["quantlab", "train_bench_wasm", "format_bench_wasm"]]]) {
    if (!fs.existsSync(path.join(dir, "CMakeCache.txt"))) {
      log(`bench: configuring ${preset}`);
      execFileSync("cmake", ["--preset", preset], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    }
    log(`bench: building ${targets.join(", ")} in build/${preset}`);
    execFileSync("cmake", ["--build", dir, "--target", ...targets, "--", `-j${Math.min(2, os.cpus().length)}`],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_PATH: "/usr/share/nodejs" } });
  }
  const built = path.join(WASM, "web/quantlab.wasm"), served = path.join(root, "dist/quantlab.wasm");
  if (!fs.existsSync(served) || fs.statSync(served).mtimeMs < fs.statSync(built).mtimeMs) {
    log("bench: bash scripts/make_dist.sh");
    execFileSync("bash", ["scripts/make_dist.sh"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
}

const jsonLines = (text) => Object.fromEntries(text.trim().split("\n").filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l)).map((r) => [r.name, r]));
const node = (file) => execFileSync("node", ["--no-experimental-fetch", path.join(WASM, "tests/bench", file)],
  { encoding: "utf8", maxBuffer: 1 << 24 });

// Google Benchmark's JSON for the benchmarks matching `filter`, by name.
function googleBench(exe, filter, minTime) {
  const out = path.join(os.tmpdir(), `qlab-bench-${process.pid}.json`);
  execFileSync(path.join(NATIVE, "tests/bench", exe), [`--benchmark_filter=${filter}`,
    `--benchmark_min_time=${minTime}`, `--benchmark_out=${out}`, "--benchmark_out_format=json"],
  { stdio: "ignore" });
  const runs = JSON.parse(fs.readFileSync(out, "utf8")).benchmarks;
  fs.rmSync(out);
  return Object.fromEntries(runs.map((b) => [b.name, b]));
}

// The block formats (format_specs.hpp's ratio list without int8) against float:e=5,m=10.
const BASE = "float:e=5,m=10";
const FORMATS = ["mxfp8:e4m3", "mxfp8:e5m2", "mxfp6:e2m3", "mxfp6:e3m2", "mxfp4", "mxint8",
  "int:b=4,group=128", "int:b=4,group=32,asym=1", "nvfp4"];
const formatTarget = (spec) => (spec.startsWith("mx") ? 1.5 : 2.0);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function nativeFigures() {
  log("bench: native GEMM and training (Google Benchmark)");
  const train = googleBench("train_bench", "BM_EigenGemm512|BM_TrainMlpFloat", 1);
  log("bench: native block formats (Google Benchmark)");
  const specs = [BASE, ...FORMATS].map(escape).join("|");
  const fmt = googleBench("format_bench", `^quantize(_stochastic)?/(${specs})$`, 0.3);
  return {
    gemm: train.BM_EigenGemm512["GFLOP/s"],
    train: train["BM_TrainMlpFloat/real_time"]["samples/s"],
    trainGflops: train["BM_TrainMlpFloat/real_time"]["GFLOP/s"],
    formats: Object.fromEntries(Object.entries(fmt).map(([k, b]) => [k, 1e9 / b.items_per_second])),
  };
}

function wasmFigures() {
  log("bench: WebAssembly under Node (training, then block formats)");
  const t = jsonLines(node("train_bench_wasm.js"));
  const f = jsonLines(node("format_bench_wasm.js"));
  return { gemm: t.gemm512.gflops, train: t.train_mlp_float.samples_per_second,
    train128: t.train_mlp128_batch32?.samples_per_second,
    lab: t["lab_mlp784-512x3-10"].samples_per_second, lab128: t["lab_mlp784-128-10_batch32"].samples_per_second,
    formats: f };
}

async function browserFigures() {
  const { server, url } = await startServer();
  const browser = await launchBrowser();
  try {
    log("bench: browser first frame");
    await firstFrame(browser, url);  // warm the server's file cache, as a second visit would be
    const first = await firstFrame(browser, url);
    log("bench: browser training 784-512x3-10 and 784-128-10");
    const big = await measure(browser, url,
      "?panel=train&data=mnist&hidden=512-512-512&act=hardsigmoid&optimizer=adam&batch=200&epochs=100&seed=1", seconds);
    const small = await measure(browser, url, "?panel=train&data=mnist&hidden=128&epochs=100&seed=1", seconds);
    log("bench: UI frame times while the lab trains");
    const frames = await whileRunning(browser, url, "?panel=train&data=mnist&hidden=128&epochs=2&seed=1",
      async () => {}, (p) => p.evaluate(() => window.quantlab.toggleRun()), (m) => m.state !== "finished");
    log("bench: the MNIST curve from Run pressed at once");
    const curve = await curveFromPress(browser, url, "?panel=train&data=mnist&hidden=128", 0.95, limit);
    return { first, big, small, frames, curve };
  } finally {
    await browser.close();
    server.close();
  }
}

// Rows: [what, measured, ratio, ratio's reference, target text, pass (true/false/null: no target)].
function rows(n, w, b) {
  const r = [];
  const flops512 = 3 * 2.0 * (784 * 512 + 512 * 512 + 512 * 512 + 512 * 10);  // train_common.hpp
  const num = (v, d = 0) => (v == null ? "-" : v.toFixed(d));
  r.push(["native GEMM 512^3, 1 thread (yardstick)", `${num(n.gemm, 1)} GFLOP/s`, 1, "itself", "", null]);
  r.push(["WASM GEMM 512^3 (Node)", `${num(w.gemm, 1)} GFLOP/s`, w.gemm / n.gemm, "native GEMM", "report", null]);
  r.push(["native training 784-512x3-10", `${num(n.train)} samples/s`, n.trainGflops / n.gemm, "native GEMM", "report", null]);
  r.push(["WASM training 784-512x3-10 (Node)", `${num(w.train)} samples/s`, w.train / n.train, "native training", "report", null]);
  r.push(["  same, as GEMM work", `${num(w.train * flops512 / 1e9, 2)} GFLOP/s`, w.train * flops512 / 1e9 / n.gemm, "native GEMM", "", null]);
  // Like with like: the lab's epochs (8,000 rows, then its evaluation on 10,000) in both.
  r.push(["WASM lab epochs 784-512x3-10 (Node)", `${num(w.lab)} samples/s`, w.lab / w.train, "WASM training", "report", null]);
  r.push(["WASM lab epochs 784-128-10, batch 32 (Node)", `${num(w.lab128)} samples/s`, w.lab128 / w.train128, "WASM training b32", "report", null]);
  const ratioBig = b.big.samples_per_second / w.lab, ratioSmall = b.small.samples_per_second / w.lab128;
  r.push([`browser lab epochs 784-512x3-10 (${b.big.training_in})`, `${num(b.big.samples_per_second)} samples/s`, ratioBig, "Node lab epochs", ">= 0.90", ratioBig >= 0.9]);
  r.push([`browser lab epochs 784-128-10, b32 (${b.small.training_in})`, `${num(b.small.samples_per_second)} samples/s`, ratioSmall, "Node lab epochs", ">= 0.90", ratioSmall >= 0.9]);
  r.push(["UI frame CPU time while training, median", `${num(b.frames.frame_ms_median, 2)} ms`, b.frames.median_ratio_to_idle, "idle median", "<= 4 ms", b.frames.frame_ms_median <= 4]);
  r.push(["UI frame CPU time while training, p95", `${num(b.frames.frame_ms_p95, 2)} ms`, b.frames.frame_ms_p95 / b.frames.idle_frame_ms_median, "idle median", "<= 12 ms", b.frames.frame_ms_p95 <= 12]);
  const t95 = b.curve.reached_seconds;
  r.push(["MNIST 784-128-10 to 95% test acc. from Run", t95 == null ? `${b.curve.finished ? "run ended" : "stopped"} at ${b.curve.ended_seconds.toFixed(0)} s, best ${(100 * b.curve.best_accuracy).toFixed(2)}%` : `${t95.toFixed(1)} s`, t95 == null ? null : t95 / 20, "20 s", "<= 20 s", t95 != null && t95 <= 20]);
  r.push(["first frame (quantlab.ready)", `${num(b.first.first_interactive_ms)} ms`, b.first.first_interactive_ms / 1000, "1 s", "<= 1 s", b.first.first_interactive_ms <= 1000]);
  r.push(["first download", `${(b.first.first_download_bytes / 1e6).toFixed(2)} MB`, b.first.first_download_bytes / 4e6, "4 MB", "<= 4 MB", b.first.first_download_bytes <= 4e6]);
  for (const [mode, prefix] of [["rne", "quantize/"], ["stochastic", "quantize_stochastic/"]])
    for (const spec of FORMATS) {
      const target = formatTarget(spec);
      const nb = n.formats[prefix + BASE], ns = n.formats[prefix + spec];
      if (nb && ns) r.push([`native ${mode} ${spec}`, `${ns.toFixed(2)} ns/value`, ns / nb, BASE, `<= ${target}x`, ns / nb <= target]);
      const wr = w.formats[`ratio/${mode}/${spec}`];
      if (wr) r.push([`WASM ${mode} ${spec}`, `${(wr.ratio * wr.baseline_ns_per_value).toFixed(2)} ns/value`, wr.ratio, BASE, `<= ${target}x`, wr.ratio <= target]);
    }
  return r;
}

function print(r, b) {
  const head = ["figure", "measured", "ratio", "against", "target", ""];
  const cells = r.map(([what, value, ratio, against, target, pass]) =>
    [what, value, ratio == null || !isFinite(ratio) ? "-" : ratio.toFixed(2), against, target, pass == null ? "" : pass ? "pass" : "MISS"]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => (i === 1 || i === 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join("  ").trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(line(c));
  const passes = r.filter((x) => x[5] === true).length, misses = r.filter((x) => x[5] === false).length;
  console.log(`\n${passes} pass, ${misses} miss. MNIST curve from the press (s, test accuracy; ` +
    `lr ${b.curve.lr || "default"}, batch ${b.curve.batch || "default"}, decay ${b.curve.decay || "default"}):`);
  console.log(b.curve.curve.map(([t, a]) => `${t}:${(100 * a).toFixed(2)}`).join(" "));
}

const started = Date.now();
build();
const n = nativeFigures();
const w = wasmFigures();
const b = await browserFigures();
print(rows(n, w, b), b);
console.log(`(${os.cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s for the whole run)`);
