// End-to-end tests of a finger's gestures and the on-screen keyboard on a phone (390 x 844,
// hasTouch, isMobile): a vertical swipe scrolls a long lesson to its end, a long press shows the
// tooltip hovering shows (and does not click), and a tap on a text field focuses the hidden
// input that brings up the keyboard, whose text reaches the lab (web/ui/touch_input,
// quantlab-shell.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settle, outDir, useLab, center, openTouch, touchTap as tap } from "./browser.mjs";

const lab = useLab();
const widgets = (page) => page.evaluate(() => window.quantlab.widgets());
const state = (page) => page.evaluate(() => window.quantlab.getState());
const metricsOf = (page) => page.evaluate(() => window.quantlab.metrics());

// A key held over a few frames (ImGui 1.86 reads keys once a frame; a quick press can fall
// between two slow frames).
async function hold(page, key) {
  await page.keyboard.down(key);
  await settle(page, 3);
  await page.keyboard.up(key);
}

// A finger from (x, y0) to (x, y1) in steps of 30 ms, as a person swipes.
async function swipe(cdp, page, x, y0, y1, steps = 10) {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y: y0 }] });
  for (let i = 1; i <= steps; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y: y0 + ((y1 - y0) * i) / steps }] });
  }
  await page.waitForTimeout(60);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
}

test("phone: swipes up scroll a long lesson until its last control is on screen", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=train&data=digits");
  const before = await state(page);
  const views0 = (await metricsOf(page)).layout.train_views;
  assert.ok(views0.y + views0.height > 844 + 100, `the lesson runs below the screen: ${JSON.stringify(views0)}`);
  const firstTop = (await widgets(page))[0].rect.y;
  // Over the lesson's text and buttons (not a slider or plot): the window follows the finger.
  for (let i = 0; i < 12; ++i) {
    const views = (await metricsOf(page)).layout.train_views;
    if (views.y + views.height <= 844) break;
    await swipe(cdp, page, 4, 760, 160);
  }
  const views1 = (await metricsOf(page)).layout.train_views;
  assert.ok(views1.y + views1.height <= 844 + 1, `the lesson's end is on screen: ${JSON.stringify(views1)}`);
  const list = await widgets(page);
  const last = list.reduce((a, w) => (w.full.y + w.full.height > a.full.y + a.full.height ? w : a));
  assert.ok(last.full.y + last.full.height <= 844 + 1 && last.full.y >= 0,
    `the last control '${last.label || last.id}' is visible: ${JSON.stringify(last.full)}`);
  assert.notEqual(list[0].rect.y, firstTop, "the window scrolled");
  // A swipe that starts on a button scrolls too, and does not press it.
  const button = list.find((w) => w.kind === "button" && w.rect.y > 300 && w.rect.height >= 40);
  if (button) {
    const [bx, by] = center(button.rect);
    await swipe(cdp, page, bx, by, Math.min(840, by + 300));
  }
  const after = await state(page);
  assert.deepEqual(after, before, "scrolling changed no setting");
  await page.screenshot({ path: path.join(outDir, "gesture-swiped-train.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("phone: a long press shows the tooltip that hovering shows, and clicks nothing", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats");
  const help = (await widgets(page)).find((w) => w.kind === "help" && w.rect.y > 0 && w.rect.y < 800);
  assert.ok(help, "a (?) marker is on screen");
  assert.equal((await metricsOf(page)).tooltip, null);
  // A quick tap: the pointer leaves when the finger lifts, no tooltip stays.
  await tap(cdp, page, center(help.rect));
  await settle(page, 3);
  assert.equal((await metricsOf(page)).tooltip, null, "no tooltip after a quick tap");
  // Held 700 ms: the tooltip, staying after the finger lifts.
  await tap(cdp, page, center(help.rect), 700);
  await settle(page, 3);
  const tip = (await metricsOf(page)).tooltip;
  assert.ok(tip && tip.width > 50 && tip.height > 10, `tooltip after a long press: ${JSON.stringify(tip)}`);
  await page.screenshot({ path: path.join(outDir, "gesture-long-press.png") });
  // A long press on "Copy link" shows its tooltip and copies nothing.
  const copy = (await widgets(page)).find((w) => w.id === "copy_link");
  await tap(cdp, page, center(copy.rect), 700);
  await settle(page, 3);
  assert.ok((await metricsOf(page)).tooltip, "Copy link's tooltip");
  assert.ok(!(await page.evaluate(() => window.quantlab.metrics().messages)).some((m) => /link/i.test(m)),
    "a long press did not copy the link");
  // The next tap elsewhere takes the tooltip away.
  await tap(cdp, page, [4, 830]);
  assert.equal((await metricsOf(page)).tooltip, null);
  assert.deepEqual(errors, []);
  await context.close();
});

test("phone: a tap on the spec field brings up the keyboard; typed text sets the format", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4");
  const field = (await widgets(page)).find((w) => w.kind === "text" && w.label === "spec");
  assert.ok(field, "the spec field is drawn");
  await tap(cdp, page, center(field.rect));
  await settle(page, 3);
  assert.equal(await page.evaluate(() => document.activeElement.id), "keyboard-input", "the hidden input has the focus");
  // Select all (a hardware key chord), then text as an on-screen keyboard sends it: input
  // events only, no keypress.
  await page.keyboard.down("Control");
  await hold(page, "a");
  await page.keyboard.up("Control");
  await settle(page, 2);
  await page.keyboard.insertText("fixed:w=6,f=3");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 4);
  assert.equal((await state(page)).format, "fixed:w=6,f=3");
  assert.notEqual(await page.evaluate(() => document.activeElement.id), "keyboard-input", "blurred when done");
  // Typed key by key (keydown, keypress, input): each character once.
  await tap(cdp, page, center(field.rect));
  await settle(page, 3);
  await page.keyboard.down("Control");
  await hold(page, "a");
  await page.keyboard.up("Control");
  await settle(page, 2);
  await page.keyboard.type("float:e=4,m=3", { delay: 40 });
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 4);
  assert.match((await state(page)).format, /^float:e=4,m=3/);
  assert.deepEqual(errors, []);
  await context.close();
});

// An Android keyboard's backspace: no key event GLFW can read (keyCode 229), only a beforeinput
// with inputType deleteContentBackward on the hidden input.
const androidBackspace = (page) => page.evaluate(() => {
  const input = document.getElementById("keyboard-input");
  input.dispatchEvent(new InputEvent("beforeinput", { inputType: "deleteContentBackward", bubbles: true, cancelable: true }));
});

test("phone: an Android keyboard's backspace (beforeinput only) deletes one character, a real Backspace key one too", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4");
  const field = (await widgets(page)).find((w) => w.kind === "text" && w.label === "spec");
  await tap(cdp, page, center(field.rect));
  await settle(page, 3);
  assert.equal(await page.evaluate(() => document.activeElement.id), "keyboard-input");
  await hold(page, "End");
  await settle(page, 2);
  // Two backspaces as Android sends them: "fixed:w=8,f=4" -> "fixed:w=8,f", then "=2" typed.
  await androidBackspace(page);
  await settle(page, 3);
  await androidBackspace(page);
  await settle(page, 3);
  await page.keyboard.insertText("=2");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 4);
  assert.equal((await state(page)).format, "fixed:w=8,f=2");
  // A hardware Backspace goes through GLFW and deletes one character, not two.
  await tap(cdp, page, center(field.rect));
  await settle(page, 3);
  await hold(page, "End");
  await settle(page, 2);
  // Down for one frame only: ImGui repeats a key held past 0.275 s, and frames here are slow.
  await page.keyboard.down("Backspace");
  await settle(page, 1);
  await page.keyboard.up("Backspace");
  await settle(page, 3);
  await page.keyboard.insertText("1");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 4);
  assert.equal((await state(page)).format, "fixed:w=8,f=1");
  assert.deepEqual(errors, []);
  await context.close();
});

test("phone: two fingers pinching the number line zoom it around their midpoint, as the wheel does; x stays", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4&x=0.3&lo=-20&hi=20");
  // The number line on screen (swipe the lesson up until it is).
  let line = (await metricsOf(page)).layout.number_line;
  for (let i = 0; i < 6 && line.y + line.height > 800; ++i) {
    await swipe(cdp, page, 4, 700, 300);
    line = (await metricsOf(page)).layout.number_line;
  }
  assert.ok(line.y > 0 && line.y + line.height < 844, `the number line is on screen: ${JSON.stringify(line)}`);
  const before = await state(page);
  const cx = line.x + line.width / 2, cy = line.y + line.height / 2;
  // Fingers 40 px apart, spread to 160 px apart: 4 times closer in.
  const points = (d) => [{ x: cx - d / 2, y: cy, id: 0 }, { x: cx + d / 2, y: cy, id: 1 }];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: points(40) });
  for (let i = 1; i <= 8; ++i) {
    await page.waitForTimeout(30);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: points(40 + 15 * i) });
  }
  await page.waitForTimeout(60);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 4);
  const after = await state(page);
  const span0 = before.hi - before.lo, span1 = after.hi - after.lo;
  assert.ok(span1 > span0 / 5 && span1 < span0 / 3, `4x pinch: range ${span0} -> ${span1}`);
  const mid0 = (before.lo + before.hi) / 2, mid1 = (after.lo + after.hi) / 2;
  assert.ok(Math.abs(mid1 - mid0) < span0 * 0.05, `zoomed around the fingers' midpoint: ${mid0} -> ${mid1}`);
  assert.equal(after.x, before.x, "the pinch did not move x");
  assert.equal(after.format, before.format);
  await page.screenshot({ path: path.join(outDir, "gesture-pinch.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("phone: a quick swipe scrolls on after the finger lifts (momentum), a held one does not, a new touch stops it", async () => {
  const { context, page, errors, cdp } = await openTouch(lab.browser, lab.url + "?panel=train&data=digits");
  const top = async () => (await metricsOf(page)).layout.train_views.y;
  // A finger from y0 to y1 in `steps` moves `every` ms apart, held `hold` ms before it lifts. The
  // events carry those times (the lab measures the finger's speed on them): on this machine a
  // busy page takes each raw event 100 ms or more late, far slower than a finger.
  const stroke = async (y0, y1, steps, every, hold) => {
    const t0 = Date.now() / 1000;
    const send = (type, touchPoints, ms) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints, timestamp: t0 + ms / 1000 });
    await send("touchStart", [{ x: 4, y: y0 }], 0);
    for (let i = 1; i <= steps; ++i) {
      await page.waitForTimeout(every);
      await send("touchMove", [{ x: 4, y: y0 + ((y1 - y0) * i) / steps }], i * every);
    }
    if (hold) await page.waitForTimeout(hold);
    await send("touchEnd", [], steps * every + hold + 4);
  };
  const rest = async () => { await page.waitForTimeout(2000); await settle(page, 4); };
  // Slow and held still before lifting: the window moves with the finger only.
  const a0 = await top();
  await stroke(600, 450, 10, 30, 250);
  await rest();
  const held = a0 - (await top());
  assert.ok(Math.abs(held - 150) < 12, `a held swipe of 150 px scrolls 150 px: ${held}`);
  // Quick (150 px in about 50 ms) and lifted at once: it goes on after the finger lifts.
  const b0 = await top();
  await stroke(600, 450, 3, 16, 0);
  await rest();
  const flung = b0 - (await top());
  assert.ok(flung > 150 * 1.5, `a quick swipe of 150 px scrolls further: ${flung} px`);
  await page.screenshot({ path: path.join(outDir, "gesture-momentum.png") });
  const bottom = async () => { const v = (await metricsOf(page)).layout.train_views; return v.y + v.height; };
  const roomLeft = (await bottom()) - 844;
  assert.ok(roomLeft > 0, "the fling reached the lesson's end (cut short by it): the lesson is too short for this test");
  // Back to the lesson's top (quick swipes down fling up to it and stop there), so that the next
  // fling, however far a slow machine's frames carry it, has the same room as the one before.
  for (let i = 0; i < 6 && (await top()) < a0; ++i) {
    await stroke(450, 600, 3, 16, 0);
    await rest();
  }
  assert.equal(await top(), a0, "quick swipes down flung the lesson back to its top");
  // The same swipe again, and a finger put down 100 ms after the lift stops the window where it
  // is: it went less far than the swipe before, and stays.
  const c0 = await top();
  await stroke(600, 450, 3, 16, 0);
  await page.waitForTimeout(100);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: 4, y: 700 }] });
  await settle(page, 3);
  const c1 = await top();
  await page.waitForTimeout(600);
  await settle(page, 3);
  const c2 = await top();
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await settle(page, 3);
  assert.ok(c0 - c1 >= 150 - 1 && c0 - c1 < flung - 50, `stopped early: ${c0 - c1} px against ${flung} px`);
  assert.ok(Math.abs(c2 - c1) < 1, `and stays: ${c1} -> ${c2}`);
  console.log(`momentum: held swipe of 150 px -> ${held} px; quick one -> ${flung} px; stopped after 100 ms -> ${c0 - c1} px; ${roomLeft} px of the lesson left below after the fling`);
  assert.ok((await bottom()) > 844, "the stopped fling reached the lesson's end: the lesson is too short for this test");
  assert.deepEqual(errors, []);
  await context.close();
});
