// Failing execs at libuv's site: the error each spawn reports, then the
// parent's state (environment, cwd, umask, spawning still works).
// Usage: node node_exec_fails.js DIR   (DIR holds a file that is not executable)
'use strict';
const cp = require('child_process');
const path = require('path');

const dir = process.argv[2];
const envKeys = Object.keys(process.env).length;
const cases = [
  ['missing file', '/nonexistent/file', {}],
  ['missing name', 'forkless-no-such-command', {}],
  ['not executable', path.join(dir, 'not-executable'), {}],
  ['a directory', dir, {}],
  ['missing cwd', '/bin/true', { cwd: '/nonexistent/dir' }],
  ['missing file, own env', '/nonexistent/file', { env: { ONLY_IN_CHILD: 'yes' } }],
];

async function main() {
  for (const [name, file, options] of cases) {
    const sync = cp.spawnSync(file, [], options);
    const code = await new Promise((resolve) => {
      const child = cp.spawn(file, [], options);
      child.on('error', (error) => resolve(error.code));
      child.on('exit', (status) => resolve(`exit ${status}`));
    });
    console.log(`${name}: sync=${sync.error && sync.error.code} status=${sync.status} async=${code}`);
  }
  console.log(`parent: env_keys_same=${Object.keys(process.env).length === envKeys} ` +
    `ONLY_IN_CHILD=${process.env.ONLY_IN_CHILD} cwd_same=${process.cwd() === dir} ` +
    `umask=${process.umask().toString(8)}`);
  console.log('after: ' + cp.spawnSync('/bin/echo', ['parent still spawns']).stdout.toString().trim());
}

process.chdir(dir);
main();
