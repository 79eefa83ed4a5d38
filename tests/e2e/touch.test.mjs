// End-to-end tests of touch on a phone (390 x 844) and a tablet (820 x 1180), hasTouch and
// isMobile: one tap on a lesson tab opens that lesson, a finger drag moves a slider. ImGui 1.86 gets a touch's jump and press in the same frame from GLFW and
// misses such a tap; the JS shell hands the lab each move, press and release instead, one step
// a frame (web/ui/touch_input).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, center, touchTap, openTouch as openPhone } from "./browser.mjs";

const lab = useLab();

// Whether two rectangles {x, y, width, height} overlap.
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

// A person's tap: a finger held for 120 ms (browser.mjs).
const tap = (cdp, page, point) => touchTap(cdp, page, point, 120);

test("phone: one tap on each lesson tab (from widgets()) opens it", async () => {
  const { context, page, errors, cdp } = await openPhone(lab.browser, lab.url + "?panel=formats");
  const tabs = (await page.evaluate(() => window.quantlab.widgets())).filter((w) => w.kind === "tab");
  assert.equal(tabs.length, 6);
  const order = ["perceptron", "train", "precision", "layers", "ternary", "formats"];
  for (const key of order) {
    const t = tabs.find((w) => w.id === "tab_" + key);
    assert.ok(t.rect.x >= 0 && t.rect.x + t.rect.width <= 390, `tab ${key} on screen: ${JSON.stringify(t.rect)}`);
    await tap(cdp, page, center(t.rect));
    assert.equal((await page.evaluate(() => window.quantlab.getState())).panel, key, `one tap on ${key}`);
  }
  // Playwright's quick tap (press and release at once) works too.
  const train = tabs.find((w) => w.id === "tab_train");
  await page.touchscreen.tap(...center(train.rect));
  await settle(page, 4);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).panel, "train");
  await page.screenshot({ path: path.join(outDir, "touch-phone-train.png") });
  // A mouse afterwards still works (the pointer goes back to GLFW).
  const precision = tabs.find((w) => w.id === "tab_precision");
  await page.mouse.move(...center(precision.rect));
  await page.mouse.click(...center(precision.rect), { delay: 120 });
  await settle(page);
  assert.equal((await page.evaluate(() => window.quantlab.getState())).panel, "precision");
  assert.deepEqual(errors, []);
  await context.close();
});

test("tablet: a finger dragging Formats' w slider sees its value above the finger", async () => {
  const { context, page, errors, cdp } = await openPhone(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4", { width: 820, height: 1180 });
  const w = (await page.evaluate(() => window.quantlab.widgets())).find((x) => x.kind === "slider" && /^w /.test(x.label));
  assert.ok(w, "the w slider is drawn");
  const y = w.rect.y + w.rect.height / 2, x0 = w.rect.x + w.rect.width * 0.3;
  let x = x0;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }] });
  for (let i = 1; i <= 6; ++i) {
    await page.waitForTimeout(30);
    x = x0 + i * w.rect.width * 0.05;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y }] });
  }
  await settle(page, 4);
  const b = await page.evaluate(() => window.quantlab.metrics().touch_value);
  const shown = (await page.evaluate(() => window.quantlab.widgets())).find((s) => s.id === w.id);
  await page.screenshot({ path: path.join(outDir, "touch-tablet-bubble.png") });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  assert.ok(b, "a bubble while the finger drags");
  const bits = Number((/w=(\d+)/.exec((await page.evaluate(() => window.quantlab.getState())).format) || [])[1]);
  assert.ok(bits > 8, `the drag raised w: ${bits}`);
  assert.equal(Number(b.text), bits, `the bubble showed the slider's value: '${b.text}'`);
  assert.ok(shown, "the slider is still drawn");
  const tip = { x: x - 22, y: y - 22, width: 44, height: 44 };
  assert.ok(!overlap(b, tip) && b.y + b.height <= y - 22, `above the fingertip: ${JSON.stringify(b)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("tablet: one tap on each lesson tab opens it", async () => {
  const { context, page, errors, cdp } = await openPhone(lab.browser, lab.url + "?panel=formats", { width: 820, height: 1180 });
  const tabs = (await page.evaluate(() => window.quantlab.widgets())).filter((w) => w.kind === "tab");
  assert.equal(tabs.length, 6);
  for (const key of ["ternary", "layers", "precision", "train", "perceptron", "formats"]) {
    await tap(cdp, page, center(tabs.find((w) => w.id === "tab_" + key).rect));
    assert.equal((await page.evaluate(() => window.quantlab.getState())).panel, key, `one tap on ${key}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

// A finger put down on a slider and moved along it, a step every 30 ms as a person drags.
async function drag(cdp, page, [x0, y], x1, y1 = y) {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: x0, y }] });
  for (let i = 1; i <= 10; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: x0 + ((x1 - x0) * i) / 10, y: y + ((y1 - y) * i) / 10 }] });
  }
  await page.waitForTimeout(100);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
}

test("phone: a finger drag along a slider (found by name in widgets()) moves it by the dragged fraction", async () => {
  const { context, page, errors, cdp } = await openPhone(lab.browser, lab.url + "?panel=train&data=digits&dropout=0");
  // On a phone the lesson is one column: swipe up (on the window's left margin) until the slider
  // is wholly on screen.
  const find = async () => (await page.evaluate(() => window.quantlab.widgets())).find((w) => w.label === "dropout");
  for (let i = 0; i < 10; ++i) {
    const s = await find();
    if (s && s.rect.height >= 40 && s.rect.y > 100 && s.rect.y + s.rect.height < 800) break;
    await drag(cdp, page, [4, 700], 4, 300);
  }
  const slider = await find();
  assert.ok(slider, "the dropout slider is drawn");
  assert.equal(slider.kind, "slider");
  const r = slider.rect;
  assert.ok(r.y + r.height <= 844 && r.x + r.width <= 390, JSON.stringify(r));
  // From a tenth of the way along to 60%: ImGui's slider follows the finger across its range
  // (0 to 0.9), less the grab's width at the ends: 0.9 x 0.6 = 0.54 at most. At 390 px the
  // controls' column clips the slider's right end (rect is the part on screen), so the fraction of
  // the whole slider is smaller: at least 0.25 here.
  const y = r.y + r.height / 2;
  await drag(cdp, page, [r.x + r.width * 0.1, y], r.x + r.width * 0.6);
  const up = (await page.evaluate(() => window.quantlab.getState())).dropout;
  assert.ok(up > 0.25 && up < 0.6, `dropout after dragging to 60%: ${up}`);
  // And back to a quarter: it goes down, by about the same share.
  await drag(cdp, page, [r.x + r.width * 0.6, y], r.x + r.width * 0.25);
  const down = (await page.evaluate(() => window.quantlab.getState())).dropout;
  assert.ok(down < up - 0.12 && down > 0.05, `dropout after dragging back to 25%: ${down} (from ${up})`);
  assert.deepEqual(errors, []);
  await context.close();
});


test("phone: while a finger drags a slider its value shows above the finger, clear of the fingertip; a mouse drag shows none", async () => {
  const { context, page, errors, cdp } = await openPhone(lab.browser, lab.url + "?panel=train&data=digits&dropout=0");
  const find = async () => (await page.evaluate(() => window.quantlab.widgets())).find((w) => w.label === "dropout");
  for (let i = 0; i < 10; ++i) {
    const s = await find();
    if (s && s.rect.height >= 40 && s.rect.y > 200 && s.rect.y + s.rect.height < 800) break;
    await drag(cdp, page, [4, 700], 4, 350);
  }
  const r = (await find()).rect;
  assert.ok(r.y > 200, `the slider is low enough for the bubble to go above it: ${JSON.stringify(r)}`);
  const bubble = () => page.evaluate(() => window.quantlab.metrics().touch_value);
  const dropout = async () => (await page.evaluate(() => window.quantlab.getState())).dropout;
  assert.equal(await bubble(), null, "no bubble before a touch");
  // The finger goes down at 10% and moves to 50%, and stays down.
  const y = r.y + r.height / 2, x0 = r.x + r.width * 0.1;
  let x = x0;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }] });
  for (let i = 1; i <= 8; ++i) {
    await page.waitForTimeout(30);
    x = x0 + (r.width * 0.4 * i) / 8;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y }] });
  }
  await settle(page, 4);
  const b1 = await bubble();
  assert.ok(b1, "a bubble while the finger drags the slider");
  // The slider prints "dropout %.2f"; the lesson applies the value when the finger lifts.
  const shown = (b) => Number((/^dropout (\d\.\d\d)$/.exec(b.text) || [])[1]);
  const v1 = shown(b1);
  assert.ok(v1 > 0.1 && v1 < 0.6, `the bubble shows the dragged value: '${b1.text}'`);
  assert.ok(Math.abs(b1.finger.x - x) < 1 && Math.abs(b1.finger.y - y) < 1, `at the finger: ${JSON.stringify(b1.finger)} vs ${[x, y]}`);
  // The fingertip covers about 44 x 44 px around the touch point: the bubble is clear of it,
  // above it, and on the screen.
  const tip = { x: x - 22, y: y - 22, width: 44, height: 44 };
  assert.ok(!overlap(b1, tip), `bubble ${JSON.stringify(b1)} clear of the fingertip ${JSON.stringify(tip)}`);
  assert.ok(b1.y + b1.height <= y - 22 && b1.y >= 0, `above the finger: ${JSON.stringify(b1)}`);
  assert.ok(b1.x >= 0 && b1.x + b1.width <= 390 && b1.width > 30 && b1.height >= 14, JSON.stringify(b1));
  assert.equal((await page.evaluate(() => window.quantlab.metrics().tooltip)), null,
    "no tooltip over the controls below a dragging finger");
  await page.screenshot({ path: path.join(outDir, "touch-slider-bubble.png") });
  // Further along, still down: the bubble follows the finger and the value.
  for (let i = 1; i <= 4; ++i) {
    await page.waitForTimeout(30);
    x += r.width * 0.05;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y }] });
  }
  await settle(page, 4);
  const b2 = await bubble(), v2 = shown(b2);
  assert.ok(v2 > v1, `further right, more dropout: '${b1.text}' -> '${b2.text}'`);
  assert.ok(Math.abs(b2.finger.x - x) < 1 && b2.x > b1.x, `the bubble moved with the finger: ${b1.x} -> ${b2.x}`);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  assert.equal(await bubble(), null, "gone when the finger lifts");
  assert.equal(await dropout(), v2, "the value the bubble showed last is the slider's value");
  // A mouse drag moves the slider but shows no bubble (the pointer does not hide the value).
  const s = (await find()).rect;
  await page.mouse.move(s.x + s.width * 0.1, s.y + s.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 6; ++i) {
    await page.mouse.move(s.x + s.width * (0.1 + 0.08 * i), s.y + s.height / 2);
    await settle(page, 1);
  }
  await settle(page, 3);
  const during = await bubble();
  await page.mouse.up();
  await settle(page, 3);
  assert.notEqual(await dropout(), v2, "the mouse dragged the slider");
  assert.equal(during, null, "no bubble for a mouse drag");
  // The slider near the top of the screen (the window swiped up, held before lifting: no
  // momentum): no room above the finger, so the bubble goes beside it, still on the screen.
  const s1 = (await find()).rect;
  await drag(cdp, page, [4, s1.y + s1.height / 2], 4, 45);
  const t = (await find()).rect;
  assert.ok(t.y < 60 && t.y >= 0, `the slider is at the top: ${JSON.stringify(t)}`);
  const ty = t.y + t.height / 2, tx = t.x + t.width * 0.3;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: tx, y: ty }] });
  for (let i = 1; i <= 4; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: tx + i * 4, y: ty }] });
  }
  await settle(page, 4);
  const b3 = await bubble();
  await page.screenshot({ path: path.join(outDir, "touch-slider-bubble-top.png") });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  assert.ok(b3, "a bubble at the top too");
  const tip3 = { x: tx + 16 - 22, y: ty - 22, width: 44, height: 44 };
  assert.ok(!overlap(b3, tip3), `bubble ${JSON.stringify(b3)} clear of the fingertip ${JSON.stringify(tip3)}`);
  assert.ok(b3.x >= 0 && b3.y >= 0 && b3.x + b3.width <= 390 && b3.y + b3.height <= 844, `on the screen: ${JSON.stringify(b3)}`);
  assert.deepEqual(errors, []);
  await context.close();
});
