// The melody attributes of the attribute vectors (Roberts et al. 2018, sec. 5.3), measured by the
// engine (src/notes/attributes.c, mvae_note_attributes: their one definition, which the trainer's
// training/attribute_vectors.py uses too): density (note onsets per bar), pitch (mean MIDI pitch),
// range (highest minus lowest pitch), syncopation (the fraction of onsets off the quarter-note beat).
import { InvalidArgumentError } from './errors.mjs';
import { loadEngine } from './musicvae.mjs';
import { sequenceToRecords } from './sequences.mjs';

/** The attribute names, in the engine's order: ['density', 'pitch', 'range', 'syncopation']. */
export async function attributeNames(options) {
  const engine = await loadEngine(options);
  const names = [];
  for (let a = 0; ; a++) {
    const name = engine.M.UTF8ToString(engine.M._mvae_attribute_name(a));
    if (!name) return names;
    names.push(name);
  }
}

/**
 * A quantized melody NoteSequence's attributes over its first numSteps steps (4 per quarter):
 * {density, pitch, range, syncopation}; without notes density is 0 and the others NaN.
 */
export async function melodyAttributes(sequence, numSteps = 32, options) {
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new InvalidArgumentError(`numSteps ${numSteps} is not a positive integer`);
  const engine = await loadEngine(options);
  const names = await attributeNames(options);
  const records = sequenceToRecords(sequence, 0, numSteps, 4), count = records.length / 7;
  return engine.withMemory((alloc) => {
    const notes = alloc(Math.max(records.length, 1) * 4), out = alloc(4 * names.length), err = alloc(256);
    engine.i32(notes, records.length).set(records);
    const status = engine.M._mvae_note_attributes(notes, count, numSteps, out, err, 256);
    if (status !== engine.C.MVAE_OK) throw engine.error(status, engine.M.UTF8ToString(err));
    const values = engine.f32(out, names.length);
    return Object.fromEntries(names.map((n, a) => [n, values[a]]));
  });
}
