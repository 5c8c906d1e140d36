#!/usr/bin/env python3
"""Runner for the end-to-end tests of system() and popen().

Each test runs a small program natively and under libforkless.so, then
requires identical output and exit status (or, for the self-checking fault
driver, a clean pass both ways) and the expected route= lines in the
diagnostics. Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).

Usage: e2e_run.py TEST --bindir DIR --lib PATH --work DIR [--clients DIR]
Tests: differential, python-client, php-client, fault-<mode> (see
fault_driver.cpp), outlive, outlive-kill, outlive-fork-worker, subreaper-exit,
subreaper-stopped-exit, greeting-stopped, greeting-never, bad-null, bad-empty,
bad-big-args, bad-big-env, bad-missing-shell, helper-start.
Stdlib only.
"""
import argparse
import ctypes
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
TIMEOUT = 60


class Failure(Exception):
    pass


def base_env():
    """The caller's environment without anything forkless would act on."""
    return {
        k: v
        for k, v in os.environ.items()
        if k != "LD_PRELOAD" and not k.startswith("FORKLESS")
    }


class Runner:
    def __init__(self, args):
        self.bindir = args.bindir
        self.lib = args.lib
        self.clients = args.clients
        self.work = os.path.join(args.work, args.test)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.log = os.path.join(self.work, "forkless.log")

    def tool(self, name):
        return os.path.join(self.bindir, name)

    def preload_env(self, mode):
        return {
            "LD_PRELOAD": self.lib,
            "FORKLESS_MODE": mode,
            "FORKLESS_LOG": "1",
            "FORKLESS_LOG_FILE": self.log,
        }

    def run(self, argv, preload=None, cwd=None, extra_env=None, prefix=()):
        """Runs argv natively (preload=None) or under the library in mode
        `preload`. `prefix` goes before the preload variables (used to run
        the driver inside unshare without preloading unshare itself)."""
        env = base_env()
        env.update(extra_env or {})
        command = list(prefix)
        if preload:
            command += ["env"] + [f"{k}={v}" for k, v in self.preload_env(preload).items()]
        command += list(argv)
        label = "forkless" if preload else "native"
        try:
            proc = subprocess.run(
                command,
                env=env,
                cwd=cwd or self.work,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise Failure(f"{label} run of {argv} did not finish in {TIMEOUT} s (hang)")
        print(f"[{label}] exit={proc.returncode} stdout={len(proc.stdout)}B stderr={len(proc.stderr)}B")
        return proc

    def fresh_dir(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def log_lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def require_routes(self, *apis, pid=None):
        lines = self.log_lines()
        for api in apis:
            pattern = re.compile(rf"^forkless\[(\d+)\]:.*\bapi={api} route=helper\b")
            hits = [l for l in lines if (m := pattern.search(l)) and (pid is None or m.group(1) == str(pid))]
            if not hits:
                print("--- diagnostics log:")
                print("\n".join(lines[-40:]) or "(empty or missing)")
                who = f" from pid {pid}" if pid else ""
                raise Failure(f"no 'api={api} route=helper' line{who} in {self.log}")
            print(f"ok: {len(hits)} diagnostics line(s) with api={api} route=helper")


def show_diff(name, native, forkless):
    a = native.decode(errors="replace").splitlines(keepends=True)
    b = forkless.decode(errors="replace").splitlines(keepends=True)
    sys.stdout.writelines(difflib.unified_diff(a, b, f"native {name}", f"forkless {name}"))


def require_same(native, forkless):
    same = True
    for name in ("stdout", "stderr"):
        if getattr(native, name) != getattr(forkless, name):
            show_diff(name, getattr(native, name), getattr(forkless, name))
            same = False
    if native.returncode != forkless.returncode:
        print(f"exit status: native {native.returncode}, forkless {forkless.returncode}")
        same = False
    if not same:
        raise Failure("output under forkless differs from native")
    print("ok: identical output and exit status natively and under forkless")


def require_every(proc, prefix, value):
    """Every native output line starting with prefix must be exactly value."""
    lines = [l for l in proc.stdout.decode(errors="replace").splitlines() if l.startswith(prefix)]
    if not lines or any(l != value for l in lines):
        raise Failure(f"native output: lines {lines} should all be {value!r}")


def require_lines(proc, present=(), absent=()):
    """Sanity checks on the native run, so the comparison cannot pass
    vacuously (e.g. because the driver's set-up silently did nothing)."""
    text = proc.stdout.decode(errors="replace")
    lines = text.splitlines()
    for want in present:
        if want not in lines:
            print(text)
            raise Failure(f"native output lacks the line {want!r}")
    for unwanted in absent:
        if any(l.startswith(unwanted) for l in lines):
            raise Failure(f"native output has a line starting {unwanted!r}")


# ---------------------------------------------------------------- tests


def test_differential(r):
    driver, probe = r.tool("e2e_spawn_driver"), r.tool("e2e_probe")
    cwd = os.path.join(r.work, "cwd")
    procs = []
    for preload in (None, "always"):
        shutil.rmtree(cwd, ignore_errors=True)
        os.makedirs(cwd)
        procs.append(r.run([driver, probe, cwd], preload, extra_env={"FL_E2E_DOOMED": "1"}))
    native = procs[0]
    if native.returncode != 0:
        raise Failure(f"native driver failed: {native.stderr.decode()}")
    require_lines(
        native,
        present=[
            "umask=0027",
            f"nice={os.getpriority(os.PRIO_PROCESS, 0) + 3}",
            f"fd 5 target={cwd}/a.txt offset=7 access=rw append=0 nonblock=0 cloexec=0",
            f"fd 7 target={cwd}/b.log offset=11 access=w append=1 nonblock=0 cloexec=0",
            f"fd 100 target={cwd}/a.txt offset=7 access=rw append=0 nonblock=0 cloexec=0",
            "sig.blocked=28,",
            "sig.ignored=12,",
            "ppid.is_driver=yes",
            "pgrp=parent's",
            "env FL_E2E_LATE=set after start",
            "system.status=768 exited=3",
            "pclose-w.status=1536 exited=6",
            "pclose-r.status=1280 exited=5",
            "stdin.text=hello from the driver",
        ],
        absent=["fd 9 ", "fd 13 ", "fd 21 ", "env FL_E2E_DOOMED"],
    )
    # The probe sees the caller's mask (SIGWINCH) and SIGINT/SIGQUIT at
    # default, whichever call started it; the caller's state is restored.
    require_every(native, "sig.blocked=", "sig.blocked=28,")
    require_every(native, "sig.ignored=", "sig.ignored=12,")
    require_every(native, "sig.handled=", "sig.handled=")
    require_lines(native, present=["system-kill-parent.status=2304 exited=9", "after.blocked=28,",
                                   "after.sig2=default", "after.sig3=default", "after.sig10=handled"])
    require_same(*procs)
    r.require_routes("system", "popen")


def test_python_client(r):
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        print(f"SKIP: {python} (Debian's python3) is not installed")
        return SKIP
    script = os.path.join(r.clients, "py_client.py")
    procs = [r.run([python, "-I", script, r.fresh_dir("cwd")], p) for p in (None, "always")]
    require_lines(procs[0], present=["os.system('exit 3'): (768, 3)", "20 os.system exit codes: 'checked'"])
    require_same(*procs)
    r.require_routes("system")


def test_php_client(r):
    php = shutil.which("php")
    if not php:
        print("SKIP: php (Debian's php-cli) is not installed")
        return SKIP
    script = os.path.join(r.clients, "php_client.php")
    procs = [r.run([php, script, r.fresh_dir("cwd")], p) for p in (None, "always")]
    require_lines(procs[0], present=["exec code: 4", "passthru code: 6", "popen-r pclose: 7",
                                     "20 exec exit codes: 'checked'"])
    require_same(*procs)
    r.require_routes("popen")


# Run as this user: RLIMIT_NPROC binds only an unprivileged user, and one of
# its own, so that no other process comes or goes under the same count.
NPROC_USER = "47011"


def run_fault(r, mode, preload):
    extra = ["--expect-helper"] if preload else []
    # prefork: no helper may exist before the fork, as in a descendant of a
    # program run under forkless-run
    env = {"FORKLESS_HELPER_START": "lazy"} if mode == "prefork" else None
    prefix = []
    if mode == "nproc-limit":
        prefix = ["setpriv", f"--reuid={NPROC_USER}", f"--regid={NPROC_USER}", "--clear-groups", "--"]
    # fork-in-lock: fork() takes the fork learn and site cache locks too
    if mode == "fork-in-lock":
        env = dict(env or {}, FORKLESS_FORK="learn")
    proc = r.run([r.tool("e2e_fault_driver"), mode] + extra, preload, cwd=r.fresh_dir("cwd"), extra_env=env,
                 prefix=prefix)
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        print(out, proc.stderr.decode(errors="replace"))
        how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}"
        raise Failure(f"fault_driver {mode} {'under forkless' if preload else 'natively'}: {how}")
    for line in out.splitlines():
        if line.startswith("FAIL") or line.startswith("info:"):
            print(line)
    return out


def test_fault(r, mode):
    if mode == "nproc-limit" and (os.geteuid() != 0 or not shutil.which("setpriv")):
        print("SKIP: the nproc-limit test needs root and setpriv, to run the driver as an unprivileged user")
        return SKIP
    native = run_fault(r, mode, None)
    skipped = [l for l in native.splitlines() if l.startswith("SKIP:")]
    if skipped:
        print(skipped[0])
        return SKIP
    out = run_fault(r, mode, "always")
    if mode != "nproc-limit":  # its log file is not writable by that user
        r.require_routes("system")
    if mode == "daemonize":
        m = re.search(r"^info: daemon_pid=(\d+)$", out, re.M)
        if not m:
            raise Failure("fault_driver printed no daemon pid")
        r.require_routes("system", "popen", pid=m.group(1))
    if mode == "popen-routes":
        # Not vacuous: popen() went through the helper and through libc.
        lines = r.log_lines()
        for want in (r"\bapi=popen route=helper\b", r"\bapi=popen route=native reason=fallback_many_descriptors\b"):
            if not any(re.search(want, l) for l in lines):
                raise Failure(f"no diagnostics line matching {want!r} in {r.log}")
    if mode == "prefork":
        m = re.search(r"^info: worker_pid=(\d+)$", out, re.M)
        if not m:
            raise Failure("fault_driver printed no worker pid")
        r.require_routes("system", "popen", pid=m.group(1))


def become_subreaper():
    """Orphaned descendants (a helper outliving its program) get reparented
    to this runner, where they can be seen."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise Failure("prctl(PR_SET_CHILD_SUBREAPER) failed")


def proc_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    comm = data[data.index("(") + 1 : data.rindex(")")]
    fields = data[data.rindex(")") + 2 :].split()
    return {"comm": comm, "state": fields[0], "ppid": int(fields[1]), "start": int(fields[19])}


def live_orphan_helpers():
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st and st["ppid"] == os.getpid() and st["comm"] == "forkless-helper" and st["state"] != "Z":
                out.append(int(entry))
    return out


def test_outlive(r, mode):
    become_subreaper()
    env = base_env()
    argv = [r.tool("e2e_fault_driver"), mode, "--expect-helper"]
    command = ["env"] + [f"{k}={v}" for k, v in r.preload_env("always").items()] + argv
    proc = subprocess.Popen(command, env=env, cwd=r.work, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, text=True)
    helpers, lines, workers = {}, [], []
    deadline = time.monotonic() + TIMEOUT
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("info: worker="):
            workers.append(int(line.strip().split("=", 1)[1]))
        if line.startswith("info: helpers="):
            for pid in filter(None, line.strip().split("=", 1)[1].split(",")):
                helpers[int(pid)] = (proc_stat(int(pid)) or {}).get("start")
        if line.startswith("info: waiting") or time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            break
    rest = proc.communicate(timeout=TIMEOUT)[0]
    print("\n".join(lines) + (rest or ""))
    if mode == "outlive" and proc.returncode != 0:
        raise Failure(f"fault_driver {mode} exited {proc.returncode}")
    if not helpers:
        raise Failure("the program reported no forkless-helper child")
    ended = time.monotonic()
    while True:
        alive = [pid for pid, start in helpers.items()
                 if (st := proc_stat(pid)) and st["comm"] == "forkless-helper"
                 and st["state"] != "Z" and st["start"] == start]
        alive += [pid for pid in live_orphan_helpers() if pid not in alive]
        if not alive or time.monotonic() - ended > 2.0:
            break
        time.sleep(0.05)
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG if not workers else 0)[0] == 0:
                break
        except ChildProcessError:
            break
    if alive:
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        raise Failure(f"forkless-helper {alive} still running 2 s after its program ended")
    print(f"ok: helper(s) {sorted(helpers)} gone after the program ended")


def test_subreaper(r, mode):
    """Run as a subreaper, the runner reaps whatever the program leaves
    behind when it exits normally: natively nothing, so under forkless
    nothing either (no helper, not even a stopped one), and the exit is
    prompt."""
    become_subreaper()
    for preload in (None, "always"):
        started = time.monotonic()
        proc = r.run([r.tool("e2e_fault_driver"), mode, "--expect-helper" if preload else "-"], preload)
        took = time.monotonic() - started
        out = proc.stdout.decode(errors="replace")
        if proc.returncode != 0:
            print(out)
            raise Failure(f"fault_driver {mode} exited {proc.returncode}")
        left = []
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            try:
                pid = os.waitpid(-1, os.WNOHANG)[0]
            except ChildProcessError:
                pid = 0
            if pid:
                left.append(pid)
            else:
                time.sleep(0.05)
        for pid in children_of(os.getpid()):  # still running (a stopped helper)
            left.append(pid)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        label = "under forkless" if preload else "natively"
        print(f"{label}: exit after {took:.2f} s, {len(left)} process(es) left to the subreaper")
        if left:
            raise Failure(f"{label}: the subreaper reaped {left} after the program exited")
        if took > 5.0:
            raise Failure(f"{label}: the program took {took:.1f} s to run and exit")


def fake_helper_tree(r, script):
    """A copy of the library (the front and the core beside it) whose helper
    program is `script`: the library finds its helper relative to its own
    path."""
    root = r.fresh_dir("fake")
    libdir = os.path.join(root, "lib", "forkless")
    helperdir = os.path.join(root, "libexec", "forkless")
    os.makedirs(libdir)
    os.makedirs(helperdir)
    lib = os.path.join(libdir, os.path.basename(r.lib))
    for name in os.listdir(os.path.dirname(r.lib)):
        shutil.copy(os.path.join(os.path.dirname(r.lib), name), libdir)
    helper = os.path.join(helperdir, "forkless-helper")
    with open(helper, "w") as f:
        f.write(script)
    os.chmod(helper, 0o755)
    return lib


def test_greeting(r, kind):
    """A helper that stops itself before its hello, or a helper program
    that never greets: every call is bounded, and the silent program is
    given up after one wait (in forked children too)."""
    real_helper = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(r.lib))), "libexec", "forkless",
                               "forkless-helper")
    if kind == "stopped":
        script = f'#!/bin/sh\nkill -STOP $$\nexec {real_helper} "$@"\n'
    else:
        script = "#!/bin/sh\nexec sleep 20\n"
    r.lib = fake_helper_tree(r, script)
    run_fault(r, "greeting", None)
    run_fault(r, "greeting", "always")
    lines = r.log_lines()
    if not any("reason=fallback_helper" in l for l in lines):
        print("\n".join(lines[-20:]))
        raise Failure("no call fell back for the helper's greeting")


def children_of(pid):
    """Live children of pid (all its threads), as {pid: comm}."""
    found = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                for child in f.read().split():
                    st = proc_stat(int(child))
                    if st and st["state"] != "Z":
                        found[int(child)] = st["comm"]
        except OSError:
            pass
    return found


def wait_for_children(pid, want_helper, seconds=2.0):
    """Children of pid once a helper is among them (or, when none is wanted,
    after a short settling time: an eager start would have shown by then)."""
    deadline = time.monotonic() + (seconds if want_helper else 0.4)
    while True:
        kids = children_of(pid)
        if want_helper and "forkless-helper" in kids.values():
            return kids
        if time.monotonic() > deadline:
            return kids
        time.sleep(0.02)


def test_helper_start(r):
    """FORKLESS_HELPER_START: by default the program that loads the library
    starts its helper before main where its spawns go to helpers
    (FORKLESS_MODE=always), and at its first call sent to a helper in auto
    mode (a helper held open taxes the calls that go to libc); its
    descendants start theirs lazily (the variable is set to lazy for them,
    in every mode, so that they load the core only if they spawn);
    lazy starts none until a spawn; eager starts one in every process."""
    script = 'echo "start=$FORKLESS_HELPER_START"; sleep 30 & echo "sleep=$!"; wait'
    cases = [(None, "always", True, False, "lazy"), (None, None, False, False, "lazy"),
             (None, "native", False, False, "lazy"),
             ("lazy", "always", False, False, "lazy"), ("eager", None, True, True, "eager")]
    for setting, mode, program_has, descendant_has, inherited in cases:
        env = base_env()
        env["LD_PRELOAD"] = r.lib
        if mode:
            env["FORKLESS_MODE"] = mode
        if setting:
            env["FORKLESS_HELPER_START"] = setting
        proc = subprocess.Popen(["/bin/sh", "-c", script], env=env, cwd=r.work,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        try:
            start = proc.stdout.readline().strip()
            sleeper = int(proc.stdout.readline().strip().split("=", 1)[1])
            program = wait_for_children(proc.pid, program_has)
            descendant = wait_for_children(sleeper, descendant_has)
        finally:
            for pid in children_of(proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.wait(timeout=TIMEOUT)
        label = f"FORKLESS_HELPER_START={setting or '(unset)'} FORKLESS_MODE={mode or '(unset)'}"
        print(f"{label}: {start}, program's children {sorted(program.values())}, "
              f"its child's children {sorted(descendant.values())}")
        if start != f"start={inherited}":
            raise Failure(f"{label}: the program saw {start}, expected start={inherited}")
        if ("forkless-helper" in program.values()) != program_has:
            raise Failure(f"{label}: the program {'has no' if program_has else 'has a'} helper before any spawn")
        if ("forkless-helper" in descendant.values()) != descendant_has:
            raise Failure(f"{label}: its child {'has no' if descendant_has else 'has a'} helper before any spawn")


def test_bad(r, mode):
    driver = r.tool("e2e_badinput_driver")
    argv = [driver, mode] + ([r.tool("e2e_probe")] if mode == "big-env" else [])
    procs = [r.run(argv, p) for p in (None, "always")]
    if procs[0].returncode != 0:
        raise Failure(f"native driver failed: {procs[0].stderr.decode()}")
    if mode == "null":
        require_lines(procs[0], present=["system(NULL)=1 nonzero=1"])
    if mode == "big-args":
        require_lines(procs[0], present=["system-100KiB=0 exited=0", "system-1024KiB=32512 exited=127"])
    if mode == "big-env":
        require_lines(procs[0], present=["1000", "system-env-count=0 exited=0"])
    require_same(*procs)
    if mode in ("big-args", "big-env"):
        r.require_routes("system", "popen")


def test_missing_shell(r):
    if os.geteuid() != 0:
        print("SKIP: the missing-shell test needs root (unshare -m, mount --bind)")
        return SKIP
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        print("SKIP: unshare -m failed here (no mount namespaces)")
        return SKIP
    cases = {"empty": ("", 0o755, "ENOEXEC"), "noexec": ("exit 0\n", 0o644, "EACCES")}
    for name, (content, mode, errname) in cases.items():
        bad = os.path.join(r.work, f"bad-sh-{name}")
        with open(bad, "w") as f:
            f.write(content)
        os.chmod(bad, mode)
        prefix = ["unshare", "-m", "--", "/bin/bash", "-c",
                  'mount --bind "$1" /bin/sh && shift && exec "$@"', "_", bad]
        argv = [r.tool("e2e_badinput_driver"), "missing-shell"]
        print(f"-- /bin/sh replaced by {name} file")
        procs = [r.run(argv, p, prefix=prefix) for p in (None, "always")]
        require_lines(procs[0], present=["system(NULL)=0", "system-echo=32512 exited=127"])
        if errname not in procs[0].stdout.decode():
            raise Failure(f"native run did not report {errname}: {procs[0].stdout.decode()}")
        require_same(*procs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test")
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--clients", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients"))
    args = parser.parse_args()
    if not os.path.isfile(args.lib):
        print(f"FAIL: {args.lib} does not exist (build the forkless target first)")
        return 1
    r = Runner(args)
    t = args.test
    tests = {
        "differential": lambda: test_differential(r),
        "python-client": lambda: test_python_client(r),
        "php-client": lambda: test_php_client(r),
        "outlive": lambda: test_outlive(r, "outlive"),
        "outlive-kill": lambda: test_outlive(r, "outlive-kill"),
        "outlive-fork-worker": lambda: test_outlive(r, "outlive-fork-worker"),
        "subreaper-exit": lambda: test_subreaper(r, "outlive"),
        "subreaper-stopped-exit": lambda: test_subreaper(r, "stopped-exit"),
        "greeting-stopped": lambda: test_greeting(r, "stopped"),
        "greeting-never": lambda: test_greeting(r, "never"),
        "bad-missing-shell": lambda: test_missing_shell(r),
        "helper-start": lambda: test_helper_start(r),
    }
    if t.startswith("fault-"):
        tests[t] = lambda: test_fault(r, t[len("fault-"):])
    elif t.startswith("bad-") and t not in tests:
        tests[t] = lambda: test_bad(r, t[len("bad-"):])
    if t not in tests:
        print(f"unknown test {t}")
        return 2
    try:
        result = tests[t]()
    except Failure as e:
        print(f"FAIL: {t}: {e}")
        return 1
    if result == SKIP:
        return SKIP
    print(f"PASS: {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
