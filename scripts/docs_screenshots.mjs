// Writes the README's screenshots (docs/*.png) from the built dist/ in headless Chromium:
// one per lesson, each in a state worth showing. Usage: node scripts/docs_screenshots.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle, clickView } from "../tests/e2e/browser.mjs";

const docs = path.resolve(fileURLToPath(new URL("../docs", import.meta.url)));
const { server, url } = await startServer();
const browser = await launchBrowser();

async function shot(query, file, prepare = async () => {}) {
  const { page, context } = await openLab(browser, url + query, { width: 1280, height: 800 });
  await settle(page, 10);
  await prepare(page);
  await page.mouse.move(1275, 795);  // no tooltip in the picture
  await settle(page, 10);
  await page.screenshot({ path: path.join(docs, file) });
  await context.close();
}

const finished = (page, test) => page.waitForFunction(test, null, { timeout: 180000, polling: 250 });
try {
  await shot("?panel=formats&format=float:e=4,m=3&x=2.7&lo=-20&hi=20", "formats-panel.png");
  await shot("?panel=perceptron&set=linear&margin=0.1&atoms=lattice:range=1,points=32&seed=1", "perceptron-panel.png",
    async (page) => {
      await page.evaluate(() => window.quantlab.toggleRun());
      await finished(page, () => { const m = window.quantlab.metrics(); return m.converged && m.jobs.every((j) => j.state !== "running"); });
    });
  await shot("?panel=train&data=digits&hidden=32&weights=fixed:w=4,f=2&epochs=8&seed=1", "train-panel.png",
    async (page) => {
      await finished(page, () => window.quantlab.metrics().rows_train > 0);
      await page.evaluate(() => window.quantlab.toggleRun());
      await finished(page, () => window.quantlab.metrics().epoch >= 8 && !window.quantlab.metrics().running);
      await clickView(page, "train_calibrate_button");  // scrolled into sight if it is below
      await finished(page, () => window.quantlab.metrics().ptq);
    });
  // The analysis lessons: train the shared model by step(), then wait for each lesson's jobs.
  const trainThen = (ready) => async (page) => {
    await finished(page, () => window.quantlab.metrics().model !== "");
    const batches = () => page.evaluate(() => { const m = window.quantlab.metrics(); return m.batches ?? m.model_batches; });
    for (let i = 0; i < 40 && (await batches()) < 135; i++)
      await page.evaluate(() => window.quantlab.step(50));
    await finished(page, ready);
  };
  await shot("?panel=precision&data=digits&hidden=32&act=hardsigmoid&epochs=3&ba=5&bw=7&seed=1", "precision-panel.png",
    async (page) => {
      await trainThen(() => window.quantlab.metrics().analysis.state === "finished")(page);
      await clickView(page, "precision_bitflip_button");
      await finished(page, () => {
        const m = window.quantlab.metrics();
        return m.p_m_sim !== null && m.bitflip.state === "finished" && m.options && m.options.A !== null &&
          m.grid.every((r) => r.p_m_noise_linear !== null && r.thm2 !== null);
      });
    });
  await shot("?panel=layers&data=digits&hidden=32&epochs=3&lbits=6&seed=1", "layers-panel.png",
    trainThen(() => {
      const m = window.quantlab.metrics();
      return m.layers.length > 0 && m.sweep.state === "finished" && m.tradeoff_state === "finished" && m.tradeoff.length > 0;
    }));
  await shot("?panel=ternary&data=digits&hidden=32&epochs=3&tblock=16&ttol=0.05&keep=2&seed=1", "ternary-panel.png",
    trainThen(() => { const m = window.quantlab.metrics(); return m.state === "finished" && m.levels.length > 0; }));
  await shot("?panel=ternary&data=digits&hidden=32&epochs=3&tblock=16&ttol=0.05&tview=pareto&seed=1", "pareto-view.png",
    trainThen(() => { const m = window.quantlab.metrics(); return m.pareto && m.pareto.state === "finished"; }));
  await shot("?panel=ternary&data=digits&hidden=32&epochs=3&tblock=16&ttol=0.05&tview=tables&seed=1", "kundu-tables.png",
    trainThen(() => { const m = window.quantlab.metrics(); return m.tables && m.tables.state === "finished"; }));
  console.log("wrote docs/formats-panel.png, docs/perceptron-panel.png, docs/train-panel.png, docs/precision-panel.png, " +
              "docs/layers-panel.png, docs/ternary-panel.png, docs/pareto-view.png, docs/kundu-tables.png");
} finally {
  await browser.close();
  server.close();
}
