// End-to-end tests of the lab on a phone (390 x 844, hasTouch, isMobile): one column (controls
// above views), tabs that wrap instead of running off the right edge, no control's rectangle
// past the right edge in any lesson, text at least 14 CSS px, 44 CSS px hit targets, and a
// rotation that relayouts without losing the state.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, center, openTouch, touchTap as tap } from "./browser.mjs";

const lab = useLab();
const LESSONS = ["formats", "perceptron", "train", "precision", "layers", "ternary"];

const widgets = (page) => page.evaluate(() => window.quantlab.widgets());
const state = (page) => page.evaluate(() => window.quantlab.getState());
const metricsOf = (page) => page.evaluate(() => window.quantlab.metrics());

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
    const past = list.filter((w) => w.full.x + w.full.width > 390 + 1 || w.full.x < -1);
    assert.deepEqual(past.map((w) => `${w.label || w.id} ${JSON.stringify(w.full)}`), [],
      `${key}: controls past the right edge at 390 px`);
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
