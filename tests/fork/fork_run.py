#!/usr/bin/env python3
"""End-to-end tests of fork() emulation (issue 4).

Each test runs a program natively and under libforkless.so, compares what it
printed (must be identical) and checks the library's diagnostics log
(FORKLESS_LOG=1, FORKLESS_LOG_FILE) for the route each fork() took.

    fork_run.py TEST --probe PATH --lib PATH --clients DIR --work DIR

Exit status 0: passed, 1: failed, 77: skipped (a client is not installed).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


class Failure(Exception):
    pass


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('FORKLESS') and k != 'LD_PRELOAD'}
    env.update(extra or {})
    return env


def run(args, env, cwd, timeout=300):
    done = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    return done.returncode, done.stdout.decode(errors='replace'), done.stderr.decode(errors='replace')


class Runner:
    def __init__(self, options):
        self.o = options
        os.makedirs(options.work, exist_ok=True)
        self.count = 0

    def native(self, args, extra=None):
        return run(args, clean_env(extra), self.o.work)

    def preloaded(self, args, settings, extra=None):
        self.count += 1
        log = os.path.join(self.o.work, f'{self.o.test}-{self.count}.log')
        if os.path.exists(log):
            os.unlink(log)
        env = dict(extra or {})
        env.update({'LD_PRELOAD': self.o.lib, 'FORKLESS_LOG': '1', 'FORKLESS_LOG_FILE': log})
        env.update(settings)
        code, out, err = run(args, clean_env(env), self.o.work)
        lines = open(log).read().splitlines() if os.path.exists(log) else []
        return code, out, err, lines

    def compare(self, args, settings, extra=None):
        """Runs natively and preloaded; both outputs must match. Returns the
        main process's fork lines of the log."""
        native = self.native(args, extra)
        code, out, err, log = self.preloaded(args, settings, extra)
        if (code, out) != native[:2]:
            raise Failure('results differ\n--- native (exit %d)\n%s\n--- preloaded (exit %d)\n%s\n'
                          '--- preloaded stderr\n%s' % (native[0], native[1], code, out, err))
        return forks_of(log)


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
    emulated_sites = {'Perl_pp_system', 'Perl_my_popen_list'}
    # Perl_my_popen (backticks, pipe opens of a shell command) is not on the
    # built-in list: its child returns into Perl code for the command "-".
    native_sites = {'Perl_my_popen'}
    emulated = [f for f in forks if f['site'] in emulated_sites]
    expect(len(emulated) >= 4 and all(f['route'] == 'emulated' for f in emulated),
           "Perl's system and list-form pipe opens must be emulated by default", forks)
    expect(all(f['route'] == 'native' for f in forks if f['site'] in native_sites)
           and all(f['site'] in emulated_sites | native_sites for f in forks),
           "Perl_my_popen's forks must stay native", forks)


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


TESTS = {name[5:].replace('_', '-'): fn for name, fn in globals().items() if name.startswith('test_')}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('test', choices=sorted(TESTS))
    parser.add_argument('--probe', required=True)
    parser.add_argument('--lib', required=True)
    parser.add_argument('--clients', required=True)
    parser.add_argument('--work', required=True)
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
