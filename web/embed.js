// Embedding MusicVAE in any page, with one line:
//
//   <script type="module" src="https://YOUR-HOST/musicvae/embed.js"></script>
//   <musicvae-explorer model="mel_2bar_small"></musicvae-explorer>   (the full explorer)
//   <musicvae-player model="mel_2bar_small" seed="7"></musicvae-player> (a small player)
//
// Everything (engine, worker, models) is loaded relative to this file, so the elements work on any
// page that can load it (from another origin the host must send CORS headers; see web/README.md).
export { MusicVAEExplorer } from './src/explorer.mjs';
export { MusicVAEPlayer } from './src/player.mjs';
