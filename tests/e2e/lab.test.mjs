// End-to-end tests of the lab in headless Chromium: it loads without console errors, the JS API
// and the URL follow each other, a real mouse click moves the value, screenshots change, bad URL
// values fall back visibly, and the canvas tracks window size and devicePixelRatio.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openLab, settle, outDir, MIN_RENDERED_PNG_BYTES, useLab, clickView, metrics, getState } from "./browser.mjs";

const lab = useLab();

// A key held for a few frames (ImGui 1.86 reads keys once per frame).
async function hold(page, key, modifier) {
  if (modifier) await page.keyboard.down(modifier);
  await page.keyboard.down(key);
  await page.waitForTimeout(150);
  await page.keyboard.up(key);
  if (modifier) await page.keyboard.up(modifier);
  await settle(page, 2);
}

test("loads, reports ready and shows the default format with correct numbers", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await settle(page);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.panel, "formats");
  assert.equal(state.format, "fixed:w=8,f=4");
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.quantized, 0.3125);          // 0.3 -> 5 * 2^-4
  assert.equal(m.atoms, 256);
  assert.equal(m.delta, 0.03125);             // half the step over [-2, 2]
  assert.equal(m.code, 5);
  const shot = await page.screenshot({ path: path.join(outDir, "formats-default.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES, `screenshot only ${shot.length} bytes`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("setState drives getState, the URL and the picture", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await settle(page);
  const before = await page.screenshot();
  const result = await page.evaluate(() =>
    window.quantlab.setState({ format: "float:e=4,m=3", x: 2.7, lo: -20, hi: 20 }));
  assert.deepEqual({ ok: result.ok, errors: result.errors }, { ok: true, errors: [] });
  assert.deepEqual(result.changed, ["format", "x", "lo", "hi"]);
  await settle(page);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.format, "float:e=4,m=3");
  assert.equal(state.x, 2.7);
  const search = new URLSearchParams(await page.evaluate(() => location.search));
  assert.equal(search.get("format"), "float:e=4,m=3");
  assert.equal(search.get("x"), "2.7");
  assert.equal(search.get("lo"), "-20");
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.quantized, 2.75);            // step 0.25 in [2, 4)
  assert.equal(m.atoms, 239);                 // e4m3 IEEE-style: 2*(14*8+7)+1
  const after = await page.screenshot({ path: path.join(outDir, "formats-float.png") });
  assert.ok(!before.equals(after), "the picture did not change after setState");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a copied URL restores the same lab", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=fixed:w=4,f=2&x=0.3");
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.format, "fixed:w=4,f=2");
  assert.equal(state.x, 0.3);
  assert.equal((await page.evaluate(() => window.quantlab.metrics())).quantized, 0.25);
  assert.deepEqual(errors, []);
  await context.close();
});

test("bad URL values show a message, fall back, and the lab still renders", async () => {
  const { page, context, errors, warnings } =
    await openLab(lab.browser, lab.url + "?format=fixed:w=99,f=2&x=abc&rounding=rne");
  await settle(page);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.format, "fixed:w=8,f=4");
  assert.equal(state.x, 0.3);
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.messages.length, 2);
  assert.match(m.messages[0], /key 'w' must be from 2 to 53, got 99/);
  assert.match(m.messages[1], /'abc' is not a finite number/);
  assert.ok(warnings.some((w) => w.includes("key 'w'")), "the message also goes to the console");
  const shot = await page.screenshot({ path: path.join(outDir, "formats-bad-url.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES);
  // The URL now holds the good state, so a reload does not repeat the error.
  const search = new URLSearchParams(await page.evaluate(() => location.search));
  assert.equal(search.get("format"), "fixed:w=8,f=4");
  // A bad setState is refused with a message and leaves the state alone.
  const r = await page.evaluate(() => window.quantlab.setState({ format: "float:e=1,m=2", x: 1 }));
  assert.equal(r.ok, false);
  assert.match(r.errors[0], /key 'e' must be from 2 to 11/);
  const s2 = await page.evaluate(() => window.quantlab.getState());
  assert.equal(s2.format, "fixed:w=8,f=4");
  assert.equal(s2.x, 1);
  const r2 = await page.evaluate(() => window.quantlab.setState(null));
  assert.equal(r2.ok, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a mouse click on the number line moves x there, through ImGui and the core", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await settle(page);
  // The panel reports where it drew the number line: [lo, hi] = [-2, 2] inside 16 px padding.
  const line = (await page.evaluate(() => window.quantlab.metrics())).layout.number_line;
  const left = line.x + 16, right = line.x + line.width - 16, y = line.y + 0.58 * line.height;
  const px = left + (right - left) * (1.0 - -2) / 4;
  await page.mouse.click(px, y);
  await settle(page);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.ok(Math.abs(state.x - 1.0) < 0.02, `x=${state.x} after clicking at 1.0`);
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("x"), String(state.x));
  assert.deepEqual(errors, []);
  await context.close();
});

test("every format kind works in the lab; data-dependent ones are fitted and say so", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  const cases = [
    ["int:b=4,scale=0.3,zero=2", 0.3, 0.3],
    ["ternary:alpha=1,threshold=0.3", 0.31, 1],
    ["binary:alpha=0.5", -0.01, -0.5],
    ["codebook:values=-1;0;0.25;2", 0.2, 0.25],
    ["lattice:range=1,points=5", 0.3, 0.5],
  ];
  for (const [format, x, want] of cases) {
    const r = await page.evaluate((s) => window.quantlab.setState(s), { format, x });
    assert.deepEqual({ ok: r.ok, errors: r.errors }, { ok: true, errors: [] }, format);
    const m = await page.evaluate(() => window.quantlab.metrics());
    assert.equal(m.quantized, want, format);
    assert.equal(m.fit_note, "");
  }
  // Kundu's fitted ternary: alpha* and T* come from a seeded N(0,1) sample, shown to the user.
  await page.evaluate(() => window.quantlab.setState({ format: "ternary", x: 2, seed: 1 }));
  await settle(page);
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.match(m.fit_note, /^fitted to 4096 samples of N\(0,1\) \(seed 1\): ternary:alpha=/);
  const alpha = Number(/alpha=([0-9.e-]+)/.exec(m.format)[1]);
  // For N(0,1) the optimal ternary alpha is about 1.22 (threshold about 0.61).
  assert.ok(alpha > 1.1 && alpha < 1.35, `alpha* = ${alpha}`);
  assert.equal(m.quantized, alpha);
  await page.screenshot({ path: path.join(outDir, "formats-ternary.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("dragging on the 2-D atom grid moves (x, y) and stores it at the nearest atoms", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?format=fixed:w=4,f=1&lo=-4&hi=4");
  await settle(page);
  const grid = (await page.evaluate(() => window.quantlab.metrics())).layout.atom_grid;
  assert.ok(grid.width > 200 && Math.abs(grid.width - grid.height) < 1, JSON.stringify(grid));
  const pad = 10, side = grid.width;
  const toPx = (v) => grid.x + pad + ((v + 4) / 8) * (side - 2 * pad);
  const toPy = (v) => grid.y + side - pad - ((v + 4) / 8) * (side - 2 * pad);
  await page.mouse.move(toPx(1.3), toPy(-2.2));
  await page.mouse.down();
  await page.mouse.move(toPx(1.3), toPy(-2.2) + 1);
  await page.mouse.up();
  await settle(page);
  const s = await page.evaluate(() => window.quantlab.getState());
  assert.ok(Math.abs(s.x - 1.3) < 0.1, `x = ${s.x}`);
  assert.ok(Math.abs(s.y + 2.2) < 0.1, `y = ${s.y}`);
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.quantized, Math.round(s.x * 2) / 2);
  assert.equal(m.quantized_y, Math.round(s.y * 2) / 2);
  await page.screenshot({ path: path.join(outDir, "formats-grid.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("step(n) walks x across the atoms", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  const moved = await page.evaluate(() => window.quantlab.step(3));
  assert.equal(moved, 3);
  // From 0.3 the atoms above are 0.3125, 0.375, 0.4375.
  assert.equal((await page.evaluate(() => window.quantlab.getState())).x, 0.4375);
  assert.equal(await page.evaluate(() => window.quantlab.step(-1)), 1);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).x, 0.375);
  await page.evaluate(() => window.quantlab.setState({ x: 7.9375 }));
  assert.equal(await page.evaluate(() => window.quantlab.step(5)), 0, "no atom above max");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the canvas fills the window, follows resizes and is sharp on high-DPI screens", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url, { width: 900, height: 700, dpr: 2 });
  await settle(page);
  let size = await page.evaluate(() => {
    const c = document.getElementById("canvas");
    return { w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight };
  });
  assert.deepEqual(size, { w: 1800, h: 1400, cssW: 900, cssH: 700 });
  await page.setViewportSize({ width: 700, height: 500 });
  await settle(page);
  size = await page.evaluate(() => {
    const c = document.getElementById("canvas");
    return { w: c.width, h: c.height };
  });
  assert.deepEqual(size, { w: 1400, h: 1000 });
  const shot = await page.screenshot({ path: path.join(outDir, "formats-hidpi-narrow.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a block format opened by URL shows one block: its shared scale, codes and stored values", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=mxfp4&seed=1&lo=-4&hi=4&x=0.3",
    { width: 1280, height: 1300 });
  await settle(page);
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.bits_per_value, 4.25);
  const b = m.block;
  assert.equal(b.size, 32);
  assert.equal(b.element, "fp4:e2m1");
  assert.equal(b.scale_format, "e8m0");
  assert.equal(b.bits_per_value, 4.25);
  assert.equal(b.values.length, 32);
  assert.equal(b.quantized.length, 32);
  // MX v1.0 §6.3 by hand: X = 2^(floor(log2 max|v|) - 2); each element the nearest of
  // X * {0, 0.5, 1, 1.5, 2, 3, 4, 6} (ties to the even code), clamped to 6 X, sign kept.
  const amax = Math.max(...b.values.map(Math.abs));
  const k = Math.floor(Math.log2(amax)) - 2;
  assert.equal(b.scale, 2 ** k);
  assert.equal(b.scale_bits, (k + 127).toString(2).padStart(8, "0"));
  const atoms = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
  b.values.forEach((v, i) => {
    const a = Math.abs(v) / b.scale;
    let best = 0;
    for (let j = 1; j < atoms.length; j++) {
      const d = Math.abs(atoms[j] - a), db = Math.abs(atoms[best] - a);
      if (d < db || (d === db && j % 2 === 0)) best = j;
    }
    assert.equal(Math.abs(b.quantized[i]), atoms[best] * b.scale, `element ${i}: ${v}`);
    assert.equal(b.codes[i], (v < 0 ? 8 : 0) + best, `code ${i}`);
  });
  const shot = await page.screenshot({ path: path.join(outDir, "formats-mxfp4.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES, `screenshot only ${shot.length} bytes`);
  // NVFP4 and group-wise int through setState: E4M3 and FP16 scale bits, bits per value.
  let r = await page.evaluate(() => window.quantlab.setState({ format: "nvfp4" }));
  assert.equal(r.ok, true);
  const nv = (await page.evaluate(() => window.quantlab.metrics())).block;
  assert.equal(nv.size, 16);
  assert.equal(nv.scale_format, "fp8:e4m3,sat=1");
  assert.equal(nv.bits_per_value, 4.5);
  assert.equal(nv.scale_bits.length, 8);
  r = await page.evaluate(() => window.quantlab.setState({ format: "int:b=4,group=32" }));
  assert.equal(r.ok, true);
  const g = (await page.evaluate(() => window.quantlab.metrics())).block;
  assert.equal(g.bits_per_value, 4.5);
  assert.equal(g.scale_bits.length, 16);
  const gmax = Math.max(...g.values.map(Math.abs));
  assert.ok(Math.abs(g.scale - gmax / 7) < gmax / 7 * 2 ** -10, `FP16 scale ${g.scale} for max ${gmax}`);
  g.quantized.forEach((q) => assert.ok(Number.isInteger(Math.round(q / g.scale)) && Math.abs(q / g.scale) <= 7));
  await page.screenshot({ path: path.join(outDir, "formats-int4-group.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("the format's controls come from the kinds' declarations; a refused value is explained under its control", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats");
  await settle(page);
  let layout = (await metrics(page)).layout;
  for (const name of ["formats_kind", "formats_param_w", "formats_param_f", "formats_param_overflow", "formats_spec"])
    assert.ok(layout[name], `no ${name} in the layout`);
  // The kind picker lists every kind the parser knows; a kind starts at its first example.
  await clickView(page, "formats_kind");
  await clickView(page, "formats_kind_codebook");
  const first = "codebook:values=-1;-0.5;-0.25;0;0.25;0.5;1";
  assert.equal((await getState(page)).format, first);
  // A list the parser refuses: its message under the field, and the lab keeps its format.
  await clickView(page, "formats_param_values");
  await hold(page, "a", "Control");
  await page.keyboard.type("1;x;3");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 3);
  assert.equal((await getState(page)).format, first);
  layout = (await metrics(page)).layout;
  assert.ok(layout.formats_error, "no message under the control");
  assert.ok(layout.formats_error.y > layout.formats_param_values.y, "the message is under the field");
  await page.mouse.move(1275, 795);  // no tooltip over the message
  await settle(page, 2);
  await page.screenshot({ path: path.join(outDir, "formats-controls-refused.png") });
  // A good list is applied (the format sorts it) and the message goes.
  await clickView(page, "formats_param_values");
  await hold(page, "a", "Control");
  await page.keyboard.type("2;-1;0");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 3);
  assert.equal((await getState(page)).format, "codebook:values=2;-1;0");
  let m = await metrics(page);
  assert.equal(m.format, "codebook:values=-1;0;2");
  assert.equal(m.layout.formats_error, undefined);
  // The kind's other form.
  await clickView(page, "formats_form_k-means");
  assert.equal((await getState(page)).format, "codebook:kmeans=8");
  // int: the group-wise form keeps b, and a switch writes its key.
  await page.evaluate(() => window.quantlab.setState({ format: "int:b=6,scale=0.1" }));
  await clickView(page, "formats_form_group-wise");
  assert.equal((await getState(page)).format, "int:b=6,group=128");
  await clickView(page, "formats_param_asym");
  assert.equal((await getState(page)).format, "int:b=6,group=128,asym=1");
  m = await metrics(page);
  assert.equal(m.block.size, 128);
  await page.mouse.move(1275, 795);
  await settle(page, 2);
  await page.screenshot({ path: path.join(outDir, "formats-controls-int-group.png") });
  assert.deepEqual(errors, []);
  await context.close();
});
