// End-to-end tests of the lab on a phone (390 x 844, hasTouch, isMobile) and a tablet (820 x 1180):
// one column on the phone (controls above views), tabs that wrap instead of running off the right
// edge, nothing cut off at the right in any lesson with a trained model, scrolled through to its
// end (no control past the page's or its window's edge, no line of text past its column:
// browser.mjs cutOff), text at least 14 CSS px, 44 CSS px hit targets, no empty job row, and a
// rotation that relayouts without losing the state.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, center, openTouch, touchTap as tap, cutOff } from "./browser.mjs";

const lab = useLab();
const LESSONS = ["formats", "perceptron", "train", "precision", "layers", "ternary"];

const widgets = (page) => page.evaluate(() => window.quantlab.widgets());
const state = (page) => page.evaluate(() => window.quantlab.getState());
const metricsOf = (page) => page.evaluate(() => window.quantlab.metrics());

// The shared model trained for a few hundred batches, so the analysis lessons draw their views.
async function trainModel(page) {
  await page.waitForFunction(() => window.quantlab.metrics().model !== "", null, { timeout: 120000, polling: 250 });
  for (let i = 0; i < 6; i++) await page.evaluate(() => window.quantlab.step(50));
  await page.waitForFunction(() => window.quantlab.metrics().batches >= 300, null, { timeout: 60000, polling: 250 });
}

// cutOff at every screenful of the open lesson, swiping up from its top to its end (a finger on
// the left margin, which scrolls the window; held still before it lifts, so that the window does
// not fly on past a screenful).
async function cutOffScrolled(cdp, page, height) {
  const problems = new Set();
  for (let i = 0; i < 12; ++i) {
    for (const p of await cutOff(page)) problems.add(p.replace(/"y":[-0-9.e]+,?/, ""));
    const views = Object.entries((await metricsOf(page)).layout).filter(([k]) => /(views|view|lesson)$/.test(k));
    if (views.every(([, r]) => r.y + r.height <= height)) break;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: 3, y: height - 40 }] });
    for (let k = 1; k <= 8; ++k) {
      await page.waitForTimeout(25);
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: 3, y: height - 40 - (k * (height - 140)) / 8 }] });
    }
    await page.waitForTimeout(150);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    await settle(page, 4);
  }
  return [...problems];
}

test("phone: every lesson in one column, nothing past the right edge, one tap per tab", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats");
  const m0 = await metricsOf(page);
  assert.deepEqual([m0.ui.narrow, m0.ui.touch], [true, true]);
  assert.ok(m0.ui.font_px >= 14, `text ${m0.ui.font_px} CSS px`);
  for (const key of LESSONS) {
    const tab = (await widgets(page)).find((w) => w.id === "tab_" + key);
    assert.ok(tab, `tab ${key} drawn`);
    await tap(cdp, page, center(tab.rect));
    assert.equal((await state(page)).panel, key, `one tap on ${key}`);
    await settle(page, 10);
    const list = await widgets(page);
    assert.ok(list.length > 8, `${key}: ${list.length} widgets`);
    for (const w of list.filter((x) => ["tab", "button"].includes(x.kind))) {
      assert.ok(w.full.height >= 44 - 0.5, `${key}: ${w.kind} '${w.label || w.id}' is ${w.full.height} px high`);
    }
    const layout = (await metricsOf(page)).layout;
    const names = Object.keys(layout);
    const controls = names.find((n) => n.endsWith("controls")), views = names.find((n) => n.endsWith("views") || n === "view" || n === "lesson");
    if (controls && views) {
      assert.ok(layout[controls].y + layout[controls].height <= layout[views].y + 1,
        `${key}: controls above views ${JSON.stringify([layout[controls], layout[views]])}`);
    }
    await page.screenshot({ path: path.join(outDir, `narrow-390-${key}.png`) });
  }
  assert.deepEqual(errors, []);
  await context.close();
});

// Every lesson with a trained model, scrolled to its end: nothing cut off at the right edge of the
// page, of a control's window or of a column.
for (const [name, viewport] of [["phone", { width: 390, height: 844 }], ["tablet", { width: 820, height: 1180 }]]) {
  test(`${name} (${viewport.width} px): nothing cut off at the right in any lesson, trained model`, async () => {
    const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=train&data=digits&hidden=32&seed=1", viewport);
    await trainModel(page);
    const m = await metricsOf(page);
    assert.equal(m.ui.touch, true);
    const found = {};
    for (const key of LESSONS) {
      await page.evaluate((k) => window.quantlab.setState({ panel: k }), key);
      await settle(page, 10);
      found[key] = await cutOffScrolled(cdp, page, viewport.height);
    }
    assert.deepEqual(found, Object.fromEntries(LESSONS.map((k) => [k, []])), `cut off at ${viewport.width} px`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("rotating a phone (390x844 -> 844x390 -> back) relayouts and keeps the state", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4");
  const slider = (await widgets(page)).find((w) => w.kind === "slider" && /^w /.test(w.label));
  assert.ok(slider, "the w slider is drawn");
  // A real change first: a finger drag along the slider.
  const y = slider.rect.y + slider.rect.height / 2;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: slider.rect.x + 10, y }] });
  for (let i = 1; i <= 8; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: slider.rect.x + 10 + i * slider.rect.width * 0.06, y }] });
  }
  await page.waitForTimeout(80);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  const before = await state(page);
  assert.notEqual(before.format, "fixed:w=8,f=4", "the drag changed the format");
  await page.setViewportSize({ width: 844, height: 390 });
  await settle(page, 8);
  const wide = await metricsOf(page);
  assert.equal(wide.ui.narrow, false);
  assert.deepEqual(await state(page), before);
  const lc = wide.layout.controls, lv = wide.layout.view;
  assert.ok(lv.x >= lc.x + lc.width - 1, `side by side when wide: ${JSON.stringify([lc, lv])}`);
  await page.screenshot({ path: path.join(outDir, "narrow-rotated-844.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await settle(page, 8);
  const back = await metricsOf(page);
  assert.equal(back.ui.narrow, true);
  assert.deepEqual(await state(page), before);
  assert.deepEqual(errors, []);
  await context.close();
});
