// End-to-end tests of the embed (embed.html, one lesson for a course page's iframe) at every width
// a course page gives it, 300 to 1200 CSS px: nothing crosses the right edge (browser.mjs cutOff,
// scrolled through to the lesson's end) and the lesson's main control is on screen and works with
// real input (a mouse drag along the Formats lesson's w slider; at 360 px also a finger).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, openLab, openTouch, cutOff, getState } from "./browser.mjs";

const lab = useLab();
const QUERY = "embed.html?panel=formats&format=fixed:w=8,f=4&x=0.3";
const HEIGHT = 640;

const slider = async (page) => (await page.evaluate(() => window.quantlab.widgets()))
  .find((w) => w.kind === "slider" && /^w /.test(w.label));

// cutOff at each screenful, scrolling down with the wheel until the lesson's end is on screen.
async function cutOffScrolled(page, width) {
  const problems = new Set();
  for (let i = 0; i < 12; ++i) {
    for (const p of await cutOff(page)) problems.add(p);
    const layout = (await page.evaluate(() => window.quantlab.metrics())).layout;
    const parts = Object.entries(layout).filter(([k]) => /^(view|controls)$/.test(k)).map(([, r]) => r);
    if (parts.every((r) => r.y + r.height <= HEIGHT)) break;
    await page.mouse.move(width / 2, HEIGHT / 2);
    await page.mouse.wheel(0, HEIGHT * 0.7);
    await settle(page, 4);
  }
  return [...problems];
}

// A mouse drag along a slider from 10 px in to `fraction` of its width, in steps over frames.
async function dragSlider(page, rect, fraction) {
  const y = rect.y + rect.height / 2, x0 = rect.x + 10, x1 = rect.x + rect.width * fraction;
  await page.mouse.move(x0, y);
  await settle(page, 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; ++i) {
    await page.mouse.move(x0 + ((x1 - x0) * i) / 8, y);
    await settle(page, 1);
  }
  await page.mouse.up();
  await settle(page, 3);
}

for (const width of [300, 360, 600, 900, 1200]) {
  test(`embed at ${width} px: nothing past the right edge; the w slider is on screen and a drag sets the format`, async () => {
    const { page, context, errors } = await openLab(lab.browser, lab.url + QUERY, { width, height: HEIGHT });
    await settle(page, 6);
    const m = await page.evaluate(() => window.quantlab.metrics());
    assert.equal(m.embedded, true);
    assert.equal(m.ui.narrow, width < 600, `one column below 600 px (${width})`);
    const w = await slider(page);
    assert.ok(w, "the w slider is drawn");
    assert.ok(w.rect.y >= 0 && w.rect.y + w.rect.height <= HEIGHT && w.rect.x + w.rect.width <= width,
      `the w slider is on screen without scrolling: ${JSON.stringify(w.rect)}`);
    assert.ok(w.rect.width >= 100, `the w slider is ${w.rect.width} px wide`);
    await page.screenshot({ path: path.join(outDir, `embed-${width}.png`) });
    // Dragged from its left end (w=2 or so) to 90%: w grows, to near the top of its range.
    await dragSlider(page, w.rect, 0.9);
    const format = (await getState(page)).format;
    const bits = Number((/w=(\d+)/.exec(format) || [])[1]);
    assert.ok(bits > 8, `the drag to 90% raised w from 8: ${format}`);
    assert.deepEqual(await cutOffScrolled(page, width), [], `cut off at ${width} px`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("embed at 360 px on a phone: a finger drag on the w slider sets the format; nothing past the edge", async () => {
  const { page, context, errors, cdp } = await openTouch(lab.browser, lab.url + QUERY, { width: 360, height: HEIGHT });
  const w = await slider(page);
  // From a third of the way in (the frame; its label is at the right) to its left end.
  const y = w.rect.y + w.rect.height / 2, x0 = w.rect.x + w.rect.width / 3, x1 = w.rect.x + 2;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: x0, y }] });
  for (let i = 1; i <= 8; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: x0 + ((x1 - x0) * i) / 8, y }] });
  }
  await page.waitForTimeout(80);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  const bits = Number((/w=(\d+)/.exec((await getState(page)).format) || [])[1]);
  assert.ok(bits < 8, `a drag to the left end lowered w from 8: ${bits}`);
  assert.deepEqual(await cutOff(page), []);
  await page.screenshot({ path: path.join(outDir, "embed-360-touch.png") });
  assert.deepEqual(errors, []);
  await context.close();
});
