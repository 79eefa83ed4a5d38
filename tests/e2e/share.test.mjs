// End-to-end tests of sharing and the shell's small things: "Copy link" (real click, clipboard or
// the fallback field) and shareUrl() reproduce getState() in a fresh lab; the embed's "Open in the
// full lab" opens the same state in a new tab; notes float without pushing the lesson down and
// repeats are counted; the live region for screen readers; widgets() and a click by its rects.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openLab, settle, outDir, useLab, center, metrics, getState, waitFor, clickView } from "./browser.mjs";

const lab = useLab();

// A state that differs from a fresh lab's in the open lesson and in another one (Formats' format
// and x while Perceptron is open), so the address bar's query alone would not reproduce it.
async function changeState(page) {
  const r = await page.evaluate(() => window.quantlab.setState({ format: "float:e=4,m=3", x: 1.7, theme: "dark" }));
  assert.equal(r.ok, true, JSON.stringify(r));
  await clickView(page, "tab_perceptron");  // a real click: the open lesson changes too
  assert.equal((await getState(page)).panel, "perceptron");
  const r2 = await page.evaluate(() => window.quantlab.setState({ atoms: "lattice:range=2,points=16", seed: 3 }));
  assert.equal(r2.ok, true, JSON.stringify(r2));
  await settle(page);
}

// Opens a URL as a new lab and returns its getState() (with no messages: every key was taken).
async function stateOpenedFrom(browser, url) {
  const other = await openLab(browser, url);
  const state = await getState(other.page);
  const messages = await other.page.evaluate(() => window.quantlab.messages());
  assert.deepEqual(other.errors, []);
  await other.context.close();
  return { state, messages };
}

test("Copy link (a real click) puts a URL on the clipboard that opens the same getState(); shareUrl() too", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(lab.url).origin });
  await changeState(page);
  const before = await getState(page);
  // The address bar leaves Formats' keys out of a Perceptron link: alone it would lose them.
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("format"), null);
  await page.screenshot({ path: path.join(outDir, "share-top-bar.png"), clip: { x: 0, y: 0, width: 1280, height: 80 } });
  await clickView(page, "copy_link");
  await page.waitForFunction(() => window.quantlab.messages().some((m) => m.text.startsWith("Copied a link")));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^http:\/\/127\.0\.0\.1:\d+\/\?panel=perceptron&/);
  assert.equal(new URL(copied).searchParams.get("format"), "float:e=4,m=3");
  const shared = await page.evaluate(() => window.quantlab.shareUrl());
  assert.equal(shared, copied);
  const note = (await page.evaluate(() => window.quantlab.messages())).find((m) => m.text.startsWith("Copied"));
  assert.equal(note.level, "info");
  const opened = await stateOpenedFrom(lab.browser, copied);
  assert.deepEqual(opened.messages, []);
  assert.deepEqual(opened.state, before);
  // The state it was copied in is still the lab's.
  assert.deepEqual(await getState(page), before);
  assert.deepEqual(errors, []);
  await context.close();
});

test("where the clipboard is refused, Copy link shows the link in a selected text field", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=fixed:w=6,f=2&x=-1.25");
  await page.evaluate(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
  });
  await clickView(page, "copy_link");
  await page.waitForSelector("#share-box:not([hidden])");
  const field = await page.evaluate(() => {
    const input = document.getElementById("share-url");
    return { value: input.value, start: input.selectionStart, end: input.selectionEnd, focused: document.activeElement === input };
  });
  assert.equal(field.value, await page.evaluate(() => window.quantlab.shareUrl()));
  assert.equal(new URL(field.value).searchParams.get("format"), "fixed:w=6,f=2");
  assert.deepEqual([field.start, field.end, field.focused], [0, field.value.length, true]);
  const messages = await page.evaluate(() => window.quantlab.messages());
  assert.ok(messages.some((m) => m.level === "info" && m.text.includes("did not let the lab copy")), JSON.stringify(messages));
  await page.screenshot({ path: path.join(outDir, "share-fallback-field.png") });
  const opened = await stateOpenedFrom(lab.browser, field.value);
  assert.deepEqual(opened.state, await getState(page));
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.getElementById("share-box").hidden), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the embed's Open in the full lab opens index.html in a new tab with the same state", async () => {
  const query = "?panel=formats&format=float:e=4,m=3&x=1.7&rounding=rtz&hide=format";
  const { page, context, errors } = await openLab(lab.browser, lab.url + "embed.html" + query, { width: 640, height: 480 });
  await settle(page);
  const m = await metrics(page);
  assert.equal(m.embedded, true);
  assert.ok(m.layout.open_full_lab, "the link is drawn");
  await page.screenshot({ path: path.join(outDir, "share-embed.png") });
  const before = await getState(page);
  const [tab] = await Promise.all([
    context.waitForEvent("page"),
    page.mouse.click(...center(m.layout.open_full_lab), { delay: 120 }),
  ]);
  await tab.waitForLoadState();
  const url = new URL(tab.url());
  assert.match(url.pathname, /\/index\.html$/);
  assert.equal(url.searchParams.get("format"), "float:e=4,m=3");
  assert.equal(url.searchParams.get("rounding"), "rtz");
  assert.equal(url.searchParams.get("hide"), null, "the full lab locks nothing");
  await tab.evaluate(() => window.quantlab.ready);
  const full = await tab.evaluate(() => ({ state: window.quantlab.getState(), m: window.quantlab.metrics() }));
  assert.deepEqual(full.state, before);
  assert.equal(full.m.embedded, false);
  assert.deepEqual(full.m.locked, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a note (space on a trained model) floats without moving the lesson; repeats are counted, not shown twice", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&hidden=16&epochs=1&seed=1");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  const pressSpace = async () => {
    await page.mouse.click(5, 790);
    await page.keyboard.down(" ");
    await page.waitForTimeout(120);
    await page.keyboard.up(" ");
    await settle(page, 3);
  };
  await pressSpace();  // trains the untrained model
  await waitFor(page, () => { const x = window.quantlab.metrics(); return x.trained && !x.running; }, undefined, 90000);
  await page.evaluate(() => window.quantlab.dismissMessages());
  await settle(page);
  const layoutBefore = (await metrics(page)).layout;
  await pressSpace();
  let m = await metrics(page);
  const isNote = (t) => t.startsWith("the model is trained");
  assert.ok(m.messages.some(isNote), JSON.stringify(m.messages));
  assert.equal(m.running, false);
  assert.ok(m.layout.notes, "the note is drawn in its floating box");
  assert.equal(m.layout.messages, undefined, "no warning box for a note");
  // Nothing below the hint moved: every view drawn before is where it was.
  for (const [name, r] of Object.entries(layoutBefore)) {
    if (!m.layout[name]) continue;
    assert.equal(m.layout[name].y, r.y, `${name} moved`);
  }
  const notesBox = m.layout.notes;
  assert.ok(notesBox.x + notesBox.width <= 1280 && notesBox.y + notesBox.height <= 800, JSON.stringify(notesBox));
  await page.screenshot({ path: path.join(outDir, "share-note.png") });
  // Twice more, well apart: one message, counted three times.
  for (let i = 0; i < 2; ++i) {
    await page.waitForTimeout(600);
    await pressSpace();
  }
  const messages = await page.evaluate(() => window.quantlab.messages());
  const notes = messages.filter((x) => isNote(x.text));
  assert.equal(notes.length, 1, JSON.stringify(messages));
  assert.equal(notes[0].level, "info");
  assert.equal(notes[0].count, 3);
  await page.screenshot({ path: path.join(outDir, "share-note-x3.png") });
  // An error repeated is counted the same way, in the warning box.
  for (let i = 0; i < 2; ++i) await page.evaluate(() => window.quantlab.setState({ lbits: 99 }));
  await settle(page);
  const errs = (await page.evaluate(() => window.quantlab.messages())).filter((x) => x.level === "error");
  assert.equal(errs.length, 1, JSON.stringify(errs));
  m = await metrics(page);
  assert.ok(m.layout.messages, "errors use the warning box");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a live region tells screen readers the lesson and its headline numbers when they change", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4&x=0.3");
  const canvas = await page.evaluate(() => {
    const c = document.getElementById("canvas");
    return { label: c.getAttribute("aria-label"), describedBy: c.getAttribute("aria-describedby") };
  });
  assert.match(canvas.label, /QuantLab/);
  assert.equal(canvas.describedBy, "announce");
  const live = await page.evaluate(() => {
    const el = document.getElementById("announce");
    const style = getComputedStyle(el);
    return { polite: el.getAttribute("aria-live"), w: el.getBoundingClientRect().width, clip: style.clipPath };
  });
  assert.equal(live.polite, "polite");
  assert.ok(live.w <= 1, "visually hidden");
  await page.waitForFunction(() => document.getElementById("announce").textContent.startsWith("Formats lesson"));
  // q(0.3) in fixed w=8,f=4 is 5/16 = 0.3125, error 0.0125.
  assert.equal(await page.evaluate(() => document.getElementById("announce").textContent),
    "Formats lesson: format fixed:w=8,f=4, x 0.3, quantized x 0.313, error 0.0125, SQNR of a Gaussian in dB 34.8.");
  // Not rewritten while nothing changes (frames keep coming).
  await page.evaluate(() => {
    window.__announced = 0;
    new MutationObserver(() => ++window.__announced).observe(document.getElementById("announce"), { childList: true, characterData: true, subtree: true });
  });
  await page.waitForTimeout(3200);
  assert.equal(await page.evaluate(() => window.__announced), 0);
  // A real click on another tab: the region follows within a couple of seconds.
  await clickView(page, "tab_perceptron");
  await page.waitForFunction(() => document.getElementById("announce").textContent.startsWith("Perceptron lesson:"), undefined, { timeout: 5000 });
  assert.match(await page.evaluate(() => document.getElementById("announce").textContent), /updates \d+, mistakes \d+/);
  assert.deepEqual(errors, []);
  await context.close();
  // The embed has one too.
  const embed = await openLab(lab.browser, lab.url + "embed.html?panel=formats&format=fixed:w=8,f=4&x=0.3");
  await embed.page.waitForFunction(() => document.getElementById("announce").textContent.startsWith("Formats lesson"));
  await embed.context.close();
});

test("widgets() lists the lesson tabs and controls with their rects; a click at a tab's rect opens it", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=formats&format=fixed:w=8,f=4");
  await settle(page);
  const panels = await page.evaluate(() => window.quantlab.panels());
  let widgets = await page.evaluate(() => window.quantlab.widgets());
  const tabs = widgets.filter((w) => w.kind === "tab");
  assert.deepEqual(tabs.map((t) => t.label), panels.map((p) => p.title));
  assert.deepEqual(tabs.map((t) => t.id), panels.map((p) => "tab_" + p.key));
  assert.deepEqual(tabs.map((t) => t.value), panels.map((p) => p.key === "formats"));
  const layout = (await metrics(page)).layout;
  let right = 0;
  for (const t of tabs) {
    const r = t.rect;
    assert.ok(r.width > 20 && r.height > 12 && r.height < 60 && r.y >= 0 && r.y < 100, JSON.stringify(t));
    assert.ok(r.x >= right, "tabs left to right without overlap");
    right = r.x + r.width;
    assert.deepEqual(r, layout[t.id], "the same rect as metrics().layout");
  }
  assert.ok(right <= 1280);
  for (const w of widgets) {
    assert.ok(["button", "tab", "slider", "checkbox", "radio", "combo", "text", "plot", "help"].includes(w.kind), JSON.stringify(w));
    assert.deepEqual(Object.keys(w).sort(), ["full", "id", "kind", "label", "rect", "value"]);
    // rect is the part of full inside its window.
    assert.ok(w.rect.x >= w.full.x - 0.01 && w.rect.x + w.rect.width <= w.full.x + w.full.width + 0.01, JSON.stringify(w));
  }
  // The Formats controls are there with their kinds.
  const byLabel = (label) => widgets.find((w) => w.label === label);
  assert.equal(byLabel("w (bits)").kind, "slider");
  assert.equal(byLabel("spec").kind, "text");
  assert.equal(byLabel("Copy link").kind, "button");
  assert.equal(widgets.find((w) => w.id === "number_line").kind, "plot");
  // A real click in the middle of the Train tab's rect.
  const train = tabs.find((t) => t.id === "tab_train");
  await page.mouse.click(...center(train.rect), { delay: 120 });
  await settle(page);
  assert.equal((await getState(page)).panel, "train");
  widgets = await page.evaluate(() => window.quantlab.widgets());
  assert.equal(widgets.find((w) => w.id === "tab_train").value, true);
  assert.ok(widgets.some((w) => w.kind === "checkbox" && typeof w.value === "boolean"), "Train has checkboxes");
  assert.deepEqual(errors, []);
  await context.close();
});
