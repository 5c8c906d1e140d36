// Node.js client for the benchmark: holds a large Buffer (every page written,
// so it is resident) and times child_process.spawnSync('/bin/true').
// Usage: node node-spawn.js GIB COUNT  -> one JSON line.
// Hazards: Buffer.alloc(n) may hand back untouched zero pages, so the buffer
// is filled with a non-zero byte; libuv forks for every spawn, which is what
// forkless's fork emulation (libuv's uv_spawn is a known exec-bound site)
// replaces. A failed spawn is counted, not thrown.
'use strict';
const { spawnSync } = require('child_process');

const gib = Number(process.argv[2] || 2);
const count = Number(process.argv[3] || 100);
const held = Buffer.alloc(Math.round(gib * 2 ** 30), 1);

const samples = [];
let failures = 0;
for (let i = 0; i < count; i++) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/bin/true');
  samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  if (result.status !== 0) failures++;
}
samples.sort((a, b) => a - b);
const rank = (fraction) => samples[Math.max(0, Math.ceil(fraction * samples.length) - 1)];
const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
console.log(JSON.stringify({
  kind: 'node', gib, spawns: samples.length, failures,
  p50_us: rank(0.5), p99_us: rank(0.99), mean_us: mean, held_bytes: held.length,
}));
