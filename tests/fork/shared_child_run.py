#!/usr/bin/env python3
"""Runs shared_child_probe natively and under libforkless.so and requires the
same output, with its popen calls served by the helper and its fork emulated
(fork.shared-child). Exit 0 = pass, 1 = fail."""
import os
import subprocess
import sys


def main():
    probe, lib, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, 'shared-child.log')
    if os.path.exists(log):
        os.unlink(log)
    env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD' and not k.startswith('FORKLESS')}
    native = subprocess.run([probe], env=env, capture_output=True, text=True, timeout=60)
    env.update({'LD_PRELOAD': lib, 'FORKLESS_LOG': '1', 'FORKLESS_LOG_FILE': log, 'FORKLESS_MODE': 'always',
                'FORKLESS_FORK_SITES': 'shared_child_site'})
    preloaded = subprocess.run([probe], env=env, capture_output=True, text=True, timeout=60)
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    failures = []
    if (native.returncode, native.stdout) != (preloaded.returncode, preloaded.stdout):
        failures.append(f'native:\n{native.stdout}\npreloaded:\n{preloaded.stdout}{preloaded.stderr}')
    if 'after-fork: umask=0022' not in native.stdout:
        failures.append(f'the native run itself is not as expected:\n{native.stdout}')
    if sum('api=popen route=helper reason=' in line for line in lines) != 3:
        failures.append('the three popen calls must go to the helper:\n' + '\n'.join(lines))
    if not any('api=fork route=emulated' in line and 'site=shared_child_site' in line for line in lines):
        failures.append('the fork at shared_child_site must be emulated:\n' + '\n'.join(lines))
    for failure in failures:
        print('FAIL shared-child:', failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
