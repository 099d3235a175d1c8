// Child process of bench/run.mjs: our engine in headless Chromium (playwright-core), fp32 and int8,
// each in a fresh browser context (its own renderer: the engine is compiled again and no JIT state
// is shared). The page imports wasm_api/index.mjs and bench/ops.mjs from bench/run.mjs's server, as
// a site would. Prints one `RESULT {json}` line.
//   node bench/browser.mjs '{"base": URL, "chromium": PATH, "runs": N, "warmup": W}'
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);

// Runs in the page (playwright sends its source): no closure over this module.
async function inPage({ base, model, options, runs, warmup }) {
  const api = await import(`${base}/wasm_api/index.mjs`);
  const { oursOps, timeOps } = await import(`${base}/bench/ops.mjs`);
  const inputs = await (await fetch(`${base}/build/bench/inputs.json`)).json();
  const t0 = performance.now();
  const m = new api.MusicVAE(`${base}/build/bench/${model}`, options);
  await m.initialize();
  const loadMs = performance.now() - t0;
  const { ms, errors } = await timeOps(oursOps(m, inputs), { runs, warmup });
  const { kernels } = m.info;
  m.dispose();
  return { loadMs, ms, errors, kernels };
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const result = { version: `Chromium ${browser.version()}` };
  const runs = [['fp32', 'mel_2bar_small.fp32.mvae', {}], ['q8', 'mel_2bar_small.q8.mvae', {}],
    ['q8float', 'mel_2bar_small.q8.mvae', { int8Compute: false }]];
  for (const [key, model, options] of runs) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(0);
    await page.goto(`${cfg.base}/`);
    result[key] = await page.evaluate(inPage, { base: cfg.base, model, options, runs: cfg.runs, warmup: cfg.warmup });
    await context.close();
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
}
