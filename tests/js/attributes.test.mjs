// Attribute vectors (models/mel_2bar_small.attributes.json, training/attribute_vectors.py): adding
// +2 of an attribute's vector to random latent vectors gives decoded melodies higher in that
// attribute than adding -2, measured by the engine's own definition (melodyAttributes,
// mvae_note_attributes), for each of density, pitch, range and syncopation. And the measure itself
// on a hand-worked melody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { attributeNames, melodyAttributes } from '../../wasm_api/attributes.mjs';
import { ROOT, Q8_MODEL } from './wasm_helpers.mjs';

const VECTORS = path.join(ROOT, 'models/mel_2bar_small.attributes.json');
const SAMPLES = 50;

test('the engine measures a hand-worked melody', async () => {
  assert.deepEqual(await attributeNames(), ['density', 'pitch', 'range', 'syncopation']);
  // 2 bars (32 steps): onsets at steps 0, 3, 8, 13 (two of four off the beat), pitches 60 64 67 72.
  const note = (pitch, s, e) => ({ pitch, quantizedStartStep: s, quantizedEndStep: e, velocity: 90 });
  const ns = { notes: [note(60, 0, 3), note(64, 3, 8), note(67, 8, 13), note(72, 13, 20)],
    quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 32 };
  const a = await melodyAttributes(ns, 32);
  assert.equal(a.density, 2); // 4 onsets over 2 bars
  assert.equal(a.pitch, (60 + 64 + 67 + 72) / 4);
  assert.equal(a.range, 12);
  assert.equal(a.syncopation, 0.5);
  const empty = await melodyAttributes({ notes: [], quantizationInfo: { stepsPerQuarter: 4 } }, 32);
  assert.equal(empty.density, 0);
  assert.ok(Number.isNaN(empty.pitch));
});

test('each attribute vector moves decoded samples the right way (+2 vs -2, 50 random z)', async () => {
  const doc = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
  const model = new MusicVAE(Q8_MODEL);
  await model.initialize();
  assert.equal(doc.z_size, model.zDims);
  assert.deepEqual(doc.attributes.map((a) => a.name), await attributeNames());
  const z = await model.sampleLatents(SAMPLES, 2024);
  const mean = (xs) => { const f = xs.filter(Number.isFinite); return f.reduce((s, x) => s + x, 0) / f.length; };
  for (const attr of doc.attributes) {
    const moved = async (k) => {
      const zs = z.map((row) => row.map((x, d) => x + k * attr.vector[d]));
      const melodies = await model.decode(zs);
      return Promise.all(melodies.map((m) => melodyAttributes(m, 32).then((a) => a[attr.name])));
    };
    const [low, high] = [await moved(-2), await moved(2)];
    const higher = low.filter((x, i) => Number.isFinite(x) && Number.isFinite(high[i]) && high[i] > x).length;
    console.log(`# ${attr.name}: mean ${mean(low).toFixed(3)} at -2, ${mean(high).toFixed(3)} at +2 ` +
      `(higher in ${higher} of ${SAMPLES})`);
    assert.ok(mean(high) > mean(low), `${attr.name}: ${mean(high)} at +2 is not above ${mean(low)} at -2`);
    assert.ok(higher > SAMPLES / 2, `${attr.name}: higher in only ${higher} of ${SAMPLES} samples`);
  }
  model.dispose();
});
