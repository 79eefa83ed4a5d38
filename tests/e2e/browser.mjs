// Shared helpers for browser tests: headless Debian Chromium (SwiftShader WebGL2) via
// playwright-core, the lab's static server on a free loopback port, and what the tests ask of a
// page (metrics, waiting for them, real clicks on recorded views). Screenshots go to out/.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { createServer, DIST } from "../../scripts/serve.mjs";

// Where the tests write their screenshots (created on import).
export const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "out");
fs.mkdirSync(outDir, { recursive: true });

// A rendered lab screenshot at 1280x800 is tens of kB; a blank or flat canvas is a few kB.
export const MIN_RENDERED_PNG_BYTES = 20000;

export const CHROMIUM = process.env.QLAB_CHROMIUM || "/usr/bin/chromium";

// Serves dist/ (scripts/make_dist.sh), the folder that gets hosted, not the build tree. Options go to
// createServer, e.g. {prefix: "/course/quantlab/"}; the URL returned ends with the prefix.
export async function startServer(dir = DIST, options = {}) {
  const server = createServer(dir, options);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  let prefix = options.prefix || "/";
  if (!prefix.startsWith("/")) prefix = "/" + prefix;
  if (!prefix.endsWith("/")) prefix += "/";
  return { server, url: `http://127.0.0.1:${port}${prefix}`, origin: `http://127.0.0.1:${port}` };
}

export async function launchBrowser() {
  // playwright-core gives every launch a fresh temporary profile (--user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic", "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
}

// Opens the lab and collects console errors and page errors, which every test treats as failures.
export async function openLab(browser, url, { width = 1280, height = 800, dpr = 1 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr });
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
    if (msg.type() === "warning") warnings.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(url);
  await page.evaluate(() => window.quantlab.ready);
  return { page, context, errors, warnings };
}

// Frames are drawn by requestAnimationFrame; wait for a few to pass after a change.
export async function settle(page, frames = 6) {
  await page.evaluate((n) => new Promise((resolve) => {
    let left = n;
    const tick = () => (--left <= 0 ? resolve() : requestAnimationFrame(tick));
    requestAnimationFrame(tick);
  }), frames);
}

// One server and one browser for a test file: started before its tests, closed after them. The
// returned object's server, url and browser are set once the tests run.
export function useLab() {
  const lab = { server: null, url: null, browser: null };
  before(async () => {
    ({ server: lab.server, url: lab.url } = await startServer());
    lab.browser = await launchBrowser();
  });
  after(async () => {
    await lab.browser?.close();
    lab.server?.close();
  });
  return lab;
}

export const metrics = (page) => page.evaluate(() => window.quantlab.metrics());
export const getState = (page) => page.evaluate(() => window.quantlab.getState());
export const center = (r) => [r.x + r.width / 2, r.y + r.height / 2];

// Waits until predicate (run in the page, with arg) holds; returns the metrics then.
export async function waitFor(page, predicate, arg, timeout = 30000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  return metrics(page);
}

// A real click on a recorded view, scrolled into sight with the wheel if it is below or above it,
// held for 120 ms as a person's:
// ImGui 1.86 reads the button once per frame, so a press and release between two busy frames
// would be missed.
export async function clickView(page, name) {
  await settle(page, 2);
  let r = (await metrics(page)).layout[name];
  assert.ok(r, `no view '${name}' in the layout`);
  const { width, height } = page.viewportSize();
  // Below or above the window's visible part: the mouse wheel over its column brings it in, as a
  // person would scroll to it (a long lesson's controls may not fit 800 px).
  for (let i = 0; i < 8 && r && (r.y < 0 || r.y + r.height > height); ++i) {
    await page.mouse.move(Math.min(Math.max(r.x + r.width / 2, 1), width - 1), height / 2);
    await page.mouse.wheel(0, r.y + r.height / 2 - height / 2);
    await settle(page, 3);
    r = (await metrics(page)).layout[name];
  }
  assert.ok(r, `no view '${name}' in the layout after scrolling to it`);
  assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= width && r.y + r.height <= height,
    `'${name}' is off screen: ${JSON.stringify(r)}`);
  await page.mouse.click(...center(r), { delay: 120 });
  await settle(page, 2);
}

// A phone (390 x 844 unless given) or tablet: touch, isMobile, 2 device pixels per CSS pixel;
// collects errors like openLab and gives a CDP session for raw touch events.
export async function openTouch(browser, url, viewport = { width: 390, height: 844 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(url);
  await page.evaluate(() => window.quantlab.ready);
  await settle(page);
  return { context, page, errors, cdp: await context.newCDPSession(page) };
}

// A finger held for `hold` ms (a person's tap: 120), the browser's own touch events. The events
// carry their time stamps (a long press is measured on them): a busy page that acknowledges the
// touch late does not stretch the tap.
export async function touchTap(cdp, page, [x, y], hold = 120) {
  const start = Date.now() / 1000;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }], timestamp: start });
  const left = start * 1000 + hold - Date.now();
  if (left > 0) await page.waitForTimeout(left);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [], timestamp: start + hold / 1000 });
  await settle(page, 3);
}

// What a phone or tablet user would find cut off at the right, one line per problem: a control
// past the page's right edge or cut by the window it is in (widgets(): full reaches past rect),
// a part of the layout past the page's edge (on a phone a lesson's parts are groups as wide as
// their widest line of text), and a scrolling column whose items reach past its right edge
// (metrics().layout's <column>_content, text included).
export async function cutOff(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const right = (r) => r.x + r.width;
    const out = [];
    for (const w of window.quantlab.widgets()) {
      const name = `${w.kind} '${w.label || w.id}' ${JSON.stringify(w.full)}`;
      if (right(w.full) > width + 1 || w.full.x < -1) out.push(`${name} crosses the page's edge`);
      else if (right(w.full) > right(w.rect) + 1) out.push(`${name} is cut by its window at x=${right(w.rect)}`);
    }
    const layout = window.quantlab.metrics().layout;
    for (const [key, r] of Object.entries(layout)) {
      if (!/(controls|views|view|lesson)(_content)?$/.test(key)) continue;  // a lesson's parts
      if (right(r) > width + 1) out.push(`${key} ${JSON.stringify(r)} crosses the page's edge`);
      const column = key.endsWith("_content") ? layout[key.slice(0, -"_content".length)] : null;
      if (column && right(r) > right(column) + 1)
        out.push(`${key}: items reach x=${right(r)}, past the column's edge at ${right(column)}`);
    }
    return out;
  });
}
