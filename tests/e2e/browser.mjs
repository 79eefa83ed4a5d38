// Shared helpers for browser tests: headless Debian Chromium (SwiftShader WebGL2) via
// playwright-core, and the lab's static server on a free loopback port.
import { chromium } from "playwright-core";
import { createServer, DIST } from "../../scripts/serve.mjs";

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
