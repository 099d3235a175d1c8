// The `musicvae` CLI on bad input and failing output: MIDI files it cannot use are refused with a
// message and a non-zero exit (nothing encoded), numbers that don't parse or are out of range are
// usage errors, and a failed write leaves any old file whole, with one message style, no stack.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { CLI, ROOT, tmpdir } from './wasm_helpers.mjs';
import { mtrk, scale, smf, timeSignature } from './midi_helpers.mjs';

function run(args, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 26, ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sh = (script) => spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: ROOT });

/** No Node stack trace and no "undefined" in what the CLI printed. */
function assertClean(r, label) {
  assert.doesNotMatch(r.stderr, /^\s+at |Error: |undefined/m, `${label}: ${r.stderr}`);
}

let dir;
const file = (name, bytes) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
};
before(() => {
  dir = tmpdir('mvae-cli-io-');
});

describe('MIDI files the model cannot use are refused (exit 1, nothing written)', () => {
  test('each reproduction of issue 17 gets its reason', () => {
    const melody = mtrk(scale(16, 96, { velocity: 127 })); // 127: magenta.js would read 128, which the engine refuses
    const cases = [
      ['drums.mid', smf(0, 96, [mtrk(scale(16, 96, { channel: 9, base: 36 }))]), [], /drums\.mid: it has only drums, and this is a melody model \[BAD_MIDI\]/],
      ['ppq0.mid', smf(1, 0, [melody]), [], /ppq0\.mid: not a readable MIDI file: its time division is 0 ticks per quarter note/],
      ['smpte.mid', smf(1, 0xe250, [melody]), [], /smpte\.mid: its time division is SMPTE \(30 frames per second\)/],
      ['track.mid', smf(1, 96, [melody]), ['--track', '3'], /track\.mid: it has no track 3 \(its tracks with notes are 0\.\.0\)/],
      ['never.mid', smf(0, 96, [mtrk([[0, 0x90, 60, 100], [96, 0x90, 64, 100]])]), [], /never\.mid: the file has no notes \(its 2 note-ons never end: no note-off\)/],
      ['six8.mid', smf(1, 96, [mtrk([[0, ...timeSignature(6, 8)]]), melody]), [], /six8\.mid: it is in 6\/8 from bar 0: the model reads bars of 4 quarter notes/],
      ['text.mid', 'MThd? no', [], /text\.mid: not a readable MIDI file: it does not start with an MThd header \[BAD_MIDI\]/],
      ['late.mid', smf(1, 96, [melody]), ['--bar', '7'], /late\.mid: bar 7 is past its last note/],
    ];
    for (const [name, bytes, args, pattern] of cases) {
      const input = file(name, bytes);
      for (const command of [['encode', input], ['interpolate', input, input, '-o', path.join(dir, 'never-written.mid')]]) {
        const r = run([...command, ...args]);
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, pattern);
        assert.equal(r.stdout, '');
        assertClean(r, name);
      }
    }
    assert.ok(!fs.existsSync(path.join(dir, 'never-written.mid')));
    const missing = run(['encode', path.join(dir, 'missing.mid')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*missing\.mid: no such file or directory \(ENOENT\)/);
    // A usable file still encodes (the reference: the same file through the API is in cli.test.mjs).
    const ok = run(['encode', file('ok.mid', smf(1, 96, [melody]))]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).z[0].length, 256);
  });

  test('numbers that do not parse or are out of range: usage errors (exit 2)', () => {
    const input = file('n.mid', smf(1, 96, [mtrk(scale(16, 96))]));
    const cases = [
      [['encode', input, '--bar', '99999999999999999999'], /--bar must be an integer in 0\.\.9007199254740991, got '99999999999999999999'/],
      [['encode', input, '--bar=-1'], /--bar must be an integer/],
      [['encode', input, '--track', 'abc'], /--track must be an integer/],
      [['sample', '-t', 'abc'], /--temperature must be a number >= 0, got 'abc'/],
      [['sample', '-t', '0x10'], /--temperature must be a number/],
      [['sample', '-t', ''], /--temperature must be a number/],
      [['sample', '-t', 'Infinity'], /--temperature must be a number/],
      [['sample', '--seed=-1'], /--seed must be an integer in 0\.\.2\^64-1/],
      [['sample', '-s', '18446744073709551616'], /--seed must be an integer/],
      [['sample', '-n', '1.5'], /-n must be an integer/],
      [['sample', '-n', '1e3'], /-n must be an integer/],
      [['sample', '--qpm', '0'], /--qpm must be a number in 4\.\.1000, got '0'/],
      [['sample', '--qpm', '2000'], /--qpm must be a number in 4\.\.1000/],
      [['sample', '--qpm', '1e-300'], /--qpm must be a number in 4\.\.1000/],
      [['interpolate', input, input, '-n', '4097'], /-n must be an integer in 1\.\.4096/],
      [['interpolate', input, input, input, input, '-n', '65'], /-n must be an integer in 1\.\.64/],
      [['interpolate', input, input, input, input, '--grid', '0x5'], /--grid needs at least 1 column and row and at most 4096 points/],
      [['interpolate', input, input, input, input, '--grid', '100x100'], /at most 4096 points/],
    ];
    for (const [args, pattern] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assertClean(r, args.join(' '));
    }
    const z = file('nan.json', '{"z": [[' + Array(256).fill('0').join(',').replace(/^0/, '"x"') + ']]}');
    const nan = run(['decode', z]);
    assert.equal(nan.code, 2);
    assert.match(nan.stderr, /vector 0 value 0 is "x", not a finite number/);
  });
});

describe('failed writes: a message, exit 1, the old file whole', () => {
  let old;
  before(() => {
    old = path.join(dir, 'old.mid');
    assert.equal(run(['sample', '-s', '1', '-q', '-o', old]).code, 0);
  });
  const oldBytes = () => fs.readFileSync(old);
  const leftovers = (d) => fs.readdirSync(d).filter((f) => f.endsWith('.tmp'));

  test('missing folder, a folder, /dev/full, for -o, --json and --z-out', () => {
    const cases = [
      [['-o', path.join(dir, 'no/such/out.mid')], /cannot write .*no\/such\/out\.mid: no such file or directory \(ENOENT\)/],
      [['-o', dir], /cannot write .*: is a directory \(EISDIR\)/],
      [['-o', '/dev/full'], /cannot write \/dev\/full: no space left on device \(ENOSPC\)/],
      [['-o', old, '--json', path.join(dir, 'no/such.json')], /cannot write .*no\/such\.json: no such file or directory \(ENOENT\)/],
      [['-o', old, '--json', '/dev/full'], /cannot write \/dev\/full: no space left on device/],
      [['-o', old, '--z-out', dir], /is a directory \(EISDIR\)/],
      [['-o', old, '--z-out', path.join(dir, 'no/z.json')], /ENOENT/],
    ];
    const before = oldBytes();
    for (const [args, pattern] of cases) {
      const r = run(['sample', '-n', '2', '-s', '5', '-q', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assertClean(r, args.join(' '));
      // Nothing written when any output fails: the MIDI file beside a failing --json is untouched.
      assert.ok(oldBytes().equals(before), `${args.join(' ')}: old.mid changed`);
    }
    assert.deepEqual(leftovers(dir), []);
    const encode = run(['encode', old, '-o', path.join(dir, 'no/z.json')]);
    assert.equal(encode.code, 1);
    assert.match(encode.stderr, /^musicvae encode: cannot write .*no\/z\.json: no such file or directory \(ENOENT\)\n$/);
  });

  test('a write that fails midway (file size limit, like a full disk) keeps the old file', () => {
    const before = oldBytes();
    const r = sh(`ulimit -f 1 && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} sample -n 64 -s 2 -q -o ${JSON.stringify(old)}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot write .*old\.mid: file too large \(EFBIG\)/);
    assertClean({ stderr: r.stderr }, 'EFBIG');
    assert.ok(oldBytes().equals(before), 'old.mid is whole');
    assert.deepEqual(leftovers(dir), []);
  });

  test('a read-only file system (EROFS) keeps the old file', (t) => {
    if (sh('unshare -m true').status !== 0) return t.skip('no mount namespaces here (unshare -m)');
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    const q = JSON.stringify;
    const script = path.join(dir, 'erofs.sh');
    fs.writeFileSync(script, [
      `mount -t tmpfs -o size=1m tmpfs ${q(ro)} && cp ${q(old)} ${q(ro)}/out.mid && mount -o remount,ro ${q(ro)} || exit 9`,
      `${q(process.execPath)} ${q(CLI)} sample -s 3 -q -o ${q(ro)}/out.mid; echo "rc=$?"`,
      `cmp ${q(old)} ${q(ro)}/out.mid && echo intact; ls -a ${q(ro)}`,
    ].join('\n'));
    const r = spawnSync('unshare', ['-m', 'bash', script], { encoding: 'utf8' });
    assert.match(r.stderr, /cannot write .*ro\/out\.mid: read-only file system \(EROFS\)/, r.stderr);
    assert.match(r.stdout, /rc=1\nintact\n/);
    assert.doesNotMatch(r.stdout, /\.tmp/);
  });

  test('--split: a folder where the second file goes leaves the first one as it was', () => {
    const first = path.join(dir, 'part_1.mid');
    fs.copyFileSync(old, first);
    fs.mkdirSync(path.join(dir, 'part_2.mid'));
    const r = run(['sample', '-n', '2', '-s', '9', '--split', '-q', '-o', path.join(dir, 'part.mid')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /part_2\.mid: is a directory/);
    assert.ok(fs.readFileSync(first).equals(oldBytes()));
  });

  test('through a symlink the file it points to is replaced; stdout closed early is no error', () => {
    const real = path.join(dir, 'real.mid');
    const link = path.join(dir, 'link.mid');
    fs.writeFileSync(real, 'old');
    fs.symlinkSync(real, link);
    assert.equal(run(['sample', '-s', '4', '-q', '-o', link]).code, 0);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real).subarray(0, 4).toString(), 'MThd');
    const q = JSON.stringify;
    const piped = sh(`${q(process.execPath)} ${q(CLI)} sample -n 300 -s 1 -q --tokens -o ${q(path.join(dir, 'p.mid'))} | head -c 10 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`);
    assert.match(piped.stdout, /rc=0/);
    assert.equal(piped.stderr, '');
  });
});
