// MIDI files in the explorer: reading and writing are wasm_api/midi.mjs's (the module the CLI uses,
// magenta.js's rules, linear in the file size); this file adds only the page's download.
export { MidiFileError, midiToModelInput, readMidiTracks, sequencesToMidiBytes } from '../wasm_api/midi.mjs';

/** Offers bytes as a file download. */
export function download(bytes, fileName, type = 'audio/midi') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
