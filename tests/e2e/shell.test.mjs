// End-to-end tests of the shell around the lessons: the registry matches the URL's panel names,
// tabs switch lessons by real clicks, links carry only the shared and open lesson's keys,
// setState takes several keys with rules over them, the theme button, messages(), keyboard,
// challenge links (a goal checked live against the lesson's metrics).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openLab, settle, outDir, useLab, center } from "./browser.mjs";

const PANELS = ["formats", "perceptron", "train", "precision", "layers", "ternary"];

const lab = useLab();

test("the lesson registry lists exactly the panels the URL accepts, and tabs switch them", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await settle(page);
  const panels = await page.evaluate(() => window.quantlab.panels());
  assert.deepEqual(panels.map((p) => p.key), PANELS);
  for (const p of panels) assert.ok(p.title.length > 0 && p.try.length > 10, p.key);
  assert.deepEqual(await page.evaluate(() => window.quantlab.messages()), [], "no registry mismatch message");
  // A real click on each tab opens that lesson; the URL follows.
  for (const key of ["perceptron", "train", "precision", "layers", "ternary", "formats"]) {
    const layout = (await page.evaluate(() => window.quantlab.metrics())).layout;
    assert.ok(layout["tab_" + key], `tab_${key} drawn`);
    await page.mouse.click(...center(layout["tab_" + key]));
    await settle(page);
    assert.equal((await page.evaluate(() => window.quantlab.getState())).panel, key);
    assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("panel"), key);
    assert.equal((await page.evaluate(() => window.quantlab.metrics())).panel, key);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("a link carries the shared keys and the open lesson's keys only", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=perceptron&atoms=lattice:range=2,points=16");
  await settle(page);
  let search = new URLSearchParams(await page.evaluate(() => location.search));
  assert.equal(search.get("atoms"), "lattice:range=2,points=16");
  assert.equal(search.get("seed"), "1");
  assert.equal(search.get("theme"), "light");
  assert.equal(search.get("format"), null, "formats' keys stay out of a perceptron link");
  assert.equal(search.get("hidden"), null, "train's keys stay out of a perceptron link");
  const r = await page.evaluate(() => window.quantlab.setState({ panel: "formats", format: "float:e=4,m=3", x: 3 }));
  assert.equal(r.ok, true);
  await settle(page);
  search = new URLSearchParams(await page.evaluate(() => location.search));
  assert.equal(search.get("format"), "float:e=4,m=3");
  assert.equal(search.get("atoms"), null);
  // The other lesson's settings were kept, only not written into this link.
  assert.equal((await page.evaluate(() => window.quantlab.getState())).atoms, "lattice:range=2,points=16");
  assert.deepEqual(errors, []);
  await context.close();
});

test("setState takes several keys at once; rules over several keys refuse a bad pair", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  const ok = await page.evaluate(() => window.quantlab.setState({ lo: 5, hi: 10, x: 7 }));
  assert.deepEqual(ok, { ok: true, errors: [], changed: ["x", "lo", "hi"] });
  const bad = await page.evaluate(() => window.quantlab.setState({ lo: 3, hi: 1 }));
  assert.equal(bad.ok, false);
  assert.match(bad.errors[0], /lo < hi/);
  const s = await page.evaluate(() => window.quantlab.getState());
  assert.equal(s.lo, 5);
  assert.equal(s.hi, 10);
  // The same message is in messages(), with its level, and shown in the lab.
  const messages = await page.evaluate(() => window.quantlab.messages());
  assert.ok(messages.some((m) => m.level === "error" && /lo < hi/.test(m.text)), JSON.stringify(messages));
  const big = await page.evaluate(() => window.quantlab.setState({ data: "mnist", hidden: "1024-1024-1024-1024" }));
  assert.equal(big.ok, false);
  assert.match(big.errors[0], /parameters, more than the lab's limit/);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).data, "digits");
  await page.evaluate(() => window.quantlab.dismissMessages());
  assert.deepEqual(await page.evaluate(() => window.quantlab.messages()), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the theme button switches to dark and back, and the link keeps it", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await settle(page);
  const light = await page.screenshot();
  const button = (await page.evaluate(() => window.quantlab.metrics())).layout.theme_button;
  await page.mouse.click(...center(button));
  await settle(page);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).theme, "dark");
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("theme"), "dark");
  const dark = await page.screenshot({ path: path.join(outDir, "shell-dark.png") });
  assert.ok(!light.equals(dark));
  await page.mouse.click(...center((await page.evaluate(() => window.quantlab.metrics())).layout.theme_button));
  await settle(page);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).theme, "light");
  assert.deepEqual(errors, []);
  await context.close();
});

test("keyboard: 's' steps the open lesson (Formats: x moves one atom up)", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4&x=0.25");
  await settle(page);
  await page.mouse.click(5, 790);  // focus the canvas without hitting a control
  await page.keyboard.press("s");
  await settle(page);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).x, 0.3125);
  await page.keyboard.press("s");
  await settle(page);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).x, 0.375);
  assert.deepEqual(errors, []);
  await context.close();
});

test("one wheel notch over the number line zooms by a modest step, not by orders of magnitude", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&lo=-2&hi=2&x=0");
  await settle(page);
  const line = (await page.evaluate(() => window.quantlab.metrics())).layout.number_line;
  await page.mouse.move(...center(line));
  await settle(page, 3);
  await page.mouse.wheel(0, -100);  // one notch up in Chromium (100 px)
  await settle(page);
  const up = await page.evaluate(() => window.quantlab.getState());
  const widthUp = up.hi - up.lo;
  assert.ok(widthUp > 1 && widthUp < 4, `one notch up: width ${widthUp} (was 4)`);
  await page.mouse.wheel(0, 100);
  await page.mouse.wheel(0, 100);
  await settle(page);
  const down = await page.evaluate(() => window.quantlab.getState());
  const widthDown = down.hi - down.lo;
  assert.ok(widthDown > widthUp && widthDown < 16, `two notches down: width ${widthDown}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a challenge link: locked weights, the goal fails before training and passes once it is met", async () => {
  const goal = "test_accuracy>=0.85,weight_bits<=8";
  const q = "?panel=train&data=digits&hidden=16&epochs=3&weights=fixed:w=8,f=6&hide=weights&goal=" +
    encodeURIComponent(goal);
  const { page, context, errors } = await openLab(lab.browser, lab.url + q);
  await settle(page);
  let m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.challenge.active, true);
  assert.equal(m.challenge.goal, goal);
  assert.equal(m.challenge.pass, false, "an untrained model does not meet the goal");
  assert.deepEqual(m.challenge.terms.map((t) => [t.metric, t.op, t.target]),
                   [["test_accuracy", ">=", 0.85], ["weight_bits", "<=", 8]]);
  assert.equal(m.challenge.terms[1].value, 8);
  assert.equal(m.challenge.terms[1].met, true);
  assert.ok(m.layout.challenge_status, "the challenge line is drawn");
  assert.deepEqual(m.locked, ["weights"]);
  // The locked control cannot be changed from the lab's controls (setState is the page's own API).
  for (let i = 0; i < 60 && (await page.evaluate(() => window.quantlab.metrics())).state !== "finished"; i++)
    await page.evaluate(() => window.quantlab.step(40));
  m = await page.evaluate(() => window.quantlab.metrics());
  assert.ok(m.test_accuracy >= 0.85, `trained to ${m.test_accuracy}`);
  assert.equal(m.challenge.pass, true);
  assert.equal(m.challenge.terms[0].value, m.test_accuracy);
  await settle(page, 12);
  await page.screenshot({ path: path.join(outDir, "challenge.png") });
  // Moving the weights to 10 bits breaks the second term (the goal is checked live).
  await page.evaluate(() => window.quantlab.setState({ weights: "fixed:w=10,f=8" }));
  m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.challenge.terms[1].met, false);
  assert.equal(m.challenge.pass, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a malformed goal in a link is refused with a message naming it", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&goal=accuracy%3E%3Eabc");
  await settle(page);
  const messages = await page.evaluate(() => window.quantlab.messages());
  assert.ok(messages.some((msg) => msg.text.includes("goal") && msg.text.includes("accuracy")), JSON.stringify(messages));
  const m = await page.evaluate(() => window.quantlab.metrics());
  assert.equal(m.challenge.active, false);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).goal, "");
  assert.deepEqual(errors, []);
  await context.close();
});
