// Child process of bench/run.mjs: our engine in headless Chromium (playwright-core), fp32 and int8,
// each in a fresh browser context (its own renderer: the engine is compiled again and no JIT state
// is shared). The page imports wasm_api/index.mjs and bench/ops.mjs from bench/run.mjs's server, as
// a site would. Prints one `RESULT {json}` line.
//   node bench/browser.mjs '{"base": URL, "chromium": PATH, "runs": N, "warmup": W, "long": true}'
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);

// Runs in the page (playwright sends its source): no closure over this module.
async function inPage({ base, model, longModel, options, runs, warmup }) {
  const api = await import(`${base}/wasm_api/index.mjs`);
  const { oursOps, timeOps } = await import(`${base}/bench/ops.mjs`);
  const inputs = await (await fetch(`${base}/build/bench/inputs.json`)).json();
  const t0 = performance.now();
  const m = new api.MusicVAE(`${base}/build/bench/${model}`, options);
  await m.initialize();
  const loadMs = performance.now() - t0;
  let long = null;
  if (longModel) {
    long = new api.MusicVAE(`${base}/build/bench/${longModel}`, options);
    await long.initialize();
  }
  const { ms, errors } = await timeOps(oursOps(m, inputs, long), { runs, warmup });
  const { kernels } = m.info;
  const { build } = await api.engineInfo();
  const { threads } = m;
  m.dispose();
  if (long) long.dispose();
  return { loadMs, ms, errors, kernels, build, threads, isolated: self.crossOriginIsolated };
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const result = { version: `Chromium ${browser.version()}` };
  // The page is cross-origin isolated (bench/run.mjs's server sends COOP / COEP): threads 1 asks
  // for the single-thread build, {} for the engine's default (the pthreads build, the core count).
  const one = { threads: 1 };
  const runs = [['fp32', 'fp32', one], ['q8', 'q8', one], ['q8float', 'q8', { ...one, int8Compute: false }],
    ['q8threads', 'q8', {}]];
  for (const [key, kind, options] of runs) {
    const model = `mel_2bar_small.${kind}.mvae`;
    const longModel = cfg.long ? `mel_16bar_on_2bar.${kind}.mvae` : null;
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(0);
    await page.goto(`${cfg.base}/`);
    result[key] = await page.evaluate(inPage, { base: cfg.base, model, longModel, options, runs: cfg.runs, warmup: cfg.warmup });
    await context.close();
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
}
