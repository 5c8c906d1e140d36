#!/usr/bin/env python3
"""fork.child-paths: each scenario of emulated_child_probe, natively and under
libforkless.so (FORKLESS_MODE=always, the scenario's site listed): identical
output, and the forks of the listed site emulated. Exit 0 = pass, 1 = fail."""
import os
import re
import subprocess
import sys

SCENARIOS = {
    # name: (arguments, FORKLESS_FORK_SITES)
    'fallback': (['fallback'], 'scenario_fallback'),
    'sigchld': (['sigchld'], 'scenario_sigchld'),
    'environ': (['environ'], 'scenario_environ'),
    'renumber': (['renumber', '/etc/hostname'], ''),  # uv_spawn is built in
    'slot': (['slot'], 'slot_site'),
}


def run(probe, args, extra):
    env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD' and not k.startswith('FORKLESS')}
    env.update(extra)
    return subprocess.run([probe] + args, env=env, capture_output=True, text=True, timeout=60)


def main():
    probe, lib, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    failures = []
    for name, (args, sites) in SCENARIOS.items():
        log = os.path.join(work, f'{name}.log')
        if os.path.exists(log):
            os.unlink(log)
        native = run(probe, args, {})
        preloaded = run(probe, args, {'LD_PRELOAD': lib, 'FORKLESS_MODE': 'always', 'FORKLESS_LOG': '1',
                                      'FORKLESS_LOG_FILE': log, 'FORKLESS_FORK_SITES': sites})
        lines = open(log).read().splitlines() if os.path.exists(log) else []
        forks = [line for line in lines if 'api=fork ' in line]
        if (native.returncode, native.stdout) != (preloaded.returncode, preloaded.stdout):
            failures.append(f'{name}: native:\n{native.stdout}{native.stderr}\npreloaded:\n'
                            f'{preloaded.stdout}{preloaded.stderr}\n' + '\n'.join(forks))
        if 'no' in re.findall(r': (yes|no)$', native.stdout, re.M):
            failures.append(f'{name}: the native run itself is not as expected:\n{native.stdout}')
        site = sites or 'uv_spawn'
        emulated = [line for line in forks if 'route=emulated' in line and f'site={site}' in line]
        if not emulated:
            failures.append(f'{name}: no fork at {site} was emulated:\n' + '\n'.join(forks))
        if name == 'slot':
            busy = [line for line in forks if 'reason=emulation_busy' in line]
            if len(emulated) != 4 or busy:
                failures.append('slot: the worker must emulate its 3 forks as the spawner its one:\n'
                                + '\n'.join(forks))
    for failure in failures:
        print('FAIL child-paths:', failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
