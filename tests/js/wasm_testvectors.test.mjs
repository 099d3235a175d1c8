// All 539 shared test vectors through the WebAssembly build: Magenta's real mel_2bar_small decoder in
// fp32 must reproduce every greedy decode exactly (their smallest top-1 / top-2 logit gap is 0.047);
// the int8 model must agree exactly as much as the native int8 build does.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MusicVAE } from '../../wasm_api/index.mjs';
import {
  FP32_MODEL, Q8_MODEL, loadTestVectors, nativeTestVectors, requireFile, sequenceToEvents, eventsToSequence,
} from './wasm_helpers.mjs';

const cases = loadTestVectors();

async function greedy(file) {
  const m = new MusicVAE(file);
  const { tokens } = await m.decodeTokens(cases.map((c) => c.mu));
  const sequences = await m.decode(cases.slice(0, 40).map((c) => c.mu));
  m.dispose();
  return { tokens, sequences };
}

function agreement(tokens) {
  let exact = 0, steps = 0;
  tokens.forEach((t, i) => {
    const same = cases[i].greedy_events.filter((e, s) => e === t[s]).length;
    steps += same;
    exact += same === 32;
  });
  return { exact, stepPercent: (100 * steps) / (32 * cases.length) };
}

test('fp32: all 539 greedy decodes are exact', async () => {
  requireFile(FP32_MODEL, 'run bash models/build.sh (scripts/build.sh does)');
  assert.equal(cases.length, 539);
  const { tokens, sequences } = await greedy(FP32_MODEL);
  tokens.forEach((t, i) => assert.deepEqual(Array.from(t), cases[i].greedy_events, `case ${i} (${cases[i].id})`));
  // decode() (NoteSequences) carries the same melodies.
  sequences.forEach((ns, i) => assert.deepEqual(sequenceToEvents(ns),
    sequenceToEvents(eventsToSequence(cases[i].greedy_events)), `case ${i}`));
});

test('q8: the same agreement as the native int8 build', async () => {
  const { tokens } = await greedy(Q8_MODEL);
  const wasm = agreement(tokens);
  const native = nativeTestVectors(Q8_MODEL);
  assert.equal(native.cases, 539);
  assert.equal(wasm.exact, native.exact);
  assert.equal(wasm.stepPercent.toFixed(4), native.stepPercent.toFixed(4));
  assert.ok(wasm.exact >= 538, `${wasm.exact} exact`);
});
