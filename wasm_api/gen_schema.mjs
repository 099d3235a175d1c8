#!/usr/bin/env node
// Writes wasm_api/schema.mjs from src/format/schema.json (the tensor names of the model file), so
// that the checkpoint converter runs in pages and Workers, where the repository's src/ is not
// served: `node wasm_api/gen_schema.mjs`. tests/js/checkpoint.test.mjs fails if schema.mjs is stale.
import fs from 'node:fs';

export function schemaModule() {
  const schema = JSON.parse(fs.readFileSync(new URL('../src/format/schema.json', import.meta.url), 'utf8'));
  return '// Written by wasm_api/gen_schema.mjs from src/format/schema.json: edit that file, not this one.\n' +
    `export const TENSOR_NAMES = Object.freeze(${JSON.stringify(schema.names, null, 2)});\n`;
}

if (process.argv[1] && new URL(`file://${process.argv[1]}`).href === import.meta.url) {
  fs.writeFileSync(new URL('./schema.mjs', import.meta.url), schemaModule());
}
