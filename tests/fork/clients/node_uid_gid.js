// spawn with uid/gid (libuv's UV_PROCESS_SETUID/SETGID), as root: plainly,
// then from a worker while the main thread keeps calling process.setgid.
// Usage: node node_uid_gid.js ROUNDS
'use strict';
const cp = require('child_process');
const fs = require('fs');
const { Worker, isMainThread, workerData } = require('worker_threads');

const ids = { uid: 65534, gid: 65534 };
if (isMainThread) {
  const rounds = Number(process.argv[2] || 20);
  const sync = cp.spawnSync('/usr/bin/id', [], ids);
  console.log('spawnSync: ' + JSON.stringify({ status: sync.status, out: sync.stdout.toString() }));
  const child = cp.spawn('/usr/bin/id', ['-u'], ids);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.on('close', (code) => {
    console.log('spawn: ' + JSON.stringify({ code, out }));
    const done = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(__filename, { workerData: { done, rounds } });
    let calls = 0;
    while (Atomics.load(done, 0) === 0) { process.setgid(0); calls++; }
    worker.on('exit', () => console.log(`main: setgid loop ran=${calls > 0} gid=${process.getgid()}`));
  });
} else {
  let same = 0;
  for (let i = 0; i < workerData.rounds; i++) {
    const r = cp.spawnSync('/usr/bin/id', ['-g'], ids);
    if (r.status === 0 && r.stdout.toString() === '65534\n') same++;
  }
  fs.writeSync(1, `worker: ${same} of ${workerData.rounds} children had gid 65534\n`);
  Atomics.store(workerData.done, 0, 1);
}
