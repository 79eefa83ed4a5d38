// An ONNX model in the browser lab (issue 17): the PyTorch fixtures opened by loadModel(bytes),
// by the link (?model=), a bad file, a missing URL, an oversized file and a cross-origin refusal
// that each give one message while the lab keeps its model; Precision, Layers and Ternary on the
// MLP and the CNN; the Layers lesson's per-layer sensitivity against `qlab sensitivity` on the same
// exported model and rows; the course page that opens its model by link; the exported ONNX
// (exportModel('onnx') and the Export button's download, the same bytes) run in onnxruntime-node
// against `qlab predict` of the same file, then PTQ and QAT of the import; and a 10 MB model.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, openLab, metrics, getState, waitFor, clickView, outDir } from "./browser.mjs";
import { argmax, fixtures, loadOrt, rowError, run, tenMegabyteModel, tmp } from "../cli/onnx_common.mjs";
import { DIST, COURSE_EXAMPLE } from "../../scripts/serve.mjs";

// A server of dist/ with the fixtures at models/ (a course page ships its model beside the lab),
// and a 65 MB file at big/.
const bigDir = fs.mkdtempSync(path.join(tmp, "big-"));
fs.writeFileSync(path.join(bigDir, "huge.onnx"), Buffer.alloc(65 * 1024 * 1024));
tenMegabyteModel(bigDir);
const lab = { server: null, url: null, other: null, otherUrl: null, browser: null };
test.before(async () => {
  const mounts = [["/models/", fixtures], ["/big/", bigDir], ["/bad/", path.join(fixtures, "../onnx_bad")]];
  ({ server: lab.server, url: lab.url } = await startServer(undefined, { mounts }));
  ({ server: lab.other, url: lab.otherUrl } = await startServer(undefined, { mounts }));  // another origin
  lab.browser = await launchBrowser();
});
test.after(async () => { await lab.browser?.close(); lab.server?.close(); lab.other?.close(); });

const fixture = (name) => Array.from(fs.readFileSync(path.join(fixtures, name)));
const loadBytes = (page, name, bytes) =>
  page.evaluate(([n, b]) => window.quantlab.loadModel(new Uint8Array(b), n), [name, bytes]);
// Runs in the page (with the file's name as its argument): the import is studied.
const ready = (name) => {
  const m = window.quantlab.metrics();
  return m.model_imported && m.import && m.import.name === name && m.float_accuracy !== null;
};

test("loadModel(bytes): the CNN with BatchNorm is studied, MNIST chosen for it; a bad file keeps it", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&data=digits&seed=1");
  assert.equal(await loadBytes(page, "lenet_bn.onnx", fixture("lenet_bn.onnx")), "");
  let m = await waitFor(page, ready, "lenet_bn.onnx", 60000);
  assert.equal(m.data, "mnist");  // 1x28x28 inputs: the data followed the model
  assert.deepEqual(m.import.input_shape, [1, 28, 28]);
  assert.deepEqual(m.import.data_offered, ["mnist", "fashion"]);
  assert.equal(m.import.output, "logsoftmax");
  assert.ok(m.import.notes.some((n) => /BatchNormalization/.test(n)), m.import.notes.join("\n"));
  assert.equal(m.preprocessing, "none");
  assert.ok(m.float_accuracy > 0.9, `float accuracy ${m.float_accuracy}`);
  assert.equal((await getState(page)).data, "mnist");
  const messages = (await page.evaluate(() => window.quantlab.messages())).map((x) => x.text);
  assert.ok(messages.some((t) => /^imported lenet_bn\.onnx: .*float accuracy 0\.9/.test(t)), messages.join("\n"));

  // A truncated file: import_onnx's message, and the lab keeps the CNN.
  const cut = fixture("lenet_bn.onnx").slice(0, 5000);
  const shown = await loadBytes(page, "cut.onnx", cut);
  assert.match(shown, /^cut\.onnx: .*\(the lab keeps its model\)$/);
  const last = (await page.evaluate(() => window.quantlab.messages())).at(-1);
  assert.deepEqual(last, { text: shown, level: "error" });
  m = await metrics(page);
  assert.equal(m.import.name, "lenet_bn.onnx");
  assert.ok(m.float_accuracy > 0.9);

  // Fashion-MNIST fits the same input (a real click on the data combo would need its popup; the
  // state key is what the combo sets): the model stays and its accuracy shows the mismatch.
  await page.evaluate(() => window.quantlab.setState({ data: "fashion" }));
  m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.data === "fashion" && x.rows_test > 0 && x.float_accuracy !== null;
  }, null, 60000);
  assert.ok(m.model_imported);
  assert.ok(m.float_accuracy < 0.5, `fashion ${m.float_accuracy}`);
  await page.screenshot({ path: path.join(outDir, "onnx-train.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("?model= opens a model by link; a missing URL, a 65 MB file and a refused cross-origin fetch each say why", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&model=models/mlp_relu.onnx");
  let m = await waitFor(page, ready, "mlp_relu.onnx", 60000);
  assert.equal(m.data, "mnist");
  assert.equal(m.import.url, "models/mlp_relu.onnx");
  assert.equal((await getState(page)).model, "models/mlp_relu.onnx");
  assert.match(await page.evaluate(() => window.location.search), /model=models/);
  const keep = m.float_accuracy;

  const missing = await page.evaluate(() => window.quantlab.loadModel("models/nothing.onnx"));
  assert.equal(missing, "could not open the model at models/nothing.onnx: the server answered HTTP 404 Not Found (the lab keeps its model)");
  const big = await page.evaluate(() => window.quantlab.loadModel("big/huge.onnx"));
  assert.equal(big, "could not open the model at big/huge.onnx: the file is 65.0 MB; the lab takes models up to 64 MB (the lab keeps its model)");
  const cross = lab.otherUrl + "models/mlp_relu.onnx";
  const refused = await page.evaluate((u) => window.quantlab.loadModel(u), cross);
  assert.match(refused, /refused cross-origin access \(CORS\)/);
  // A file of the bad corpus by URL: import_onnx's message, naming the node.
  const grouped = await page.evaluate(() => window.quantlab.loadModel("bad/conv_group.onnx"));
  assert.equal(grouped, "conv_group.onnx: ONNX: node 0 (Conv 'conv1'): group 2 is not supported (group 1 only: " +
    "no depthwise or grouped convolutions) (the lab keeps its model)");
  const bad = await page.evaluate(() => window.quantlab.loadModel("javascript:alert(1)"));
  assert.match(bad, /relative to the page/);
  m = await metrics(page);
  assert.equal(m.import.name, "mlp_relu.onnx");
  assert.equal(m.float_accuracy, keep);
  assert.equal((await getState(page)).model, "models/mlp_relu.onnx");  // the key went back

  // The lab's own network replaces it when its shape is asked for; the link drops nothing else.
  await page.evaluate(() => window.quantlab.setState({ hidden: "16" }));
  m = await waitFor(page, () => !window.quantlab.metrics().model_imported);
  assert.equal(m.model, "mlp:784-16-10:act=relu");
  assert.deepEqual(errors.filter((e) => !/404|Failed to load|CORS|Access-Control/.test(e)), []);
  await context.close();
});

// Precision, Layers and Ternary on the hard-sigmoid MLP (Sakr's conventions hold) and the LeNet
// (ReLU: they do not, and Precision says so in words); the tabs are real clicks.
for (const [file, broken] of [["mlp_hardsigmoid.onnx", 0], ["lenet_bn.onnx", 1]]) {
  test(`every analysis lesson studies ${file}`, async () => {
    const { page, context, errors } = await openLab(lab.browser, lab.url + `?panel=precision&model=models/${file}&psamples=200&ba=6&bw=7`);
    let m = await waitFor(page, () => {
      const x = window.quantlab.metrics();
      return x.model && x.model.startsWith("onnx:") && x.analysis.state === "finished" && x.thm1 !== null;
    }, null, 180000);
    assert.equal(m.model, `onnx:${file}`);
    assert.equal(m.model_from_file, true);
    assert.ok(m.thm1 > 0 && m.thm2 > 0 && m.e_a > 0 && m.e_w > 0, JSON.stringify({ thm1: m.thm1, e_a: m.e_a }));
    assert.equal(m.assumptions_broken.length, broken, m.assumptions_broken.join("\n"));
    if (broken) assert.match(m.assumptions_broken[0], /relu, unbounded\) exceed the fixed-point range/);
    // The model's own activations are named; no act combo offers to replace them.
    assert.equal(m.hidden_activations, broken ? "relu" : "hardsigmoid");
    assert.ok(m.layout.precision_data_combo && !m.layout.precision_act_combo, JSON.stringify(Object.keys(m.layout)));
    await clickView(page, "tab_layers");
    m = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.panel === "layers" && x.layers.length > 0 && x.analysis_current; }, null, 120000);
    assert.equal(m.model, `onnx:${file}`);
    assert.ok(m.layers.every((l) => Number.isFinite(l.sqnr_w_db)), "a weight SQNR per weighted layer");
    await clickView(page, "tab_ternary");
    m = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.panel === "ternary" && x.state === "finished"; }, null, 180000);
    assert.equal(m.model, `onnx:${file}`);
    assert.ok(m.levels.length >= 2 && m.levels.every((l) => l.accuracy > 0.1), JSON.stringify(m.levels.map((l) => l.accuracy)));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("Layers: per-layer sensitivity of the imported CNN, sorted, agrees with qlab sensitivity", async () => {
  const { page, context, errors } = await openLab(lab.browser,
    lab.url + "?panel=layers&model=models/lenet_bn.onnx&lview=sensitivity&sweights=int:b=4,group=32");
  const m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.sensitivity && x.sensitivity.state === "finished" && x.sensitivity.layers.length > 0;
  }, null, 120000);
  const s = m.sensitivity;
  assert.equal(s.rows, 1000);
  const drops = s.layers.map((l) => l.accuracy_drop);
  for (let i = 1; i < drops.length; i++) assert.ok(drops[i - 1] >= drops[i], `sorted: ${drops}`);
  for (const l of s.layers) assert.ok(Math.abs(s.float_accuracy - l.accuracy - l.accuracy_drop) < 1e-12);

  // The same model and rows through the CLI: the exported float ONNX and the lab's test rows.
  const bytes = await page.evaluate(() => Array.from(window.quantlab.exportModel("onnx")));
  const file = path.join(tmp, "lab-lenet.onnx");
  fs.writeFileSync(file, Buffer.from(bytes));
  const rows = path.join(tmp, "lab-rows.csv");
  fs.writeFileSync(rows, await page.evaluate(() => window.quantlab.exportData()));
  const r = run(["sensitivity", "--model", file, "--data", "csv:" + rows, "--normalize", "none",
    "--weights", "int:b=4,group=32", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const cli = JSON.parse(r.stdout);
  assert.equal(cli.rows, s.rows);
  assert.equal(cli.float_accuracy, s.float_accuracy);
  assert.deepEqual(cli.layers.map((l) => l.layer), s.layers.map((l) => l.layer));
  cli.layers.forEach((c, i) => {
    const l = s.layers[i];
    assert.equal(c.accuracy, l.accuracy, `layer ${c.layer} accuracy`);
    for (const k of ["measured_sqnr_db", "predicted_sqnr_db"])
      assert.ok(Math.abs(c[k] - l[k]) <= 1e-4 * Math.abs(c[k]), `layer ${c.layer} ${k}: lab ${l[k]}, qlab ${c[k]}`);
  });
  console.log(`# sensitivity: ${s.layers.length} layers, lab and qlab agree; most sensitive ${s.layers[0].description} (drop ${s.layers[0].accuracy_drop})`);
  await page.screenshot({ path: path.join(outDir, "onnx-layers-sensitivity.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("the course page ships its model and the embedded Layers lesson opens it by link", async () => {
  const { server, origin } = await startServer(DIST, { prefix: "/course/quantlab/", mounts: [["/course/", COURSE_EXAMPLE]] });
  const context = await lab.browser.newContext({ viewport: { width: 1100, height: 1200 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(origin + "/course/your-model.html");
    const frame = await (await page.$("iframe#layers")).contentFrame();
    await frame.waitForFunction(() => window.quantlab !== undefined);
    await frame.evaluate(() => window.quantlab.ready);
    const done = (w) => { const s = window.quantlab.metrics().sensitivity; return s && s.state === "finished" && s.weights === w; };
    let m = await frame.waitForFunction(done, "int:b=4,group=32", { timeout: 120000, polling: 250 }).then(() => frame.evaluate(() => window.quantlab.metrics()));
    assert.equal(m.model, "onnx:lenet.onnx");
    assert.equal(m.embedded, true);
    assert.equal((await frame.evaluate(() => window.quantlab.getState())).model, "../models/lenet.onnx");
    const four = m.sensitivity.layers;
    assert.ok(four.length >= 3);
    // The page's button (a real click) gives every layer 2-bit blocks: larger drops.
    await page.click("button[data-sweights='int:b=2,group=32']");
    m = await frame.waitForFunction(done, "int:b=2,group=32", { timeout: 120000, polling: 250 }).then(() => frame.evaluate(() => window.quantlab.metrics()));
    assert.ok(m.sensitivity.layers[0].accuracy_drop > four[0].accuracy_drop, `${m.sensitivity.layers[0].accuracy_drop} vs ${four[0].accuracy_drop}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    server.close();
  }
});

const ort = await loadOrt();
test("Export: the ONNX file at int8 weights runs in onnxruntime as qlab predict runs it; the button downloads the same bytes",
  { skip: ort ? false : "onnxruntime-node is not installed (npm ci --ignore-scripts)" }, async () => {
  // A tall window: the Model file row is on screen without scrolling the controls.
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&model=models/lenet_bn.onnx",
    { width: 1280, height: 1300 });
  await waitFor(page, ready, "lenet_bn.onnx", 60000);
  await page.evaluate(() => window.quantlab.setState({ weights: "int:b=8,scale=0.01" }));
  await waitFor(page, () => window.quantlab.metrics().model_imported && window.quantlab.metrics().float_accuracy !== null);
  const bytes = Buffer.from(await page.evaluate(() => Array.from(window.quantlab.exportModel("onnx"))));
  const [download] = await Promise.all([page.waitForEvent("download"), clickView(page, "train_export_onnx_button")]);
  const saved = path.join(tmp, "button.onnx");
  await download.saveAs(saved);
  assert.equal(download.suggestedFilename(), "lenet_bn.qdq.onnx");
  assert.ok(fs.readFileSync(saved).equals(bytes), "the button's file is exportModel('onnx')");

  const file = path.join(tmp, "lab-export.onnx");
  fs.writeFileSync(file, bytes);
  const csv = await page.evaluate(() => window.quantlab.exportData());
  const lines = csv.trim().split("\n").slice(0, 200);
  const rowsFile = path.join(tmp, "export-rows.csv");
  fs.writeFileSync(rowsFile, lines.join("\n") + "\n");
  const r = run(["predict", "--model", file, "--data", "csv:" + rowsFile, "--normalize", "none", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout).outputs;
  const x = new Float32Array(lines.length * 784);
  lines.forEach((l, i) => l.split(",").slice(0, 784).forEach((v, j) => { x[i * 784 + j] = Number(v); }));
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: "basic" });
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", x, [lines.length, 1, 28, 28]) });
  const t = Object.values(out)[0];
  let worst = 0, same = 0;
  for (let i = 0; i < lines.length; i++) {
    const got = Array.from(t.data.subarray(i * 10, (i + 1) * 10));
    // The graph ends in LogSoftmax as the file did; qlab predict gives the scores before it.
    const m = Math.max(...want[i]);
    const lse = m + Math.log(want[i].reduce((s, v) => s + Math.exp(v - m), 0));
    const wantFinished = want[i].map((v) => v - lse);
    worst = Math.max(worst, rowError(got, wantFinished));
    same += argmax(got) === argmax(wantFinished);
  }
  console.log(`# export: onnxruntime against qlab predict on ${lines.length} rows: largest difference ${worst.toExponential(2)} of the row's largest`);
  assert.equal(same, lines.length);
  assert.ok(worst < 1e-4, `worst ${worst}`);

  // PTQ of the imported model (a real click on Calibrate), then QAT fine-tuning from its weights.
  await clickView(page, "train_calibrate_button");
  let m = await waitFor(page, () => window.quantlab.metrics().ptq);
  assert.ok(m.ptq.accuracy > 0.8, `PTQ ${JSON.stringify(m.ptq)}`);
  assert.equal(await page.evaluate(() => window.quantlab.step(5)), 5);
  m = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.batches === 5 && x.test_accuracy !== null; });
  assert.ok(m.model_imported);
  assert.ok(m.test_accuracy > 0.8, `after 5 batches of QAT: ${m.test_accuracy}`);
  assert.deepEqual(errors, []);
  await context.close();
});

// A 10 MB model, past the lab's training limit of 2e6 parameters but within its import limit,
// opens by link and is studied; its export is the same network (the same outputs, the same size
// within the graph's names). The timings are scripts/bench_onnx_browser.mjs's, not a test's.
test("a 10 MB model (2.65e6 parameters) opens by link, is studied and exports back", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&data=mnist&model=big/ten.onnx");
  const m = await waitFor(page, ready, "ten.onnx", 120000);
  assert.equal(m.model, "onnx:ten.onnx");
  assert.equal(m.import.layers, 4);
  assert.equal(m.import.url, "big/ten.onnx");
  assert.ok(m.float_accuracy >= 0 && m.float_accuracy < 0.3, `untrained: ${m.float_accuracy}`);
  const size = fs.statSync(path.join(bigDir, "ten.onnx")).size;
  assert.ok(size > 10e6, `${size} bytes`);
  const back = await page.evaluate(() => window.quantlab.exportModel("onnx").length);
  assert.ok(Math.abs(back - size) < 4096, `export ${back} bytes, file ${size}`);
  assert.deepEqual(errors, []);
  await context.close();
});
