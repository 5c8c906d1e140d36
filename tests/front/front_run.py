#!/usr/bin/env python3
"""Tests of the front library (libforkless.so) and its loading of the core
(libforkless-core.so): when the core is loaded and when it must not be, the
calls made before and during the load, and a core that cannot be loaded.

Usage: front_run.py TEST --build DIR --work DIR
Exit 0 = pass, 1 = fail.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys


class Failure(Exception):
    pass


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")}
    env.update(extra)
    return env


class Run:
    def __init__(self, args):
        self.lib = os.path.join(args.build, "lib", "forkless", "libforkless.so")
        self.probe = os.path.join(args.build, "tests", "front", "front_probe")
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.log = os.path.join(self.work, "forkless.log")

    def probe_run(self, *probe_args, lib=None, expect=0, cwd=None, **settings):
        """Runs the probe with the library preloaded; returns its key=value
        lines as a dict of lists (e.g. {"start core": ["0"]})."""
        if os.path.exists(self.log):
            os.remove(self.log)
        env = clean_env(LD_PRELOAD=lib or self.lib, FORKLESS_LOG="1", FORKLESS_LOG_FILE=self.log, **settings)
        p = subprocess.run([self.probe] + list(probe_args), env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120, cwd=cwd)
        if p.returncode != expect:
            raise Failure(f"{probe_args} {settings}: status {p.returncode}, expected {expect}\n"
                          f"stdout: {p.stdout}\nstderr: {p.stderr}\nlog: {self.log_lines()}")
        seen = {}
        for line in p.stdout.splitlines():
            for word in line.split():
                if "=" in word:
                    key, value = word.split("=", 1)
                    prefix = line.split()[0] if "=" not in line.split()[0] else ""
                    seen.setdefault(f"{prefix} {key}".strip(), []).append(value)
        return seen

    def log_lines(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()


def expect_core(seen, when, value, context):
    got = seen.get(f"{when} core")
    if got != [value]:
        raise Failure(f"{context}: core mapped {when}: {got}, expected {value}")


def test_idle(r):
    """A process that never spawns, descended from the launched one
    (FORKLESS_HELPER_START=lazy), never loads the core; the launched process
    loads it before main (its helper starts there); FORKLESS=0 never does."""
    expect_core(r.probe_run("idle", FORKLESS_HELPER_START="lazy"), "start", "0", "lazy")
    expect_core(r.probe_run("idle"), "start", "1", "default start")
    expect_core(r.probe_run("idle", FORKLESS_HELPER_START="eager"), "start", "1", "eager")
    expect_core(r.probe_run("idle", FORKLESS="0"), "start", "0", "FORKLESS=0")
    # Every fork must be seen in learn mode: loaded at start.
    expect_core(r.probe_run("idle", FORKLESS_HELPER_START="lazy", FORKLESS_FORK="learn"), "start", "1", "learn")


def test_first_spawn(r):
    """The first system() loads the core, which serves that very call."""
    seen = r.probe_run("system", FORKLESS_HELPER_START="lazy", FORKLESS_MODE="always")
    expect_core(seen, "start", "0", "before system()")
    expect_core(seen, "after", "1", "after system()")
    if seen.get("system") != ["3"]:
        raise Failure(f"system() returned {seen.get('system')}")
    calls = [l for l in r.log_lines() if "api=system" in l and "summary=" not in l]
    if len(calls) != 1 or "route=helper" not in calls[0]:
        raise Failure(f"the first call did not go through the loaded core to its helper: {calls}")


def test_fork(r):
    """fork() with no other thread running does not load the core (libc's
    fork, the route the core would take); with another thread it does."""
    seen = r.probe_run("fork-alone", FORKLESS_HELPER_START="lazy")
    expect_core(seen, "after", "0", "single-threaded fork")
    seen = r.probe_run("fork-threaded", FORKLESS_HELPER_START="lazy")
    expect_core(seen, "after", "1", "fork with a second thread")
    forks = [l for l in r.log_lines() if "api=fork" in l and "summary=" not in l]
    if len(forks) != 1 or "route=native" not in forks[0]:
        raise Failure(f"the threaded fork was not seen by the core: {forks}")


def test_vfork_child(r):
    """A vfork child's spawn calls are libc's and never load the core (it
    shares the parent's memory): the parent finds no core mapped after its
    child ran posix_spawn and system. With the core loaded, the same child
    is served by libc too."""
    for start, core in (("lazy", "0"), ("eager", "1")):
        seen = r.probe_run("vfork-spawn", FORKLESS_HELPER_START=start, FORKLESS_MODE="always")
        if seen.get("child") != ["7"]:
            raise Failure(f"{start}: the vfork child's calls failed: child={seen.get('child')}")
        expect_core(seen, "after", core, f"{start}: after the vfork child")
        routed = [l for l in r.log_lines() if "route=helper" in l]
        if routed:
            raise Failure(f"{start}: a vfork child's call went to a helper: {routed}")


def test_core_missing(r):
    """A front whose core is not beside it: every call is libc's, the
    program's results are unchanged, and diagnostics say so once in each
    process that tried (the probe, and the shell of its system())."""
    libdir = os.path.join(r.work, "front-only")
    shutil.rmtree(libdir, ignore_errors=True)
    os.makedirs(libdir)
    lib = os.path.join(libdir, "libforkless.so")
    shutil.copy(r.lib, lib)
    seen = r.probe_run("system", lib=lib, FORKLESS_MODE="always")
    if seen.get("system") != ["3"]:
        raise Failure(f"system() returned {seen.get('system')} without the core")
    expect_core(seen, "after", "0", "core missing")
    notes = [l for l in r.log_lines() if "note=core_not_loaded" in l]
    pids = [re.match(r"^forkless\[(\d+)\]: note=core_not_loaded detail=\S+$", l) for l in notes]
    if not notes or not all(pids) or len({m.group(1) for m in pids}) != len(notes):
        raise Failure(f"expected one core_not_loaded line per process: {r.log_lines()}")


def test_relative_preload(r):
    """LD_PRELOAD naming the front by a relative path: the core is found from
    the directory the program started in, even after it moved."""
    start = os.path.dirname(os.path.dirname(os.path.dirname(r.lib)))  # the build tree
    relative = os.path.relpath(r.lib, start)
    seen = r.probe_run("chdir-system", lib=relative, cwd=start, FORKLESS_HELPER_START="lazy",
                       FORKLESS_MODE="always")
    if seen.get("system") != ["3"]:
        raise Failure(f"system() returned {seen.get('system')}")
    expect_core(seen, "after", "1", "relative LD_PRELOAD, after chdir")
    if any("core_not_loaded" in l for l in r.log_lines()):
        raise Failure(f"the core was not found: {r.log_lines()}")


def test_first_use_race(r):
    """Eight threads make their first posix_spawn at once: one loads the
    core, the others go to libc meanwhile; every spawn succeeds."""
    seen = r.probe_run("race", "8", FORKLESS_HELPER_START="lazy", FORKLESS_MODE="always")
    if seen.get("failures") != ["0"]:
        raise Failure(f"spawns failed during the core's load: {seen.get('failures')}")
    expect_core(seen, "after", "1", "after the race")
    routed = [l for l in r.log_lines() if "api=posix_spawn" in l and "route=helper" in l]
    if not routed:
        raise Failure("no spawn went to a helper once the core was loaded")


def test_exec_lists(r):
    """execl, execlp and execle (argv gathered by the front) give the
    statuses libc's give, with the core loaded and before it is."""
    for start, core in (("lazy", "0"), ("eager", "1")):
        seen = r.probe_run("exec-lists", FORKLESS_HELPER_START=start)
        if (seen.get("execl"), seen.get("execlp"), seen.get("execle")) != (["7"], ["8"], ["9"]):
            raise Failure(f"{start}: {seen}")
        expect_core(seen, "after", core, start)


TESTS = {
    "idle": test_idle,
    "first-spawn": test_first_spawn,
    "fork": test_fork,
    "vfork-child": test_vfork_child,
    "core-missing": test_core_missing,
    "first-use-race": test_first_use_race,
    "exec-lists": test_exec_lists,
    "relative-preload": test_relative_preload,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test", choices=sorted(TESTS))
    parser.add_argument("--build", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    args.work = os.path.join(args.work, args.test)
    try:
        TESTS[args.test](Run(args))
    except Failure as failure:
        print(f"FAIL: {args.test}: {failure}")
        return 1
    print(f"PASS: {args.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
