#!/usr/bin/env python3
"""End-to-end tests of fork() emulation.

Each test runs a program natively and under libforkless.so, compares what it
printed (must be identical) and checks the library's diagnostics log
(FORKLESS_LOG=1, FORKLESS_LOG_FILE) for the route each fork() took. The
issue-10 tests run each program in a session of its own, bounded in time:
a preloaded run that deadlocks is killed with its group and fails.

    fork_run.py TEST --probe PATH --lib PATH --clients DIR --work DIR [--libuv-probe PATH|none]

Exit status 0: passed, 1: failed, 77: skipped (a client is not installed).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SKIP = 77


class Failure(Exception):
    pass


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('FORKLESS') and k != 'LD_PRELOAD'}
    env.update(extra or {})
    return env


def run(args, env, cwd, timeout=300, session=False):
    """Runs args to completion. With session, in a session of its own (a
    process-group signal it sends stays inside), and a run that outlives
    timeout is killed with its whole group and reported as exit 'timeout'."""
    if not session:
        done = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
        return done.returncode, done.stdout.decode(errors='replace'), done.stderr.decode(errors='replace')
    process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        out, err = process.communicate()
        code = f'timeout after {timeout} s'
    return code, out.decode(errors='replace'), err.decode(errors='replace')


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Runner:
    def __init__(self, options):
        self.o = options
        os.makedirs(options.work, exist_ok=True)
        self.count = 0

    def native(self, args, extra=None, **bounds):
        return run(args, clean_env(extra), self.o.work, **bounds)

    def log_path(self):
        self.count += 1
        log = os.path.join(self.o.work, f'{self.o.test}-{self.count}.log')
        if os.path.exists(log):
            os.unlink(log)
        return log

    def preloaded_env(self, settings, extra, log):
        env = dict(extra or {})
        env.update({'LD_PRELOAD': self.o.lib, 'FORKLESS_LOG': '1', 'FORKLESS_LOG_FILE': log})
        env.update(settings)
        return clean_env(env)

    def preloaded(self, args, settings, extra=None, **bounds):
        log = self.log_path()
        code, out, err = run(args, self.preloaded_env(settings, extra, log), self.o.work, **bounds)
        return code, out, err, read_log(log)

    def compare(self, args, settings, extra=None, normalize=None, **bounds):
        """Runs natively and preloaded; both outputs must match (after
        normalize(output), which may also check a figure and fail). Returns
        the main process's fork lines of the log. bounds: run()'s timeout and
        session."""
        native = self.native(args, extra, **bounds)
        expect(native[0] == 0 or not bounds, f'the native run failed (exit {native[0]}): {native[1]} {native[2]}')
        code, out, err, log = self.preloaded(args, settings, extra, **bounds)
        if normalize is not None:
            native = (native[0], normalize(native[1], 'native')) + tuple(native[2:])
            out = normalize(out, 'preloaded')
        if (code, out) != native[:2]:
            raise Failure('results differ\n--- native (exit %s)\n%s\n--- preloaded (exit %s)\n%s\n'
                          '--- preloaded stderr\n%s' % (native[0], native[1], code, out, err))
        return forks_of(log)


def read_log(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def forks_of(log):
    """Fork lines of the log as dicts (key=value tokens)."""
    records = []
    for line in log:
        if ' api=fork ' not in line or ' summary=' in line:
            continue
        fields = dict(token.split('=', 1) for token in line.split()[1:] if '=' in token)
        fields['pid'] = re.match(r'forkless\[(\d+)\]', line).group(1)
        records.append(fields)
    return records


def expect(condition, message, records=None):
    if not condition:
        if records is not None:
            message += '\n' + '\n'.join(str(r) for r in records)
        raise Failure(message)


def routes(records):
    return [r['route'] for r in records]


# ---- tests ----------------------------------------------------------------

def test_probe_all(r):
    forks = r.compare([r.o.probe, 'scenarios'], {'FORKLESS_FORK': 'all'})
    expect(len(forks) >= 5 and set(routes(forks)) == {'emulated'},
           'every fork of the probe must be emulated under FORKLESS_FORK=all', forks)


def test_probe_sites(r):
    sites = 'scenario_spawn,scenario_exec_fails'
    forks = r.compare([r.o.probe, 'scenarios'], {'FORKLESS_FORK_SITES': sites})
    forks = [f for f in forks if forks and f['pid'] == forks[0]['pid']]  # not the children's own forks
    emulated = [f['site'] for f in forks if f['route'] == 'emulated']
    expect(sorted(emulated) == ['scenario_exec_fails', 'scenario_spawn', 'scenario_spawn'],
           'the listed sites (and only they) must be emulated', forks)
    expect(all(f['reason'] == 'site_unlisted' for f in forks if f['route'] == 'native'),
           'the other forks must be native with reason=site_unlisted', forks)


def stress(r, rounds, settings, forkers=1):
    code, out, err, log = r.preloaded([r.o.probe, 'stress', str(rounds), str(forkers)], settings)
    expect(code == 0 and f'stress rounds={rounds} failures=0' in out,
           f'stress failed (exit {code}): {out} {err}')
    forks = forks_of(log)
    # With several forking threads one emulated child runs at a time: a fork
    # that waited too long for another thread's child goes native.
    busy = [f for f in forks if f['route'] == 'native' and f['reason'] == 'emulation_busy'] if forkers > 1 else []
    emulated = [f for f in forks if f['route'] == 'emulated']
    expect(len(forks) == rounds and len(emulated) + len(busy) == rounds and len(emulated) >= rounds // 2,
           f'all {rounds} forks must be emulated (or, with several forkers, native after waiting), '
           f'got {len(forks)}: {len(emulated)} emulated, {len(busy)} busy, {set(routes(forks))}')


def test_stress_all(r):
    stress(r, 3000, {'FORKLESS_FORK': 'all'})


def test_stress_site(r):
    stress(r, 2000, {'FORKLESS_FORK_SITES': 'stress_one'})


def test_stress_threads(r):
    stress(r, 2000, {'FORKLESS_FORK_SITES': 'stress_one'}, forkers=4)


def test_large_process(r):
    args = [r.o.probe, 'large', '300']
    forks = r.compare(args, {'FORKLESS_FORK_SITES': 'scenario_exec_fails'})
    expect(len(forks) == 1 and forks[0]['route'] == 'emulated' and forks[0]['reason'] == 'large_process',
           'a single-threaded process holding 300 MiB has its known sites emulated', forks)
    forks = r.compare([r.o.probe, 'large', '16'], {'FORKLESS_FORK_SITES': 'scenario_exec_fails'})
    expect(len(forks) == 1 and forks[0]['route'] == 'native',
           'a small single-threaded process forks natively', forks)


def test_log_backtrace(r):
    code, out, err, log = r.preloaded([r.o.probe, 'scenarios'], {'FORKLESS_FORK': 'all', 'FORKLESS_LOG': '2'})
    native = r.native([r.o.probe, 'scenarios'])
    expect((code, out) == native[:2], 'FORKLESS_LOG=2 changed the results')
    forks = forks_of(log)
    expect(forks and all(f['route'] == 'emulated' for f in forks), 'forks emulated with FORKLESS_LOG=2', forks)


def test_exit_in_child(r):
    flag = os.path.join(r.o.work, 'atexit-flag')
    for path in (flag,):
        if os.path.exists(path):
            os.unlink(path)
    r.native([r.o.probe, 'scenarios'], {'PROBE_ATEXIT_FLAG': flag})
    expect(os.path.exists(flag), 'natively exit() in the forked child runs atexit handlers')
    os.unlink(flag)
    r.preloaded([r.o.probe, 'scenarios'], {'FORKLESS_FORK': 'all'}, {'PROBE_ATEXIT_FLAG': flag})
    expect(not os.path.exists(flag), 'exit() in an emulated child must be _exit(): atexit handlers ran')


def test_learn(r):
    native = r.native([r.o.probe, 'scenarios'])
    code, out, err, log = r.preloaded([r.o.probe, 'scenarios'], {'FORKLESS_FORK': 'learn'})
    expect((code, out) == native[:2], 'learn mode changed the results')
    forks = forks_of(log)
    expect(set(routes(forks)) == {'native'}, 'learn mode observes native forks', forks)
    verdicts = {}
    suggested = None
    for line in log:
        match = re.search(r'fork-learn site=(\S+) .* verdict=(\S+)', line)
        if match:
            verdicts[match.group(1)] = match.group(2)
        match = re.search(r'fork-learn FORKLESS_FORK_SITES=(\S*)', line)
        if match:
            suggested = match.group(1).split(',')
    expect(verdicts.get('scenario_spawn') == 'exec_bound', f'scenario_spawn: {verdicts}\n' + '\n'.join(log))
    expect(verdicts.get('scenario_exec_fails') == 'not_exec_bound',
           f'a child whose exec failed did not exec: {verdicts}')
    expect(verdicts.get('scenario_environ_fds_exit') == 'not_exec_bound',
           f'a child calling exit() is not exec-bound: {verdicts}')
    expect(suggested is not None and 'scenario_spawn' in suggested and
           'scenario_environ_fds_exit' not in suggested, f'suggested sites: {suggested}')


def test_native_mode(r):
    forks = r.compare([r.o.probe, 'scenarios'], {'FORKLESS_FORK': 'native'})
    expect(forks and all(f['route'] == 'native' and f['reason'] == 'fork_native' for f in forks),
           'FORKLESS_FORK=native must never emulate', forks)


def test_disabled(r):
    native = r.native([r.o.probe, 'scenarios'])
    code, out, err, log = r.preloaded([r.o.probe, 'scenarios'], {'FORKLESS': '0', 'FORKLESS_FORK': 'all'})
    expect((code, out) == native[:2], 'FORKLESS=0 changed the results')
    expect(not forks_of(log), 'FORKLESS=0 must not intercept fork', forks_of(log))


def need(program):
    path = shutil.which(program)
    if path is None:
        print(f'SKIP: {program} is not installed')
        sys.exit(SKIP)
    return path


def test_node(r):
    node = need('node')
    script = os.path.join(r.o.clients, 'node_child_process.js')
    forks = r.compare([node, script, r.o.probe, '512'], {})
    expect(len(forks) >= 12 and all(f['route'] == 'emulated' and f['site'] == 'uv_spawn' for f in forks),
           "Node's forks must be emulated at uv_spawn by default", forks)


def test_perl(r):
    perl = need('perl')
    script = os.path.join(r.o.clients, 'perl_spawns.pl')
    forks = r.compare([perl, script], {})
    # Perl's sites are not built in (their child stringifies arguments, running
    # tie and overload code, and returns into Perl code for "-"): by default
    # every fork is native; named in FORKLESS_FORK_SITES by a program whose
    # arguments are plain strings, they are emulated with the same results.
    sites = {'Perl_pp_system', 'Perl_my_popen_list', 'Perl_my_popen', 'Perl_pp_backtick'}
    expect(len(forks) >= 8 and all(f['route'] == 'native' for f in forks),
           "Perl's forks must be native by default", forks)
    forks = r.compare([perl, script], {'FORKLESS_FORK_SITES': ','.join(sorted(sites))})
    expect(len(forks) >= 8 and all(f['route'] == 'emulated' and f['site'] in sites for f in forks),
           "Perl's forks must be emulated when their sites are named", forks)


def test_java_vfork(r):
    # The JVM's VFORK launch mechanism calls vfork() through the library's
    # vfork entry (which marks the child): a real client of that entry, whose
    # breakage (the child returning on a clobbered stack) would crash the JVM
    # or its children. What the marking protects is in fork.shared-child.
    java, javac = shutil.which('java'), shutil.which('javac')
    if not java or not javac:
        print('SKIP: java/javac is not installed')
        sys.exit(SKIP)
    classes = os.path.join(r.o.work, 'java-vfork')
    os.makedirs(classes, exist_ok=True)
    compiled = subprocess.run([javac, '-d', classes, os.path.join(r.o.clients, 'JavaVfork.java')],
                              capture_output=True, text=True)
    expect(compiled.returncode == 0, f'javac failed: {compiled.stderr}')
    args = [java, '-Djdk.lang.Process.launchMechanism=VFORK', '-cp', classes, 'JavaVfork']
    r.compare(args, {'FORKLESS_MODE': 'always'}, **BOUNDED)


def sibling_probe(r, name):
    """A probe built beside fork_probe (tests/fork's other C programs)."""
    return os.path.join(os.path.dirname(r.o.probe), name)


def test_shared_child(r):
    # umask and every wait call from a vfork child and from an emulated child
    # (shared_child_probe.c) leave the parent's tracked umask and tables alone.
    probe = sibling_probe(r, 'shared_child_probe')
    native = r.native([probe], **BOUNDED)
    code, out, err, log = r.preloaded([probe], {'FORKLESS_MODE': 'always', 'FORKLESS_FORK_SITES': 'shared_child_site'},
                                      **BOUNDED)
    expect((code, out) == native[:2], f'results differ\n--- native\n{native[1]}\n--- preloaded\n{out}{err}')
    expect('after-fork: umask=0022' in native[1], f'the native run itself is not as expected:\n{native[1]}')
    expect(sum('api=popen route=helper reason=' in line for line in log) == 3,
           'the three popen calls must go to the helper', log)
    expect_emulated(forks_of(log), 'shared_child_site')


# emulated_child_probe.c's scenarios: (arguments, FORKLESS_FORK_SITES).
CHILD_PATHS = {
    'fallback': (['fallback'], 'scenario_fallback'),
    'sigchld': (['sigchld'], 'scenario_sigchld'),
    'environ': (['environ'], 'scenario_environ'),
    'renumber': (['renumber', '/etc/hostname'], ''),  # uv_spawn is built in
    'slot': (['slot'], 'slot_site'),
}


def test_child_paths(r):
    # Paths of an emulated child that must end as natively: a second exec
    # after a failed one, SIGCHLD ignored, environ named after a library
    # call, libuv's renumbering past the old table, the emulation slot in a
    # worker forked meanwhile.
    probe = sibling_probe(r, 'emulated_child_probe')
    for name, (args, sites) in CHILD_PATHS.items():
        native = r.native([probe] + args, **BOUNDED)
        expect('no' not in re.findall(r': (yes|no)$', native[1], re.M),
               f'{name}: the native run itself is not as expected:\n{native[1]}')
        forks = r.compare([probe] + args, {'FORKLESS_MODE': 'always', 'FORKLESS_FORK_SITES': sites}, **BOUNDED)
        site = sites or 'uv_spawn'
        emulated = [f for f in forks if f['route'] == 'emulated' and f['site'] == site]
        expect(emulated, f'{name}: no fork at {site} was emulated', forks)
        if name == 'slot':
            expect(len(emulated) == 4 and not any(f['reason'] == 'emulation_busy' for f in forks),
                   'slot: the worker must emulate its 3 forks as the spawner its one', forks)


def test_python_fork_safety(r):
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else need('python3')
    script = os.path.join(r.o.clients, 'python_fork.py')
    forks = r.compare([python, script], {})
    expect(len(forks) >= 5 and all(f['route'] == 'native' for f in forks),
           'os.fork() must never be emulated', forks)


def test_perl_fork_safety(r):
    perl = need('perl')
    script = os.path.join(r.o.clients, 'perl_fork.pl')
    forks = r.compare([perl, script], {})
    main = [f for f in forks if f['reason'] != 'single_thread']
    expect(len(forks) >= 3 and all(f['route'] == 'native' for f in forks),
           "Perl's fork must never be emulated", forks)
    expect(all(f['reason'] == 'site_denied' and f['site'] == 'Perl_pp_fork' for f in main),
           'Perl_pp_fork is on the deny list', forks)


# ---- every path of a built-in site's child ---------------------------------
# Each compares a native run with a preloaded one (default settings unless
# said), bounded in time: a deadlock or a crash under the library fails.

BOUNDED = {'timeout': 60, 'session': True}


def expect_emulated(forks, site, least=1):
    emulated = [f for f in forks if f['route'] == 'emulated' and f['site'] == site]
    expect(len(emulated) >= least, f'expected at least {least} fork(s) emulated at {site}', forks)


def need_libuv_probe(r):
    if r.o.libuv_probe in (None, '', 'none') or not os.path.exists(r.o.libuv_probe):
        print('SKIP: fork_libuv_probe was not built (Debian libuv1-dev is not installed)')
        sys.exit(SKIP)
    return r.o.libuv_probe


def need_root():
    if os.geteuid() != 0:
        print('SKIP: needs root (changes the child\'s uid and gid)')
        sys.exit(SKIP)


def path_dir(r):
    """A directory holding forkless-path-echo (-> /bin/echo), never on PATH."""
    directory = os.path.join(r.o.work, 'path-dir')
    os.makedirs(directory, exist_ok=True)
    link = os.path.join(directory, 'forkless-path-echo')
    if not os.path.lexists(link):
        os.symlink('/bin/echo', link)
    return directory


def test_node_stdio32(r):
    node = need('node')
    script = os.path.join(r.o.clients, 'node_stdio.js')
    for count in ('32', '9'):
        forks = r.compare([node, script, count], {}, **BOUNDED)
        expect_emulated(forks, 'uv_spawn')


def test_node_uid_gid(r):
    need_root()
    node = need('node')
    forks = r.compare([node, os.path.join(r.o.clients, 'node_uid_gid.js'), '20'], {}, **BOUNDED)
    expect_emulated(forks, 'uv_spawn', 20)


def test_node_workers_env(r):
    # Two threads spawning at once: one emulated child at a time, so a fork
    # that waited too long for the other thread's child (a loaded machine)
    # goes native with reason=emulation_busy.
    node = need('node')
    for _ in range(3):
        forks = r.compare([node, os.path.join(r.o.clients, 'node_workers_env.js')], {}, **BOUNDED)
        expect_emulated(forks, 'uv_spawn', 150)
        expect(all(f['route'] == 'emulated' or f['reason'] == 'emulation_busy' for f in forks
                   if f['site'] == 'uv_spawn'), 'uv_spawn forks are emulated or waited for the slot', forks)


# Another thread reads the child's environment between the child's
# assignment to environ and the library function it calls next (libuv's
# sigprocmask just before execvp), which puts the parent's back: a few
# instructions, so a few reads per spawn at most (docs/fork-emulation.md).
# Before the take-back the window lasted until the parent resumed: about ten
# thousand wrong reads per spawn. Natively there are none.
WRONG_READS_PER_SPAWN = 20


def bounded_wrong_reads(field, spawns):
    def normalize(output, run):
        match = re.search(field + r'=(\d+)', output)
        expect(match is not None, f'no {field}= in the {run} output: {output}')
        wrong = int(match.group(1))
        limit = 0 if run == 'native' else WRONG_READS_PER_SPAWN * spawns
        expect(wrong <= limit, f'{run}: {wrong} wrong reads in {spawns} spawns (at most {limit})')
        return output.replace(match.group(0), f'{field}=bounded')
    return normalize


def test_node_env_reads(r):
    node = need('node')
    args = [node, os.path.join(r.o.clients, 'node_env_reads.js'), '300', path_dir(r), 'forkless-path-echo']
    forks = r.compare(args, {}, normalize=bounded_wrong_reads('wrong', 300), **BOUNDED)
    expect_emulated(forks, 'uv_spawn', 300)


def test_node_exec_fails(r):
    node = need('node')
    directory = os.path.join(r.o.work, 'exec-fails')
    os.makedirs(directory, exist_ok=True)
    plain = os.path.join(directory, 'not-executable')
    with open(plain, 'w') as handle:
        handle.write('#!/bin/sh\necho should not run\n')
    os.chmod(plain, 0o644)
    forks = r.compare([node, os.path.join(r.o.clients, 'node_exec_fails.js'), directory], {}, **BOUNDED)
    expect_emulated(forks, 'uv_spawn', 12)


def test_probe_setgid_race(r):
    forks = r.compare([r.o.probe, 'setgid-race', '50'], {'FORKLESS_FORK_SITES': 'site_setgid_child'},
                      **BOUNDED)
    expect_emulated(forks, 'site_setgid_child', 50)


def test_probe_signal_group(r):
    forks = r.compare([r.o.probe, 'signal-group'], {'FORKLESS_FORK_SITES': 'site_signal_child'},
                      **BOUNDED)
    expect_emulated(forks, 'site_signal_child')


def test_probe_umask_wait(r):
    code, out, err, log = r.preloaded([r.o.probe, 'umask-wait'],
                                      {'FORKLESS_FORK_SITES': 'site_umask_wait', 'FORKLESS_MODE': 'always'},
                                      **BOUNDED)
    native = r.native([r.o.probe, 'umask-wait'], **BOUNDED)
    expect((code, out) == native[:2], 'results differ\n--- native\n%s\n--- preloaded (exit %s)\n%s\n%s'
           % (native[1], code, out, err))
    expect_emulated(forks_of(log), 'site_umask_wait')
    expect(any(' api=posix_spawn ' in line and ' route=helper ' in line for line in log),
           "the parent's posix_spawn must go through the helper", log)


def test_probe_exec_fail_state(r):
    forks = r.compare([r.o.probe, 'exec-fail-state'], {'FORKLESS_FORK_SITES': 'site_exec_fail_state'},
                      **BOUNDED)
    expect_emulated(forks, 'site_exec_fail_state')


def libuv_compare(r, args, least=1, normalize=None):
    probe = need_libuv_probe(r)
    forks = r.compare([probe] + args, {}, normalize=normalize, **BOUNDED)
    expect_emulated(forks, 'uv_spawn', least)


def test_libuv_getenv_race(r):
    libuv_compare(r, ['getenv-race', '300'], 300, normalize=bounded_wrong_reads('wrong_reads', 300))


def test_libuv_concurrent_env(r):
    # Two threads spawning at once: a fork that waited too long for the other
    # thread's emulated child (a loaded machine) goes native, emulation_busy.
    probe = need_libuv_probe(r)
    forks = r.compare([probe, 'concurrent-env', '2', '200'], {}, **BOUNDED)
    expect_emulated(forks, 'uv_spawn', 300)
    expect(all(f['route'] == 'emulated' or f['reason'] == 'emulation_busy' for f in forks
               if f['site'] == 'uv_spawn'), 'uv_spawn forks are emulated or waited for the slot', forks)


def test_libuv_stdio(r):
    for args in (['stdio', '8', 'low'], ['stdio', '32'], ['stdio', '32', 'low']):
        libuv_compare(r, args)


def test_libuv_path_env(r):
    libuv_compare(r, ['path-env', path_dir(r), 'forkless-path-echo'])


def test_libuv_setgid_race(r):
    libuv_compare(r, ['setgid-race', '50'], 50)


def test_libuv_exec_fails(r):
    libuv_compare(r, ['exec-fails'], 2)


PERL_SITES = {'Perl_pp_system', 'Perl_my_popen', 'Perl_my_popen_list', 'Perl_pp_backtick'}


def test_perl_forking_open_large(r):
    perl = need('perl')
    r.compare([perl, os.path.join(r.o.clients, 'perl_forking_open.pl')], {}, **BOUNDED)


def test_perl_forking_open_threads(r):
    perl = need('perl')
    if subprocess.run([perl, '-Mthreads', '-e', '1'], stderr=subprocess.DEVNULL).returncode != 0:
        print('SKIP: this perl has no threads')
        sys.exit(SKIP)
    r.compare([perl, os.path.join(r.o.clients, 'perl_forking_open.pl'), 'threads'], {}, **BOUNDED)


def test_perl_exec_fails(r):
    # Perl's sites are not built in; named, a failing exec at each of them
    # goes on in a real fork, so its warning and error path never run on the
    # parent's memory.
    perl = need('perl')
    script = os.path.join(r.o.clients, 'perl_exec_fails.pl')
    named = {'FORKLESS_FORK_SITES': ','.join(sorted(PERL_SITES))}
    forks = r.compare([perl, script], named, **BOUNDED)
    expect(len([f for f in forks if f['route'] == 'emulated' and f['site'] in PERL_SITES]) >= 7,
           "Perl's failing spawns must be emulated at its sites when they are named", forks)
    r.compare([perl, script, 'fatal'], named, **BOUNDED)
    forks = r.compare([perl, script], {}, **BOUNDED)
    expect(forks and all(f['route'] == 'native' for f in forks), "Perl's forks are native by default", forks)


def test_perl_popen_list_args(r):
    # The child of Perl_my_popen_list stringifies its arguments, running tie
    # and overload code: the reason Perl's sites are not built in. By default
    # the fork is native and the results are Perl's own.
    perl = need('perl')
    forks = r.compare([perl, os.path.join(r.o.clients, 'perl_popen_list_args.pl')], {}, **BOUNDED)
    expect(forks and all(f['route'] == 'native' and f['reason'] == 'site_unlisted' for f in forks),
           'Perl_my_popen_list must not be emulated by default', forks)


# Apache httpd (Debian's apache2): mpm_event, mod_cgi, a piped ErrorLog, on
# 127.0.0.1 at a free high port in a temporary ServerRoot.
APACHE_MODULES = '/usr/lib/apache2/modules'
APACHE_REQUESTS = 40
APACHE_CONCURRENCY = 4
APACHE_REQUEST_TIMEOUT = 5

APACHE_CONF = """ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
DefaultRuntimeDir {root}
Mutex file:{root} default
User {user}
Group {group}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule cgi_module {modules}/mod_cgi.so
ThreadsPerChild 8
StartServers 1
ServerLimit 2
MaxRequestWorkers 16
ErrorLog "|$/bin/cat >> {root}/error.log"
LogLevel warn
DocumentRoot {root}/htdocs
ScriptAlias /cgi-bin/ {root}/cgi-bin/
<Directory {root}/cgi-bin>
    Require all granted
</Directory>
"""

CGI_SCRIPT = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "query=$QUERY_STRING method=$REQUEST_METHOD umask=$(umask)"
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def apache_root():
    root = tempfile.mkdtemp(prefix='forkless-apache-')
    os.chmod(root, 0o755)
    for sub in ('htdocs', 'cgi-bin'):
        os.makedirs(os.path.join(root, sub))
    script = os.path.join(root, 'cgi-bin', 'echo.cgi')
    with open(script, 'w') as handle:
        handle.write(CGI_SCRIPT)
    os.chmod(script, 0o755)
    return root


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=APACHE_REQUEST_TIMEOUT) as answer:
            return f'{answer.status} {answer.read().decode(errors="replace").strip()}'
    except Exception as error:  # every failure is an answer to compare
        return f'failed: {type(error).__name__}'


def serve_cgi(env, root):
    """Starts apache2 in the foreground, sends the requests, stops it.
    Returns (answers, what went wrong or None)."""
    port = free_port()
    user = 'www-data' if os.geteuid() == 0 else str(os.getuid())
    conf = os.path.join(root, 'httpd.conf')
    with open(conf, 'w') as handle:
        handle.write(APACHE_CONF.format(root=root, port=port, modules=APACHE_MODULES,
                                        user=user, group=user))
    server = subprocess.Popen(['/usr/sbin/apache2', '-f', conf, '-DFOREGROUND'], env=env, cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    problem = None
    answers = {}
    try:
        started = time.monotonic()
        while True:
            if server.poll() is not None:
                error_log = os.path.join(root, 'error.log')
                logged = open(error_log, errors='replace').read()[-400:] if os.path.exists(error_log) else ''
                return answers, (f'apache2 exited with {server.returncode}: '
                                 f'{server.stdout.read().decode(errors="replace")} error.log: {logged!r}')
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() - started > 15:
                    return answers, 'apache2 did not start listening within 15 s'
                time.sleep(0.1)

        lock = threading.Lock()
        pending = list(range(APACHE_REQUESTS))

        def client():
            while True:
                with lock:
                    if not pending:
                        return
                    number = pending.pop()
                answer = fetch(f'http://127.0.0.1:{port}/cgi-bin/echo.cgi?request={number}')
                with lock:
                    answers[number] = answer

        clients = [threading.Thread(target=client) for _ in range(APACHE_CONCURRENCY)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            problem = problem or 'apache2 did not stop within 10 s of SIGTERM'
        kill_group(server.pid)
        server.wait()
    return answers, problem


def test_apache_cgi(r):
    if not os.path.exists('/usr/sbin/apache2') or not os.path.exists(f'{APACHE_MODULES}/mod_cgi.so'):
        print('SKIP: Debian apache2 is not installed')
        sys.exit(SKIP)
    runs = [('native', None), ('preloaded', {}), ('preloaded FORKLESS_MODE=always', {'FORKLESS_MODE': 'always'})]
    results = {}
    for name, settings in runs:
        root = apache_root()
        try:
            log = r.log_path()
            env = clean_env() if settings is None else r.preloaded_env(settings, None, log)
            results[name] = serve_cgi(env, root)
            if settings is not None:
                forks = forks_of(read_log(log))
                results[name] += (sorted({(f['route'], f.get('site', '-')) for f in forks}),)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    native, problem = results['native']
    expect(problem is None and len(native) == APACHE_REQUESTS and
           all(a.startswith('200 query=request=') for a in native.values()),
           f'the native server must answer every request: {problem} {native}')
    failures = []
    for name, _ in runs[1:]:
        answers, problem, routes_seen = results[name]
        differing = sorted(n for n in range(APACHE_REQUESTS) if answers.get(n) != native[n])
        if problem is not None or differing:
            failures.append(
                f'{name}: {len(differing)} of {APACHE_REQUESTS} answers differ from native '
                f'(problem: {problem}); e.g. ' +
                '; '.join(f'#{n}: {answers.get(n, "no answer")!r} vs {native[n]!r}' for n in differing[:3]) +
                f'; fork routes logged (route, site): {routes_seen}')
    expect(not failures, '\n'.join(failures))

TESTS = {name[5:].replace('_', '-'): fn for name, fn in globals().items() if name.startswith('test_')}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('test', choices=sorted(TESTS))
    parser.add_argument('--probe', required=True)
    parser.add_argument('--lib', required=True)
    parser.add_argument('--clients', required=True)
    parser.add_argument('--work', required=True)
    parser.add_argument('--libuv-probe', default=None)
    options = parser.parse_args()
    options.work = os.path.join(options.work, options.test)
    try:
        TESTS[options.test](Runner(options))
    except Failure as failure:
        print(f'FAIL {options.test}: {failure}')
        return 1
    print(f'PASS {options.test}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
