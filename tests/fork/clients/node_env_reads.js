// A worker spawns with env:{ONLY_IN_CHILD:'yes'} while the main thread keeps
// reading process.env: natively it never sees the child's environment. Then
// a command found through the child's own PATH.
// Usage: node node_env_reads.js ROUNDS PATH_DIR NAME
'use strict';
const cp = require('child_process');
const { Worker, isMainThread, workerData } = require('worker_threads');

if (isMainThread) {
  const [rounds, dir, name] = [Number(process.argv[2] || 200), process.argv[3], process.argv[4]];
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(__filename, { workerData: { done, rounds } });
  let wrong = 0;
  let reads = 0;
  while (Atomics.load(done, 0) === 0) {
    if (process.env.ONLY_IN_CHILD !== undefined) wrong++;
    if (process.env.PATH === undefined) wrong++;
    reads++;
  }
  worker.on('exit', () => {
    console.log(`env reads: wrong=${wrong} main_read=${reads > 0}`);
    const found = cp.spawnSync(name, ['found', 'through', "the child's", 'PATH'], { env: { PATH: dir } });
    console.log('path-env: ' + JSON.stringify({ error: found.error && found.error.code,
      status: found.status, out: found.stdout && found.stdout.toString() }));
  });
} else {
  let ok = 0;
  for (let i = 0; i < workerData.rounds; i++) {
    const r = cp.spawnSync('/bin/sh', ['-c', 'echo "$ONLY_IN_CHILD"'], { env: { ONLY_IN_CHILD: 'yes' } });
    if (r.stdout.toString() === 'yes\n') ok++;
  }
  require('fs').writeSync(1, `worker: ${ok} of ${workerData.rounds} children saw their env\n`);
  Atomics.store(workerData.done, 0, 1);
}
