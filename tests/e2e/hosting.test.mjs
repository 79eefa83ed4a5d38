// Hosting tests: dist/ holds exactly the lab's files within the download budget, works under a
// sub-path, embeds in iframes with locked settings (the sample course page), `npm start`'s server
// binds loopback unless HOST says otherwise, and uploads that are too large or dropped are answered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle, outDir } from "./browser.mjs";
import { DIST, COURSE_EXAMPLE } from "../../scripts/serve.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

// What a browser downloads before the first frame (data/ comes later, on demand).
const FIRST_DOWNLOAD = ["index.html", "quantlab.js", "quantlab.wasm", "quantlab-shell.js", "style.css"];
// quantlab-worker.js: the training worker, started once the lab is up (it gets the compiled wasm
// from the page, so the wasm is not downloaded twice).
const EXPECTED = [...FIRST_DOWNLOAD, "embed.html", "quantlab-worker.js", "data/digits.csv", "data/mnist-images.idx", "data/mnist-labels.idx",
  "data/fashion-images.idx", "data/fashion-labels.idx"];  // Fashion-MNIST's test set, for imported models
const BUDGET_BYTES = 4 * 1024 * 1024;
const SUB = "/course/quantlab/";

function listFiles(dir, rel = "") {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]);
}

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test("dist/ holds exactly the lab's files, and the first download fits the 4 MB budget", () => {
  assert.deepEqual(listFiles(DIST).sort(), [...EXPECTED].sort());
  const size = (f) => fs.statSync(path.join(DIST, f)).size;
  const first = FIRST_DOWNLOAD.reduce((sum, f) => sum + size(f), 0);
  console.log(`first download: ${(first / 1048576).toFixed(2)} MB (wasm ${(size("quantlab.wasm") / 1048576).toFixed(2)} MB)`);
  assert.ok(first <= BUDGET_BYTES, `first download ${first} bytes > ${BUDGET_BYTES}`);
  // The datasets are the real ones, byte for byte, under the names the lessons fetch.
  assert.equal(size("data/digits.csv"), fs.statSync(path.join(repo, ".deps/datasets/sklearn/digits.csv")).size);
  assert.equal(size("data/mnist-images.idx"), 16 + 10000 * 28 * 28);  // IDX header + 10,000 28x28 images
  assert.equal(size("data/mnist-labels.idx"), 8 + 10000);
  // Every URL in the pages is relative, so the folder can live under any sub-path.
  for (const page of ["index.html", "embed.html"]) {
    const html = fs.readFileSync(path.join(DIST, page), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(refs.filter((r) => r.startsWith("/") || /^https?:/.test(r)), [], `${page}: ${refs}`);
  }
});

test("under the sub-path /course/quantlab/ the lab starts and fetches its data relative to the page", async () => {
  const { server, url, origin } = await startServer(DIST, { prefix: SUB });
  try {
    // Outside the prefix: 404; the folder without its slash redirects (relative URLs need it).
    assert.equal((await fetch(origin + "/index.html")).status, 404);
    assert.equal((await fetch(origin + "/course/index.html")).status, 404);
    const bare = await fetch(origin + "/course/quantlab?panel=formats", { redirect: "manual" });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get("location"), SUB + "?panel=formats");
    const head = await fetch(url + "data/mnist-images.idx", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), 7840016);

    const { page, context, errors } = await openLab(browser, url + "?panel=formats&format=fixed:w=4,f=2&x=0.3");
    const state = await page.evaluate(() => window.quantlab.getState());
    assert.equal(state.format, "fixed:w=4,f=2");
    assert.equal((await page.evaluate(() => window.quantlab.metrics())).quantized, 0.25);  // 0.3 -> 1 * 2^-2
    const got = await page.evaluate(async () => {
      const r = await fetch("data/digits.csv");
      const text = await r.text();
      return { url: r.url, status: r.status, length: Number(r.headers.get("Content-Length")), bytes: text.length,
               rows: text.trim().split("\n").length, cols: text.split("\n")[0].split(",").length };
    });
    assert.equal(got.url, origin + SUB + "data/digits.csv");
    assert.equal(got.status, 200);
    assert.equal(got.length, got.bytes);              // Content-Length drives the progress bar
    assert.deepEqual([got.rows, got.cols], [1797, 65]);  // sklearn digits: 1797 images, 64 pixels + label

    // The Train lesson asks the shell for data/digits.csv itself once it exists.
    const panels = (await page.evaluate(() => window.quantlab.panels())).map((p) => p.key);
    if (panels.includes("train")) {
      const trainPage = await context.newPage();
      const response = trainPage.waitForResponse((r) => r.url().endsWith("/data/digits.csv"), { timeout: 30000 });
      await trainPage.goto(url + "?panel=train&data=digits");
      await trainPage.evaluate(() => window.quantlab.ready);
      const r = await response;
      assert.equal(r.url(), origin + SUB + "data/digits.csv");
      assert.equal(r.status(), 200);
      // The training worker starts from the sub-path too and takes a run.
      await trainPage.waitForFunction(() => window.quantlab.metrics().worker === "ready", null, { timeout: 30000 });
      await trainPage.evaluate(() => window.quantlab.toggleRun());
      await trainPage.waitForFunction(() => {
        const m = window.quantlab.metrics();
        return m.training_in === "worker" || m.state === "finished";
      }, null, { timeout: 30000 });
    }
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    server.close();
  }
});

test("embed.html shows one lesson without tabs and locks the hidden keys", async () => {
  const { server, url } = await startServer(DIST, { prefix: SUB });
  try {
    const full = await openLab(browser, url + "?panel=formats&format=fixed:w=4,f=2", { width: 720, height: 480 });
    await settle(full.page);
    const fullShot = await full.page.screenshot({ path: path.join(outDir, "hosting-full.png") });
    const fullMetrics = await full.page.evaluate(() => window.quantlab.metrics());
    assert.equal(fullMetrics.embedded, false);
    const tabsDrawn = (layout) => Object.keys(layout || {}).filter((k) => k.startsWith("tab_") || k === "theme_button");
    await full.context.close();

    const { page, context, errors } = await openLab(
      browser, url + "embed.html?panel=formats&format=fixed:w=4,f=2&hide=format,rounding", { width: 720, height: 480 });
    await settle(page);
    const m = await page.evaluate(() => window.quantlab.metrics());
    assert.equal(m.embedded, true);
    assert.deepEqual(m.locked, ["format", "rounding"]);
    assert.equal(m.panel, "formats");
    assert.equal(m.atoms, 16);
    // The shell records where it drew the tabs and the title's theme button; embedded, it draws neither.
    if (tabsDrawn(fullMetrics.layout).length) assert.deepEqual(tabsDrawn(m.layout), []);
    const shot = await page.screenshot({ path: path.join(outDir, "hosting-embed.png") });
    assert.ok(shot.length > 10000, "embed screenshot looks blank");
    assert.notDeepEqual(shot, fullShot);
    // The page's own chrome is only the canvas (the status note is hidden once the lab runs; the
    // screen readers' live region is a clipped 1 px box).
    const chrome = await page.evaluate(() => ({
      visible: [...document.body.children].filter((e) => e.offsetParent !== null || getComputedStyle(e).position === "fixed")
        .filter((e) => !(e.classList.contains("visually-hidden") && e.getBoundingClientRect().width <= 1))
        .filter((e) => getComputedStyle(e).display !== "none" && e.tagName !== "SCRIPT" && e.tagName !== "NOSCRIPT")
        .map((e) => e.id || e.tagName),
      embedClass: document.documentElement.classList.contains("embed"),
    }));
    assert.deepEqual(chrome, { visible: ["canvas"], embedClass: true });
    // The URL keeps hide= so a reload stays locked.
    await page.evaluate(() => window.quantlab.setState({ x: 0.5 }));
    await settle(page);
    assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("hide"), "format,rounding");
    assert.deepEqual(errors, []);
    await context.close();

    // A misspelt key locks nothing and says so.
    const bad = await openLab(browser, url + "embed.html?panel=formats&hide=formatt");
    const badMetrics = await bad.page.evaluate(() => window.quantlab.metrics());
    assert.deepEqual(badMetrics.locked, []);
    assert.ok(badMetrics.messages.some((t) => t.includes("'formatt' is not a setting")), badMetrics.messages.join(" | "));
    await bad.context.close();
  } finally {
    server.close();
  }
});

test("the sample course page embeds three lessons in iframes that start, lock, answer the page and check a goal", async () => {
  // `npm run course` layout: the course at /course/, the lab (dist/) beside it at /course/quantlab/.
  const { server, origin } = await startServer(DIST, { prefix: SUB, mounts: [["/course/", COURSE_EXAMPLE]] });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1500 } });
    const page = await context.newPage();
    const errors = [];
    page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(origin + "/course/");
    const frames = {};
    for (const id of ["fixed", "perceptron", "challenge"]) {
      frames[id] = await (await page.$(`iframe#${id}`)).contentFrame();
      await frames[id].waitForFunction(() => window.quantlab !== undefined);
      await frames[id].evaluate(() => window.quantlab.ready);
    }
    const fixed = await frames.fixed.evaluate(() => window.quantlab.metrics());
    assert.equal(frames.fixed.url().startsWith(origin + SUB + "embed.html?"), true);
    assert.equal(fixed.embedded, true);
    assert.deepEqual(fixed.locked, ["format", "rounding"]);
    assert.equal(fixed.atoms, 16);           // fixed:w=4,f=2
    assert.equal(fixed.quantized, 0.25);     // x = 0.3
    const perc = await frames.perceptron.evaluate(() => window.quantlab.metrics());
    assert.equal(perc.panel, "perceptron");
    assert.equal(perc.embedded, true);
    assert.deepEqual(perc.locked, ["atoms"]);
    assert.equal(perc.atoms, "lattice:range=1,points=4");
    assert.equal(perc.points, 200);
    // The course page drives a frame through window.quantlab: x = 2.5 clips to the last atom, 1.75.
    await page.click("button[data-x='2.5']");
    await frames.fixed.waitForFunction(() => window.quantlab.getState().x === 2.5);
    assert.equal((await frames.fixed.evaluate(() => window.quantlab.metrics())).quantized, 1.75);
    // ... and sets a locked key (only the student's controls are locked): on 4 atoms per axis updates
    // stall and the separable set is not learnt; on 32 it is (Cherkhev: delta must stay below gamma).
    await page.click("button[data-atoms='lattice:range=1,points=4']");
    await frames.perceptron.waitForFunction(() => window.quantlab.metrics().updates === 200);
    const coarse = await frames.perceptron.evaluate(() => window.quantlab.metrics());
    assert.ok(coarse.stalled > 0, `stalled ${coarse.stalled}`);
    assert.ok(coarse.train_accuracy < 0.9, `accuracy ${coarse.train_accuracy}`);
    await page.click("button[data-atoms='lattice:range=1,points=32']");
    await frames.perceptron.waitForFunction(() =>
      window.quantlab.getState().atoms === "lattice:range=1,points=32" && window.quantlab.metrics().updates === 200);
    const fine = await frames.perceptron.evaluate(() => window.quantlab.metrics());
    assert.equal(fine.stalled, 0);
    assert.equal(fine.train_accuracy, 1);
    assert.equal((await frames.fixed.evaluate(() => window.quantlab.getState())).x, 2.5);  // frames are separate
    await page.click("button[data-atoms='lattice:range=1,points=4']");
    await frames.perceptron.waitForFunction(() => window.quantlab.metrics().updates === 200);
    // The challenge frame: the goal is checked live; float weights (32 bits) do not meet it.
    await frames.challenge.waitForFunction(() => window.quantlab.metrics().rows_train > 0);
    let ch = await frames.challenge.evaluate(() => window.quantlab.metrics());
    assert.deepEqual(ch.locked, ["data", "hidden", "epochs"]);
    assert.equal(ch.challenge.active, true);
    assert.equal(ch.challenge.goal, "test_accuracy>=0.95,weight_bits<=4");
    assert.equal(ch.challenge.pass, false);
    assert.equal(ch.challenge.terms[1].value, 32);
    // The page's button picks 4-bit weights and trains 10 epochs: the lab reports PASSED.
    await page.click("button[data-weights='fixed:w=4,f=2']");
    await frames.challenge.waitForFunction(() => window.quantlab.metrics().state === "finished", null, { timeout: 60000 });
    ch = await frames.challenge.evaluate(() => window.quantlab.metrics());
    assert.equal(ch.weight_bits, 4);
    assert.ok(ch.test_accuracy >= 0.95, `test accuracy ${ch.test_accuracy}`);
    assert.equal(ch.challenge.pass, true);
    await settle(frames.fixed);
    await settle(frames.perceptron);
    await page.screenshot({ path: path.join(outDir, "hosting-course.png"), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    server.close();
  }
});

// Starts `node scripts/serve.mjs` as `npm start` does, and returns the URL it prints.
function spawnServe(env) {
  const child = spawn(process.execPath, [path.join(repo, "scripts/serve.mjs")], {
    env: { ...process.env, HOST: "", PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const printed = new Promise((resolve, reject) => {
    let out = "", err = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => reject(new Error(`serve.mjs exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error("serve.mjs printed no URL in 10 s: " + out + err)), 10000);
  });
  return { child, printed };
}

function nonLoopbackIPv4() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

test("the npm start server listens on 127.0.0.1 by default and on HOST when given", async () => {
  const { child, printed } = spawnServe({});
  try {
    const url = await printed;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers.get("content-length")), fs.statSync(path.join(DIST, "index.html")).size);
    assert.match(await r.text(), /quantlab-shell\.js/);
    // Not reachable from another interface of this machine.
    const lan = nonLoopbackIPv4();
    if (lan) await assert.rejects(fetch(url.replace("127.0.0.1", lan)));
  } finally {
    child.kill();
  }

  const other = spawnServe({ HOST: "127.0.0.2" });  // any 127/8 address is loopback on Linux
  try {
    const url = await other.printed;
    assert.match(url, /^http:\/\/127\.0\.0\.2:\d+\/$/);
    assert.equal((await fetch(url + "embed.html")).status, 200);
    await assert.rejects(fetch(url.replace("127.0.0.2", "127.0.0.1")));
  } finally {
    other.child.kill();
  }
});

test("a file over 64 MB is refused with a message and the lab keeps running; a dropped file reaches the lesson", async () => {
  const { server, url } = await startServer();
  try {
    const { page, context, errors } = await openLab(browser, url + "?panel=formats&format=fixed:w=8,f=4&x=0.3");
    const result = await page.evaluate(async () => {
      const file = new File([new Uint8Array(65 * 1024 * 1024)], "huge.csv", { type: "text/csv" });
      const shown = await window.quantlab.upload(file);
      return { shown, messages: window.quantlab.messages(), frames: window.quantlab.metrics().frames };
    });
    assert.equal(result.shown, "'huge.csv' is 65.0 MB; the lab takes files up to 64 MB");
    assert.deepEqual(result.messages.at(-1), { text: result.shown, level: "error" });
    // Still alive: frames keep coming and the state is what it was.
    await settle(page);
    assert.ok((await page.evaluate(() => window.quantlab.metrics().frames)) > result.frames);
    assert.equal((await page.evaluate(() => window.quantlab.getState())).x, 0.3);
    await page.screenshot({ path: path.join(outDir, "hosting-upload-too-large.png") });
    // The same limit for {name, bytes} objects.
    const viaBytes = await page.evaluate(() =>
      window.quantlab.upload({ name: "big.txt", bytes: new Uint8Array(64 * 1024 * 1024 + 1) }));
    assert.equal(viaBytes, "'big.txt' is 64.0 MB; the lab takes files up to 64 MB");

    // A real drop event with a DataTransfer on the canvas: the Formats lesson takes no file and says so.
    await page.evaluate(() => window.quantlab.dismissMessages());
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["0.1,0.2,1\n0.3,-0.4,0\n"], "points.csv", { type: "text/csv" }));
      const canvas = document.getElementById("canvas");
      canvas.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      canvas.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => window.quantlab.messages().some((m) => m.text.includes("points.csv")));
    const dropped = await page.evaluate(() => window.quantlab.messages());
    assert.match(dropped.at(-1).text, /the formats lesson takes no file like 'points\.csv'/);
    assert.equal(await page.evaluate(() => document.body.classList.contains("dragging")), false);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    server.close();
  }
});
