// End-to-end tests of touch on a phone (390 x 844) and a tablet (820 x 1180), hasTouch and
// isMobile: one tap on a lesson tab opens that lesson, a finger drag moves a slider. ImGui 1.86 gets a touch's jump and press in the same frame from GLFW and
// misses such a tap; the JS shell hands the lab each move, press and release instead, one step
// a frame (web/ui/touch_input).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, center, touchTap, openTouch as openPhone } from "./browser.mjs";

const lab = useLab();

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
