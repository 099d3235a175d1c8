// The timed operations, shared by every engine (Node children and the Chromium page): no Node
// imports here. An engine supplies one async function per op key; each is called with the same
// inputs (bench/run.mjs writes them once) and must return only when its result is complete.

export const OPS = [
  { key: 'decode1', label: 'decode (greedy), batch 1' },
  { key: 'decode16', label: 'decode (greedy), batch 16' },
  { key: 'sample1', label: 'sample(1, 0.5)' },
  { key: 'encode1', label: 'encode, batch 1' },
  { key: 'encode16', label: 'encode, batch 16' },
  { key: 'interp11', label: 'interpolate, 2 sequences, 11 steps' },
  { key: 'grid55', label: 'interpolate, 4 corners, [5, 5] (the explorer\'s grid)' },
  // The 16-bar model (hierarchical: conductor + core decoder over 8 segments of 2 bars, 256 steps).
  { key: 'long1', label: '16-bar decode (greedy), batch 1' },
  { key: 'long4', label: '16-bar decode (greedy), batch 4' },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/**
 * {ms: {key: median ms}, errors: {key: message}} for the ops `impl` has (an op that throws gets
 * ms null and its error). Round robin: `warmup` rounds of every op, then `runs` timed rounds. Warming
 * every op before timing any matters: V8 compiles WebAssembly with a baseline compiler first and
 * optimises hot functions on background threads, which on a busy 2-core machine finishes late; and
 * interleaving the ops spreads bursts of other jobs' load over all of them instead of one.
 * With `cpuNow` (a clock of the process's CPU ms) the medians of CPU time come back as cpuMs too.
 */
export async function timeOps(impl, { runs, warmup, cpuNow }) {
  const keys = OPS.map((o) => o.key).filter((k) => impl[k]);
  const times = Object.fromEntries(keys.map((k) => [k, []]));
  const cpuTimes = Object.fromEntries(keys.map((k) => [k, []]));
  const errors = {};
  for (let round = -warmup; round < runs; round++) {
    for (const key of keys) {
      if (errors[key]) continue;
      const c0 = cpuNow ? cpuNow() : 0;
      const t0 = performance.now();
      try {
        await impl[key]();
      } catch (e) {
        errors[key] = String((e && e.message) || e).split('\n')[0];
        continue;
      }
      if (round >= 0) {
        times[key].push(performance.now() - t0);
        if (cpuNow) cpuTimes[key].push(cpuNow() - c0);
      }
    }
  }
  const ms = Object.fromEntries(keys.map((k) => [k, errors[k] ? null : median(times[k])]));
  if (!cpuNow) return { ms, errors };
  const cpuMs = Object.fromEntries(keys.map((k) => [k, errors[k] ? null : median(cpuTimes[k])]));
  return { ms, cpuMs, errors };
}

/**
 * CPU ms the process has used (user + system, all its threads), for timeOps' cpuNow under Node: on
 * a shared machine, wall time also counts the time the process waited for a core; this does not.
 */
export const processCpuMs = (cpuUsage) => () => {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
};

// magenta.js sorts the notes of its inputs in place; both engines get fresh copies on every call.
const copy = (x) => JSON.parse(JSON.stringify(x));

/**
 * The ops on our engine (MusicVAEs of wasm_api/, initialized): the same public API as magenta.js.
 * `long`: the 16-bar model, or null (its ops are left out).
 */
export function oursOps(m, inputs, long = null) {
  const { zs, sequences, pair, corners, longZs } = inputs;
  const z1 = [Float32Array.from(zs[0])];
  const z16 = zs.map((z) => Float32Array.from(z));
  return {
    decode1: () => m.decode(z1),
    decode16: () => m.decode(z16),
    sample1: () => m.sample(1, 0.5),
    encode1: () => m.encode(copy(sequences.slice(0, 1))),
    encode16: () => m.encode(copy(sequences)),
    interp11: () => m.interpolate(copy(pair), 11),
    grid55: () => m.interpolate(copy(corners), [5, 5]),
    ...(long ? {
      long1: () => long.decode([Float32Array.from(longZs[0])]),
      long4: () => long.decode(longZs.map((z) => Float32Array.from(z))),
    } : {}),
  };
}
