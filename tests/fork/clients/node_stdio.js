// More stdio entries than libuv keeps on its stack (8): the last one a pipe
// the child writes to, as a user's report had it. Prints what the parent read,
// then shows the parent can still spawn.
// Usage: node node_stdio.js COUNT
'use strict';
const cp = require('child_process');

const count = Number(process.argv[2] || 32);
const stdio = Array(count).fill('ignore');
stdio[count - 1] = 'pipe';
const child = cp.spawn('/bin/bash', ['-c', `echo hi >&${count - 1}`], { stdio });
let out = '';
child.stdio[count - 1].on('data', (d) => { out += d; });
child.on('close', (code, signal) => {
  console.log(`stdio ${count}: read=${JSON.stringify(out)} code=${code} signal=${signal}`);
  console.log('after: ' + cp.spawnSync('/bin/echo', ['parent still spawns']).stdout.toString().trim());
});
