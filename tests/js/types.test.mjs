// The TypeScript declarations (wasm_api/index.d.ts, mm.d.ts; package.json "types") name exactly the
// values the modules export (TypeScript is not installed here, so this reads the declarations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './wasm_helpers.mjs';

// The value names a declaration file exports: classes, functions, consts, `export * as NAME`, and the
// names of `export { ... } from` lists (types and interfaces are not values).
function declaredValues(file) {
  const text = fs.readFileSync(path.join(ROOT, 'wasm_api', file), 'utf8');
  const names = new Set();
  for (const m of text.matchAll(/^export (?:declare )?(?:class|function|const|let) (\w+)/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^export \* as (\w+) from/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^export \{([^}]+)\} from/gm)) m[1].split(',').forEach((n) => names.add(n.trim().split(/\s+as\s+/).pop()));
  return [...names].sort();
}

for (const [module, types] of [['index.mjs', 'index.d.ts'], ['mm.mjs', 'mm.d.ts']]) {
  test(`${types} declares exactly what ${module} exports`, async () => {
    const exported = Object.keys(await import(`../../wasm_api/${module}`)).sort();
    assert.deepEqual(declaredValues(types), exported);
  });
}

test('package.json points at the declarations', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.types, 'wasm_api/index.d.ts');
  for (const [entry, types] of [['.', './wasm_api/index.d.ts'], ['./mm', './wasm_api/mm.d.ts']]) {
    assert.equal(pkg.exports[entry].types, types);
    assert.ok(fs.existsSync(path.join(ROOT, types)));
  }
});

test('checkpoint.d.ts declares functions checkpoint.mjs exports', async () => {
  const exported = Object.keys(await import('../../wasm_api/checkpoint.mjs'));
  const declared = declaredValues('checkpoint.d.ts');
  assert.deepEqual(declared, ['cachedCheckpoint', 'convertCheckpoint', 'isCheckpoint', 'removeCachedCheckpoint']);
  for (const name of declared) assert.ok(exported.includes(name), name);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./checkpoint'].types, './wasm_api/checkpoint.d.ts');
});
