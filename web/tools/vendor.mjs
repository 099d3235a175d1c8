// Writes web/vendor/tonejs-midi.mjs: @tonejs/midi's UMD bundle (node_modules) wrapped as an ES module,
// so that the page imports it as it is in the repo (no bundler, no CDN). Run after an upgrade of
// @tonejs/midi: `node web/tools/vendor.mjs`; tests/js/web_build.test.mjs checks the file is current.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG = path.resolve(WEB, '../node_modules/@tonejs/midi');

/** {'tonejs-midi.mjs': text, 'tonejs-midi.LICENSE.md': text} from the installed package. */
export function vendorFiles() {
  const bundle = path.join(PKG, 'build/Midi.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm ci`);
  const { version } = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  const source = fs.readFileSync(bundle, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  const text = `// @tonejs/midi ${version} (MIT licence, tonejs-midi.LICENSE.md), its UMD build wrapped as an ES
// module by web/tools/vendor.mjs.
const module = { exports: {} };
const exports = module.exports;
${source}
export const { Midi, Track, Header } = module.exports;
export default module.exports;
`;
  return { 'tonejs-midi.mjs': text, 'tonejs-midi.LICENSE.md': fs.readFileSync(path.join(PKG, 'LICENSE.md'), 'utf8') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.join(WEB, 'vendor');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(vendorFiles())) fs.writeFileSync(path.join(dir, name), text);
  console.log(`web/tools/vendor.mjs: wrote ${dir}`);
}
