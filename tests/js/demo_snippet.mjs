// A magenta.js MusicVAE demo as users write it (after magenta-js's music/demos and the trio demo's
// `z.dispose()`), run by tests/js/mm.test.mjs once with magenta.js's namespace and once with
// musicvae-wasm/mm: everything below the parameter `mm` is the same code.
export async function demo(mm, checkpointURL) {
  // Twinkle twinkle, unquantized, as the demos write their inputs.
  const TWINKLE = {
    notes: [
      { pitch: 60, startTime: 0.0, endTime: 0.5 }, { pitch: 60, startTime: 0.5, endTime: 1.0 },
      { pitch: 67, startTime: 1.0, endTime: 1.5 }, { pitch: 67, startTime: 1.5, endTime: 2.0 },
      { pitch: 69, startTime: 2.0, endTime: 2.5 }, { pitch: 69, startTime: 2.5, endTime: 3.0 },
      { pitch: 67, startTime: 3.0, endTime: 4.0 },
    ],
    totalTime: 4,
  };
  const LITTLE = {
    notes: [
      { pitch: 65, startTime: 0.0, endTime: 0.5 }, { pitch: 65, startTime: 0.5, endTime: 1.0 },
      { pitch: 64, startTime: 1.0, endTime: 1.5 }, { pitch: 64, startTime: 1.5, endTime: 2.0 },
      { pitch: 62, startTime: 2.0, endTime: 2.5 }, { pitch: 62, startTime: 2.5, endTime: 3.0 },
      { pitch: 60, startTime: 3.0, endTime: 4.0 },
    ],
    totalTime: 4,
  };
  const inputs = [TWINKLE, LITTLE].map((ns) => mm.sequences.quantizeNoteSequence(ns, 4));

  const mvae = new mm.MusicVAE(checkpointURL);
  await mvae.initialize();

  const z = await mvae.encode(inputs);
  const zShape = z.shape;
  const zValues = await z.array();
  const reconstructed = await mvae.decode(z);
  z.dispose();

  const interpolated = await mvae.interpolate(inputs, 5);
  const concatenated = mm.sequences.concatenate(interpolated);
  const merged = mm.sequences.mergeConsecutiveNotes(concatenated);
  const midi = mm.sequenceProtoToMidi(concatenated);
  const readBack = mm.midiToSequenceProto(midi);
  const unquantized = mm.sequences.unquantizeSequence(reconstructed[0], 90);

  mvae.dispose();
  return { zShape, zValues, reconstructed, interpolated, concatenated, merged, midi, readBack, unquantized };
}
