#!/usr/bin/env python3
"""Runner for the posix_spawn/posix_spawnp tests.

Each test runs a program natively and under libforkless.so
(FORKLESS_MODE=always: the helper route itself), requires identical
output and exit status, checks the native output for the lines that show
the scenario really did something (so a comparison cannot pass vacuously),
and checks the diagnostics log: api=posix_spawn / api=posix_spawnp lines
with route=helper. Exit 0 = pass, 1 = fail, 77 = skipped (an interpreter is
missing).

Usage: spawn_run.py TEST --bindir DIR --lib PATH --work DIR
Tests:
  differential  spawn_driver: every file action, every attribute flag,
                combinations, posix_spawnp's search, error cases
  errors        spawn_driver's error scenarios, with the native return
                values they must give
  stress        8 threads, 2000 spawns: statuses, no descriptor or zombie left
  fallback      file-action objects the library did not see being built go
                to libc, and the log says why
  python-client os.posix_spawn / os.posix_spawnp (/usr/bin/python3)
  java-client   ProcessBuilder (javac/java 17)
  latency       (not a ctest) posix_spawn latency native vs helper,
                1 and 4 concurrent callers
Reuses tests/e2e/e2e_run.py's runner (imported, unchanged). Stdlib only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e_run  # noqa: E402
from e2e_run import Failure, require_same, SKIP  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Runner(e2e_run.Runner):
    def spawn_lines(self):
        pattern = re.compile(r"\bapi=(posix_spawnp?) route=(\w+) reason=(\S+)")
        return [m.groups() for l in self.log_lines() if (m := pattern.search(l))]

    def require_spawn_routes(self, minimum, apis=("posix_spawn",), allow_native=()):
        """At least `minimum` posix_spawn* calls went to the helper, each api
        in `apis` among them, and none went native unless its reason is in
        allow_native."""
        lines = self.spawn_lines()
        helper = [l for l in lines if l[1] == "helper"]
        native = [l for l in lines if l[1] != "helper" and l[2] not in allow_native]
        print(f"log: {len(helper)} posix_spawn* calls via the helper, {len(lines) - len(helper)} native")
        if native:
            print("\n".join(" ".join(l) for l in native[:20]))
            raise Failure(f"{len(native)} posix_spawn* call(s) did not go to the helper")
        if len(helper) < minimum:
            print("\n".join(self.log_lines()[-20:]))
            raise Failure(f"only {len(helper)} posix_spawn* lines with route=helper, expected {minimum}")
        for api in apis:
            if not any(l[0] == api for l in helper):
                raise Failure(f"no api={api} route=helper line")


def sections(proc):
    """Driver output split at '=== NAME' lines: {name: [lines]}."""
    out, name = {}, None
    for line in proc.stdout.decode(errors="replace").splitlines():
        if line.startswith("=== "):
            name = line[4:]
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def expect(secs, name, present=(), absent=()):
    lines = secs.get(name)
    if lines is None:
        raise Failure(f"native output has no scenario {name}")
    for want in present:
        if not any(l == want or l.startswith(want) for l in lines):
            print("\n".join(lines))
            raise Failure(f"native scenario {name}: no line starting {want!r}")
    for unwanted in absent:
        if any(l.startswith(unwanted) for l in lines):
            raise Failure(f"native scenario {name}: unexpected line starting {unwanted!r}")


def run_driver(r, prefix=None):
    probe = r.tool("spawn_probe")
    work = os.path.join(r.work, "cwd")
    procs = []
    for preload in (None, "always"):
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        argv = [r.tool("spawn_driver"), probe, work] + ([prefix] if prefix else [])
        procs.append(r.run(argv, preload))
    native = procs[0]
    if native.returncode != 0:
        raise Failure(f"native driver failed: {native.stderr.decode()}")
    require_same(*procs)
    secs = sections(native)
    expect(secs, "summary", present=["driver.fds.leaked=0", "driver.children.zombies=0 driver.children.other=0"])
    return work, secs


ERROR_RESULTS = {
    "error-missing": "ret=ENOENT",
    "error-missing-relative": "ret=ENOENT",
    "error-empty-name": "ret=ENOENT",
    "error-not-executable": "ret=EACCES",
    "error-directory": "ret=EACCES",
    "error-enoexec-script": "ret=ENOEXEC",
    "error-not-a-directory": "ret=ENOTDIR",
    "error-addopen-missing-dir": "ret=ENOENT",
    "error-addopen-exists": "ret=EEXIST",
    "error-adddup2-not-open": "ret=EBADF",
    "error-fchdir-not-open": "ret=EBADF",
    "error-fchdir-negative": "ret=EBADF",
    "error-fchdir-not-directory": "ret=ENOTDIR",
    "error-chdir-missing": "ret=ENOENT",
    "error-tcsetpgrp-not-tty": "ret=ENOTTY",
    "error-scheduler-bad-policy": "ret=EINVAL",
    "error-scheduler-bad-priority": "ret=EINVAL",
    "error-scheduler-fifo-priority-0": "ret=EINVAL",
    "error-setpgroup-foreign": "ret=EPERM",
    "error-setpgroup-missing": "ret=EPERM",
    "error-after-actions-no-output": "ret=ENOENT",
}
ADD_ERRORS = {
    "error-addopen-negative": "addopen=EBADF",
    "error-adddup2-negative": "adddup2=EBADF",
    "error-adddup2-over-limit": "adddup2=EBADF",
    "error-addclose-over-limit": "addclose=EBADF",
    "error-addclosefrom-negative": "addclosefrom=EBADF",
    "error-setsigmask-flags-invalid": "setflags=EINVAL",
}


def test_differential(r):
    work, secs = run_driver(r)
    fd5 = f"fd 5 target={work}/a.txt offset=7 access=rw append=0 nonblock=0 cloexec=0"
    expect(secs, "plain", present=["ret=0 pid_written=yes", "status=exited 0", fd5, "sig.blocked=28,",
                                   "sig.ignored=1,10,13,", "sig.handled=", "ppid.is_driver=yes", "pgrp=parent's",
                                   f"cwd={work}"], absent=["fd 9 ", "fd 12 ", "fd 60 "])
    expect(secs, "plain-env", present=["env.count=2", "env ONLY=this"])
    expect(secs, "open-stdout", present=["output(out-open.txt):", "--- probe begin"])
    expect(secs, "open-over-inherited", present=[f"fd 5 target={work}/b.txt offset=0 access=r "])
    expect(secs, "open-append-high", present=[f"fd 30 target={work}/log.txt offset=0 access=w append=1"])
    expect(secs, "close-inherited", absent=["fd 5 "])
    expect(secs, "dup2-cloexec-source", present=[f"fd 34 target={work}/c.txt"], absent=["fd 9 "])
    expect(secs, "dup2-self-clears-cloexec", present=[f"fd 9 target={work}/c.txt offset=0 access=r append=0 "
                                                      "nonblock=0 cloexec=0"])
    expect(secs, "chdir", present=[f"cwd={work}/sub"])
    expect(secs, "fchdir-cloexec", present=[f"cwd={work}/sub"], absent=["fd 12 "])
    expect(secs, "fchdir-then-chdir", present=[f"cwd={work}/sub/deeper"])
    expect(secs, "closefrom", present=[fd5], absent=["fd 10 ", "fd 40 "])
    expect(secs, "chdir-then-open-relative", present=["output(sub/out-in-sub.txt):", "--- probe begin", f"cwd={work}/sub"])
    expect(secs, "open-then-dup2-then-close", present=[f"fd 0 target={work}/c.txt"], absent=["fd 20 "])
    expect(secs, "close-then-dup2-fails", present=["ret=EBADF pid_written=no"])
    expect(secs, "closefrom-then-fchdir-fails", present=["ret=EBADF pid_written=no"])
    expect(secs, "flag-setpgroup-own", present=["pgrp=own"])
    expect(secs, "flag-setpgroup-named", present=["pgrp.is_named_group=yes", "pgrp=other"])
    expect(secs, "flag-setsigmask", present=["sig.blocked=10,15,37,"])
    expect(secs, "flag-setsigdef", present=["sig.ignored=13,"])
    expect(secs, "flag-setsigdef-full", present=["sig.ignored="], absent=["sig.ignored=1"])
    expect(secs, "flag-setscheduler-batch", present=["sched.policy=3 "])
    expect(secs, "flag-setscheduler-idle", present=["sched.policy=5 "])
    expect(secs, "flag-setscheduler-fifo", present=["sched.policy=1 sched.reset_on_fork=0 sched.priority=3"])
    expect(secs, "flag-setscheduler-reset-on-fork", present=["sched.policy=3 sched.reset_on_fork=1"])
    expect(secs, "flag-setsid", present=["session=other", "pgrp=own"])
    expect(secs, "flags-setsid-and-setpgroup-fails", present=["ret=EPERM pid_written=no"])
    expect(secs, "flags-all-but-setsid", present=["pgrp=own", "sig.blocked=14,", "sig.ignored=1,10,",
                                                  "sched.policy=2 sched.reset_on_fork=0 sched.priority=1"])
    expect(secs, "flags-and-actions", present=["output(sub/out-flags-actions.txt):", f"cwd={work}/sub",
                                               "sig.blocked=3,", "pgrp=own", f"fd 9 target={work}/c.txt"],
           absent=["fd 10 ", "fd 40 "])
    expect(secs, "setsid-pty-tcsetpgrp", present=["ctty=yes foreground=own session_leader=yes"])
    expect(secs, "path-search", present=["ret=0", "argv[0]=spawn_probe"])
    # glibc's child shares errno with the caller (the driver sets EDOM before
    # each call): a PATH miss leaves ENOENT even on success, a full SETSIGDEF
    # EINVAL (its sigaction of SIGKILL fails), a failure its error.
    expect(secs, "path-search", present=["ret=0 pid_written=yes errno=ENOENT"])
    expect(secs, "plain", present=["ret=0 pid_written=yes errno=EDOM"])
    expect(secs, "flag-setsigdef-full", present=["ret=0 pid_written=yes errno=EINVAL"])
    expect(secs, "path-search-env-ignored", present=["ret=0", "env PATH=/nowhere"])
    expect(secs, "path-search-eacces-then-found", present=["ret=0", "argv[0]=shadowed"])
    expect(secs, "path-search-eacces-only", present=["ret=EACCES"])
    expect(secs, "path-search-enoexec", present=["ret=ENOEXEC"])
    expect(secs, "path-search-long-name", present=["ret=ENAMETOOLONG"])
    expect(secs, "path-unset", present=["ret=0", "status=exited 0"])
    expect(secs, "path-empty", present=["ret=ENOEXEC"])
    expect(secs, "path-long-element", present=["ret=ENOEXEC"])
    r.require_spawn_routes(len(secs) - 1, apis=("posix_spawn", "posix_spawnp"))


def test_errors(r):
    _, secs = run_driver(r, "error-")
    for name, want in ERROR_RESULTS.items():
        # glibc's failed child leaves its error in the caller's errno too.
        expect(secs, name, present=[want + " pid_written=no errno=" + want[len("ret="):]])
    for name, want in ADD_ERRORS.items():
        expect(secs, name, present=[want, "ret=0 pid_written=yes"])
    expect(secs, "error-after-actions-no-output", present=["output-exists=yes"])
    print(f"ok: {len(ERROR_RESULTS)} spawn errors and {len(ADD_ERRORS)} add-time errors as glibc gives them")
    r.require_spawn_routes(len(ERROR_RESULTS))


def test_stress(r):
    argv = [r.tool("spawn_stress"), "stress", r.tool("spawn_exit_with"), "8", "2000"]
    procs = [r.run(argv, preload) for preload in (None, "always")]
    for proc in procs:
        print(proc.stdout.decode(errors="replace"), end="")
        if proc.returncode != 0:
            print(proc.stderr.decode(errors="replace")[-2000:])
            raise Failure("stress run failed")
    e2e_run.require_lines(procs[0], present=["threads=8 spawned=2000 errors=0 wrong_status=0", "fds.leaked=0",
                                             "children.zombies=0 children.other=0"])
    require_same(*procs)
    r.require_spawn_routes(1900, apis=("posix_spawn", "posix_spawnp"),
                           allow_native=("fallback_descriptor_closed_meanwhile",))


def test_fallback(r):
    argv = [r.tool("spawn_stress"), "fallback", r.tool("spawn_exit_with")]
    procs = [r.run(argv, preload) for preload in (None, "always")]
    e2e_run.require_lines(procs[0], present=["copied-object: ret=0 exit=7 ok", "changed-object: ret=0 exit=7 ok",
                                             "recorded-object: ret=0 exit=7 ok", "null-pid: ret=0",
                                             "null-pid child reaped=yes exit=7",
                                             "children.zombies=0 children.other=0"])
    require_same(*procs)
    lines = r.spawn_lines()
    unrecorded = [l for l in lines if l[1] == "native" and l[2] == "fallback_file_actions_unrecorded"]
    helper = [l for l in lines if l[1] == "helper"]
    print(f"log: {len(unrecorded)} unrecorded objects sent to libc, {len(helper)} calls via the helper")
    if len(unrecorded) != 2 or len(helper) != 2:
        print("\n".join(" ".join(l) for l in lines))
        raise Failure("expected 2 calls sent to libc (reason=fallback_file_actions_unrecorded) and 2 via the helper")


def test_python_client(r):
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        print(f"SKIP: {python} (Debian's python3) is not installed")
        return SKIP
    script = os.path.join(HERE, "clients", "py_spawn_client.py")
    procs = [r.run([python, "-I", script, r.tool("spawn_probe"), r.tool("spawn_exit_with"), r.fresh_dir("cwd")],
                   preload) for preload in (None, "always")]
    if procs[0].returncode != 0:
        raise Failure(f"native client failed: {procs[0].stderr.decode()[-2000:]}")
    secs = sections(procs[0])
    expect(secs, "plain", present=["status=0", "argv[1]=arg one", "sig.ignored=10,", "sig.blocked=28,"])
    expect(secs, "env", present=["env.count=1", "env ONLY=this"])
    expect(secs, "file-actions", present=["fd 7 target=", "fd 0 target="], absent=["fd 2 "])
    expect(secs, "file-actions-stdin", present=["stdin.text=from a file action"])
    expect(secs, "setpgroup", present=["pgrp=own"])
    expect(secs, "setsid", present=["session=other"])
    expect(secs, "setsigmask", present=["sig.blocked=12,15,"])
    expect(secs, "setsigdef", present=["sig.ignored="], absent=["sig.ignored=10"])
    expect(secs, "scheduler-other", present=["sched.policy=0 "])
    expect(secs, "scheduler-rr", present=["sched.policy=2 sched.reset_on_fork=0 sched.priority=1"])
    expect(secs, "scheduler-fifo", present=["sched.policy=1 sched.reset_on_fork=0 sched.priority=2"])
    expect(secs, "all-together", present=["pgrp=own", "sig.blocked=1,", "sched.policy=2 sched.reset_on_fork=0 sched.priority=4"])
    expect(secs, "spawnp-caller-path", present=["status=0", "env PATH=/nowhere"])
    for name, error in (("spawnp-missing", "ENOENT"), ("error-missing", "ENOENT"),
                        ("error-not-executable", "EACCES"), ("error-file-action", "ENOENT"),
                        ("error-bad-dup2", "EBADF"), ("error-scheduler", "EINVAL"), ("error-scheduler-policy", "EINVAL"),
                        ("error-setpgroup", "EPERM")):
        expect(secs, name, present=[f"raised {error}"])
    expect(secs, "exit codes checked")
    require_same(*procs)
    r.require_spawn_routes(60, apis=("posix_spawn", "posix_spawnp"))


def test_java_client(r):
    java, javac = shutil.which("java"), shutil.which("javac")
    if not java or not javac:
        print("SKIP: java/javac (openjdk-17) not installed")
        return SKIP
    classes = r.fresh_dir("classes")
    compiled = subprocess.run([javac, "-d", classes, os.path.join(HERE, "clients", "SpawnClient.java")],
                              capture_output=True, timeout=120)
    if compiled.returncode != 0:
        raise Failure(f"javac failed: {compiled.stderr.decode()}")
    procs = []
    for preload in (None, "always"):
        work = r.fresh_dir("cwd")
        procs.append(r.run([java, "-cp", classes, "SpawnClient", r.tool("spawn_probe"), r.tool("spawn_exit_with"),
                            work], preload))
    if procs[0].returncode != 0:
        raise Failure(f"native java client failed: {procs[0].stderr.decode()[-2000:]}")
    e2e_run.require_lines(procs[0], present=[
        "stdout: through the pipe", "stderr: to-stderr", "exit: 4", "  stdin.text=hello probe",
        "  env FL_JAVA=set by ProcessBuilder", "file: line-one", "appended", "  stdin.text=from a file",
        'IOException: Cannot run program "/nonexistent/program": error=2, No such file or directory',
        "results: {ok=200}", "exit after destroy: 143", "exit after destroyForcibly: 137", "=== done"])
    require_same(*procs)
    lines = [l for l in r.log_lines() if "api=posix_spawn " in l and "jspawnhelper" in l]
    print(f"log: {len(lines)} posix_spawn calls of jspawnhelper")
    r.require_spawn_routes(200, allow_native=("fallback_descriptor_closed_meanwhile",))


def latency(r):
    """Median posix_spawn call time, native vs helper (FORKLESS_MODE=always,
    diagnostics off), 1 and 4 concurrent callers, best of 3 alternating runs."""
    program = r.tool("spawn_exit_with")
    for callers in (1, 4):
        results = {}
        for preload in (None, "always") * 3:
            env = e2e_run.base_env()
            if preload:
                env.update({"LD_PRELOAD": r.lib, "FORKLESS_MODE": preload})
            proc = subprocess.run([r.tool("spawn_latency"), program, str(callers), str(2000 // callers)],
                                  env=env, capture_output=True, timeout=120)
            line = proc.stdout.decode().strip()
            print(f"  {'helper' if preload else 'native'}: {line}")
            fields = dict(f.split("=") for f in line.split())
            results.setdefault(preload, []).append(float(fields["call_median_us"]))
        native, helper = min(results[None]), min(results["always"])
        print(f"callers={callers}: posix_spawn median native {native:.0f} us, helper {helper:.0f} us, "
              f"ratio {helper / native:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test")
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    args.bindir, args.lib, args.work = (os.path.abspath(p) for p in (args.bindir, args.lib, args.work))
    args.clients = os.path.join(HERE, "clients")
    if not os.path.isfile(args.lib):
        print(f"FAIL: {args.lib} does not exist (build the forkless target first)")
        return 1
    r = Runner(args)
    tests = {
        "differential": test_differential,
        "errors": test_errors,
        "stress": test_stress,
        "fallback": test_fallback,
        "python-client": test_python_client,
        "java-client": test_java_client,
        "latency": latency,
    }
    if args.test not in tests:
        print(f"unknown test {args.test}")
        return 2
    try:
        result = tests[args.test](r)
    except Failure as e:
        print(f"FAIL: {args.test}: {e}")
        return 1
    if result == SKIP:
        return SKIP
    print(f"PASS: {args.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
