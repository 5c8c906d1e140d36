// A reported case: two workers each spawnSync('/bin/true') 100 times at
// once, then the main thread checks its environment.
'use strict';
const cp = require('child_process');
const { Worker, isMainThread } = require('worker_threads');

if (isMainThread) {
  const keys = Object.keys(process.env).length;
  let left = 2;
  for (let i = 0; i < 2; i++) {
    new Worker(__filename).on('exit', () => {
      if (--left) return;
      console.log(`'PATH' in process.env: ${'PATH' in process.env}`);
      console.log(`env keys unchanged: ${Object.keys(process.env).length === keys}`);
      console.log('after: ' + cp.spawnSync('/bin/sh', ['-c', 'echo $PATH_CHECK'],
        { env: { ...process.env, PATH_CHECK: 'child env ok' } }).stdout.toString().trim());
    });
  }
} else {
  let ok = 0;
  for (let i = 0; i < 100; i++) if (cp.spawnSync('/bin/true').status === 0) ok++;
  if (ok !== 100) console.log(`worker: ${ok} of 100`);
}
