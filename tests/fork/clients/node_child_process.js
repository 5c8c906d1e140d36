// child_process from a Node process holding a large Buffer: prints one line
// per operation, identical natively and under libforkless.so.
// Usage: node node_child_process.js PROBE MIB
'use strict';
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const probe = process.argv[2];
const held = Buffer.alloc(Number(process.argv[3] || 512) * 1048576, 1);
const results = [];
const say = (name, value) => results.push(`${name}: ${JSON.stringify(value)}`);

function onExit(child) {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
}

async function main() {
  // spawn with pipes in both directions
  {
    const child = cp.spawn('cat', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stdin.end('through cat\n');
    const status = await onExit(child);
    say('spawn-pipes', { out, ...status });
  }
  // exec (through the shell), stdout and stderr
  say('exec', await new Promise((resolve) => cp.exec('echo out; echo err >&2; exit 4',
    (error, stdout, stderr) => resolve({ code: error && error.code, stdout, stderr }))));
  // execSync with input
  say('execSync-input', cp.execSync('tr a-z A-Z', { input: 'abc\n' }).toString());
  // execFile
  say('execFile', await new Promise((resolve) => cp.execFile('/bin/echo', ['a', 'b'],
    (error, stdout) => resolve({ error: !!error, stdout }))));
  // spawnSync exit status
  const sync = cp.spawnSync('/bin/sh', ['-c', 'exit 7']);
  say('spawnSync-status', { status: sync.status, signal: sync.signal });
  // env and cwd
  say('env', cp.spawnSync('/bin/sh', ['-c', 'echo "$FOO"'], { env: { FOO: 'bar' } }).stdout.toString());
  say('cwd', cp.spawnSync('pwd', { cwd: '/tmp' }).stdout.toString());
  // the child's context as a program sees it
  say('context', cp.spawnSync(probe, ['report', 'node']).stdout.toString().split('\n')
    .filter((l) => !/ fd2=/.test(l)));
  // a missing command, sync and async
  const missing = cp.spawnSync('/nonexistent/command');
  say('missing-sync', { code: missing.error && missing.error.code, status: missing.status });
  say('missing-async', await new Promise((resolve) => {
    const child = cp.spawn('/nonexistent/command');
    child.on('error', (error) => resolve(error.code));
  }));
  // kill
  {
    const child = cp.spawn('sleep', ['30']);
    setTimeout(() => child.kill('SIGTERM'), 50);
    say('kill', await onExit(child));
  }
  // detached: a session of its own
  {
    const child = cp.spawn(probe, ['report', 'detached'], { detached: true });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    await onExit(child);
    say('detached', out.split('\n').filter((l) => /session_leader/.test(l)));
  }
  // a descriptor as stdio
  {
    const file = path.join(os.tmpdir(), `forkless-node-${process.pid}.txt`);
    const fd = fs.openSync(file, 'w');
    const status = await onExit(cp.spawn('/bin/echo', ['into a file'], { stdio: ['ignore', fd, 'inherit'] }));
    fs.closeSync(fd);
    say('fd-stdio', { ...status, content: fs.readFileSync(file, 'utf8') });
    fs.unlinkSync(file);
  }
  // shell
  say('shell', cp.spawnSync('echo $((1 + 2)) "$0"', { shell: true }).stdout.toString());
  say('held', held[held.length - 1]);
  console.log(results.join('\n'));
}

main();
