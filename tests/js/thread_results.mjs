// thread_results.mjs: what a model (MusicVAE or MusicVAEWorker) gives for the thread tests, floats
// as their bits, so that runs with other thread counts or builds compare exactly. Plain ES module
// (no Node imports): wasm_threads_node.test.mjs imports it, wasm_threads_browser.test.mjs's page too.
const bits = (f) => Array.from(new Uint32Array(Float32Array.from(f).buffer));
const rows = (r) => r.map((t) => Array.from(t));

export async function results(m) {
  const r = {};
  const s16 = await m.sampleTokens(16, 0.5, 123), s1 = await m.sampleTokens(1, 0.5, 7);
  r.sample16 = { z: s16.z.map(bits), tokens: rows(s16.tokens) };
  r.sample1 = { z: s1.z.map(bits), tokens: rows(s1.tokens) };
  const seqs = await m.tokensToSequences(s16.tokens);
  const z16 = await m.encode(seqs), z1 = await m.encode([seqs[3]]);
  r.encode16 = bits(z16.dataSync());
  r.encode1 = bits(z1.dataSync());
  r.decode16 = rows((await m.decodeTokens(z16, { temperature: 0.5, seed: 9 })).tokens);
  r.decode1 = rows((await m.decodeTokens(z1, { temperature: 0.5, seed: 9 })).tokens);
  return r;
}
