#!/usr/bin/env node
// Writes wasm_api/schema.mjs from src/format/schema.json (the tensor names of the model file and the
// size rules of their shapes), so that the checkpoint converter runs in pages and Workers, where the
// repository's src/ is not served: `node wasm_api/gen_schema.mjs`. tests/js/checkpoint.test.mjs
// fails if schema.mjs is stale.
import fs from 'node:fs';

// A size rule ("input + units": names and whole numbers joined by + and *) as a function of an
// object of those names; a missing name throws instead of giving NaN.
function sizeFunction(key, { size, means }) {
  if (!/^\w+( [+*] \w+)*$/.test(size)) throw new Error(`size rule ${key}: '${size}' is not names and numbers joined by + and *`);
  const names = [...new Set(size.match(/\w+/g).filter((w) => !/^\d+$/.test(w)))];
  const body = size.replace(/[a-z_]\w*/g, (n) => `need(sizes.${n}, '${n}')`);
  return `  // ${means}\n  ${key}: (${names.length ? 'sizes' : ''}) => ${body},`;
}

export function schemaModule() {
  const schema = JSON.parse(fs.readFileSync(new URL('../src/format/schema.json', import.meta.url), 'utf8'));
  const rules = Object.entries(schema.sizes).filter(([key]) => key !== 'about');
  return '// Written by wasm_api/gen_schema.mjs from src/format/schema.json: edit that file, not this one.\n' +
    `export const TENSOR_NAMES = Object.freeze(${JSON.stringify(schema.names, null, 2)});\n\n` +
    'function need(value, name) {\n' +
    "  if (!Number.isInteger(value)) throw new Error(`size rule: ${name} must be an integer, got ${value}`);\n" +
    '  return value;\n}\n\n' +
    '// The size rules of the tensor shapes (schema.json "sizes"): SIZES.lstm_rows({input, units}).\n' +
    `export const SIZES = Object.freeze({\n${rules.map(([key, rule]) => sizeFunction(key, rule)).join('\n')}\n});\n`;
}

if (process.argv[1] && new URL(`file://${process.argv[1]}`).href === import.meta.url) {
  fs.writeFileSync(new URL('./schema.mjs', import.meta.url), schemaModule());
}
