#!/usr/bin/env node
// convert.mjs: a magenta.js MusicVAE checkpoint -> one MVAE model file (docs/model-format.md).
//
//   node models/convert.mjs <checkpoint-dir-or-url> <out.mvae> [--quantize q8] [--block N] [--name NAME]
//        [--config config.json] [--description TEXT] [--license TEXT] [--source TEXT]
//        [--allow-missing-encoder]
//
// The command line of wasm_api/checkpoint.mjs (the converter itself, which the JS API and
// `musicvae convert` use too); its functions are re-exported here for the tools that import them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { convertCheckpoint, parseModelFile } from '../wasm_api/checkpoint.mjs';
import { MusicVAEError } from '../wasm_api/errors.mjs';
import { FileError, readFile, writeFiles } from '../wasm_api/files.mjs';

export * from '../wasm_api/checkpoint.mjs';

const fail = (msg) => {
  throw new UsageError(msg);
};
class UsageError extends Error {}

function readJson(file) {
  try {
    return JSON.parse(readFile(file, 'utf8'));
  } catch (e) {
    fail(e instanceof FileError ? e.message : `${file}: invalid JSON: ${e.message}`);
  }
}

// ---- Command line ------------------------------------------------------------------------------------

const USAGE = 'usage: node models/convert.mjs <checkpoint-dir-or-url> <out.mvae> [--quantize q8] [--block N] ' +
  '[--name NAME] [--config config.json] [--description TEXT] [--license TEXT] [--source TEXT] ' +
  '[--allow-missing-encoder]';

function parseArgs(argv) {
  const opts = {};
  const positional = [];
  const valued = ['quantize', 'block', 'name', 'config', 'description', 'license', 'source'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--allow-missing-encoder') opts.allowMissingEncoder = true;
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (a.startsWith('--')) {
      const key = a.slice(2);
      if (!valued.includes(key)) fail(`unknown option ${a}\n${USAGE}`);
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      opts[key] = argv[++i];
    } else positional.push(a);
  }
  if (opts.help) return { help: true };
  if (positional.length !== 2) fail(USAGE);
  if (opts.block !== undefined) {
    if (!/^[1-9][0-9]*$/.test(opts.block)) fail(`--block must be a positive integer, got ${opts.block}`);
    opts.block = Number(opts.block);
  }
  return { dir: positional[0], out: positional[1], opts };
}


async function main(argv) {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const { dir, out, opts } = args;
  const config = opts.config ? readJson(opts.config) : undefined;
  const name = opts.name ?? path.basename(path.resolve(dir));
  const { bytes, layout, dropped, missing } = await convertCheckpoint(dir, { ...opts, config, name,
    warn: (m) => process.stderr.write(`convert.mjs: warning: ${m}\n`) });
  if (dropped.length) {
    process.stderr.write(`convert.mjs: warning: encoder LSTM files missing (${missing.join(', ')}); ` +
      `dropped ${dropped.length} encoder LSTM variables: the model will not encode\n`);
  }
  writeFiles([{ file: out, data: bytes }]);
  const { meta, tensors } = parseModelFile(bytes);
  console.log(`${out}: ${bytes.length} bytes, ${tensors.size} tensors (${layout} layout); ` +
    `z ${meta['musicvae.z_size']}, ${meta['musicvae.num_steps']} steps, ${meta['musicvae.decoder']} decoder, ` +
    `output depths [${meta['musicvae.output_depths']}], ${meta['converter.type']}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    const known = e instanceof UsageError || e instanceof MusicVAEError || e instanceof FileError;
    process.stderr.write(`convert.mjs: ${known ? e.message : e.stack}\n`);
    process.exitCode = 1;
  });
}

