// Prepended to the Node variant of the pthreads glue (wasm_api/build.sh, --extern-pre-js): Emscripten
// 3.1.6's Node code uses CommonJS's require and __dirname, which an ES module does not have.
import { createRequire as mvaeCreateRequire } from 'node:module';
const require = mvaeCreateRequire(import.meta.url);
const __filename = require('node:url').fileURLToPath(import.meta.url);
const __dirname = require('node:path').dirname(__filename);
