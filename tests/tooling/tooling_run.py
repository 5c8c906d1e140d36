#!/usr/bin/env python3
"""Tests of what surrounds the library: the launcher, the install tree, the
library's exports and dependencies, diagnostics (levels, invalid settings,
one log file shared by many processes), and exec with a helper running.

Usage: tooling_run.py TEST --source DIR --build DIR --work DIR
Exit 0 = pass, 1 = fail, 77 = skipped.
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


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")}
    env.update(extra)
    return env


def run(argv, env=None, check_status=None, timeout=120, cwd=None):
    proc = subprocess.run(argv, env=env or clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)
    if check_status is not None and proc.returncode != check_status:
        raise Failure(f"{argv}: status {proc.returncode}, expected {check_status}\n"
                      f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


LINE = re.compile(r"^forkless\[(\d+)\]: (\S+=\S*)( \S+=\S*)*$")


def log_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_launcher_options(a):
    launcher = os.path.join(a.source, "tools", "forkless-run")
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    p = run([launcher, "--help"], check_status=0)
    for option in ("--mode=", "--fork=", "--log", "--helpers=", "--demo", "--report", "--doctor", "--version"):
        if option not in p.stdout:
            raise Failure(f"--help does not mention {option}")
    p = run([launcher, "--version"], check_status=0)
    if not p.stdout.startswith("forkless-run "):
        raise Failure(f"--version printed {p.stdout!r}")
    for bad in (["--mode=sometimes", "true"], ["--fork=maybe", "true"], ["--helpers=0", "true"],
                ["--helpers=65", "true"], ["--frobnicate", "true"], [], ["--log=", "true"],
                ["--demo=long"], ["--log", "--report"], ["--mode=always", "--doctor", "true"]):
        p = run([launcher] + bad)
        if p.returncode != 2 or "forkless-run:" not in p.stderr:
            raise Failure(f"{bad}: status {p.returncode}, stderr {p.stderr!r}: expected 2 and a message")
    p = run([launcher, "--", "no-such-command-xyz"])
    if p.returncode != 127:
        raise Failure(f"missing command gave {p.returncode}, expected 127")
    # Exit status passes through; LD_PRELOAD is appended; options become variables.
    p = run([launcher, "--mode=always", "--fork=native", "--helpers=3", "--", "sh", "-c",
             'echo "$LD_PRELOAD|$FORKLESS_MODE|$FORKLESS_FORK|$FORKLESS_HELPERS"; exit 7'],
            env=clean_env(LD_PRELOAD="/lib/x86_64-linux-gnu/libm.so.6"))
    if p.returncode != 7:
        raise Failure(f"exit status {p.returncode}, expected 7")
    expected = f"/lib/x86_64-linux-gnu/libm.so.6:{lib}|always|native|3"
    if p.stdout.strip() != expected:
        raise Failure(f"got {p.stdout.strip()!r}, expected {expected!r}")
    log = os.path.join(a.work, "launcher.log")
    p = run([launcher, f"--log={log}", "--mode=always", "--", os.path.join(a.build, "tests", "tooling", "tooling_log_storm"), "2"],
            check_status=0)
    lines = [l for l in log_lines(log) if "api=system" in l and " summary=" not in l]
    if len(lines) != 2 or not all("route=helper" in l for l in lines):
        raise Failure(f"--log=FILE gave {lines}")


def test_install_tree(a):
    prefix = os.path.join(a.work, "prefix")
    shutil.rmtree(prefix, ignore_errors=True)
    run(["cmake", "--install", a.build, "--prefix", prefix], check_status=0)
    for relative in ("bin/forkless-run", "lib/forkless/libforkless.so", "libexec/forkless/forkless-helper"):
        if not os.path.exists(os.path.join(prefix, relative)):
            raise Failure(f"install tree lacks {relative}")
    log = os.path.join(a.work, "install.log")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_log_storm")
    p = run([os.path.join(prefix, "bin", "forkless-run"), f"--log={log}", "--", "sh", "-c",
             f'echo "$LD_PRELOAD"; {driver} 3'], check_status=0)
    if p.stdout.strip() != os.path.join(prefix, "lib", "forkless", "libforkless.so"):
        raise Failure(f"installed launcher preloaded {p.stdout.strip()!r}")
    lines = [l for l in log_lines(log) if "api=system" in l and " summary=" not in l]
    if len(lines) != 3 or not all("route=helper" in l for l in lines):
        raise Failure(f"installed library did not use its helper: {lines}")
    # The installed --report and --doctor (libexec/forkless, share/forkless/builtin-fork-sites).
    launcher = os.path.join(prefix, "bin", "forkless-run")
    p = run([launcher, "--report", log], check_status=0)
    if "system: 3 call(s)" not in p.stdout:
        raise Failure(f"installed --report printed {p.stdout!r}")
    p = run([launcher, "--doctor", "--json", "perl" if shutil.which("perl") else "/bin/true"], check_status=0)
    if shutil.which("perl") and "Perl_pp_system" not in p.stdout:
        raise Failure(f"installed --doctor did not find perl's fork sites: {p.stdout}")


def test_library_exports(a):
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    p = run(["readelf", "-d", lib], check_status=0)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", p.stdout)
    if needed != ["libc.so.6"]:
        raise Failure(f"libforkless.so needs {needed}, expected only libc.so.6")
    p = run(["nm", "-D", "--defined-only", lib], check_status=0)
    exported = {line.split()[-1] for line in p.stdout.splitlines() if line.strip()}
    with open(os.path.join(a.source, "shim", "libforkless.map")) as f:
        allowed = set(re.findall(r"^\s+(\w+);", f.read(), re.M))
    extra = exported - allowed
    if extra:
        raise Failure(f"exported beyond the version script: {sorted(extra)}")
    for name in ("system", "popen", "pclose", "waitpid", "wait"):
        if name not in exported:
            raise Failure(f"{name} is not exported")


def test_diagnostics(a):
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_log_storm")
    # Level 2 adds a backtrace starting in the caller.
    log = os.path.join(a.work, "level2.log")
    run([driver, "1"], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="2",
                                     FORKLESS_LOG_FILE=log), check_status=0)
    calls = [l for l in log_lines(log) if "api=system" in l and " summary=" not in l]
    if len(calls) != 1 or not re.search(r" backtrace=main\+0x[0-9a-f]+<", calls[0]):
        raise Failure(f"FORKLESS_LOG=2 line lacks a backtrace from main: {calls}")
    # Level 0: nothing at all, even with a log file named.
    log0 = os.path.join(a.work, "level0.log")
    run([driver, "2"], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG_FILE=log0),
        check_status=0)
    if os.path.exists(log0):
        raise Failure(f"FORKLESS_LOG unset wrote {log_lines(log0)}")
    # FORKLESS=0: nothing intercepted.
    logoff = os.path.join(a.work, "off.log")
    run([driver, "2"], env=clean_env(LD_PRELOAD=lib, FORKLESS="0", FORKLESS_LOG="1", FORKLESS_LOG_FILE=logoff),
        check_status=0)
    if os.path.exists(logoff):
        raise Failure(f"FORKLESS=0 still logged {log_lines(logoff)}")
    # Invalid values: one warning each, defaults used, the program unharmed.
    bad = os.path.join(a.work, "invalid.log")
    p = run([driver, "1"], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="sometimes", FORKLESS_HELPERS="lots",
                                         FORKLESS_LOG="1", FORKLESS_LOG_FILE=bad))
    if p.returncode != 0 or p.stdout or p.stderr:
        raise Failure(f"invalid settings harmed the program: {p.returncode} {p.stdout!r} {p.stderr!r}")
    lines = log_lines(bad)
    # Every process that loads the library (the program, and the shell it
    # spawned) warns once per invalid variable.
    per_process = {}
    for l in lines:
        if "warning=invalid_setting" in l:
            per_process.setdefault(l.split(":")[0], []).append(l)
    if not per_process:
        raise Failure(f"no warnings: {lines}")
    for pid, warnings in per_process.items():
        if len(warnings) != 2 or not any("FORKLESS_MODE" in l for l in warnings) or \
                not any("FORKLESS_HELPERS" in l for l in warnings):
            raise Failure(f"{pid}: expected one warning per invalid variable: {warnings}")
    if not any("api=system route=helper reason=threads" in l for l in lines):
        raise Failure(f"invalid FORKLESS_MODE did not fall back to auto: {lines}")
    # Invalid values with logging off still warn once, on stderr.
    p = run([driver, "1"], env=clean_env(LD_PRELOAD=lib, FORKLESS_LOG="loud"), check_status=0)
    lines = p.stderr.splitlines()
    pids = [l.split(":")[0] for l in lines if "warning=invalid_setting variable=FORKLESS_LOG " in l]
    if not pids or len(pids) != len(set(pids)) or len(pids) != len(lines):
        raise Failure(f"FORKLESS_LOG=loud: stderr {p.stderr!r}")
    # Many processes, one file: every line whole and well-formed.
    storm = os.path.join(a.work, "storm.log")
    env = clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="1", FORKLESS_LOG_FILE=storm)
    procs = [subprocess.Popen([driver, "25"], env=env, stdin=subprocess.DEVNULL) for _ in range(12)]
    if any(p.wait(timeout=120) != 0 for p in procs):
        raise Failure("a log-storm process failed")
    lines = log_lines(storm)
    calls = [l for l in lines if " api=system " in l and "summary=" not in l]
    if len(calls) != 12 * 25:
        raise Failure(f"{len(calls)} call lines, expected {12 * 25}")
    malformed = [l for l in lines if not LINE.match(l)]
    if malformed:
        raise Failure(f"malformed lines: {malformed[:3]}")
    summaries = [l for l in lines if "summary=exit api=system route=helper calls=25 " in l]
    if len(summaries) != 12:
        raise Failure(f"{len(summaries)} summaries, expected 12")


def test_exec_self(a):
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_exec_self")
    native = run([driver], check_status=0)
    log = os.path.join(a.work, "exec.log")
    forkless = run([driver], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="1",
                                           FORKLESS_LOG_FILE=log), check_status=0)
    expected = "system=3\nwaitpid=-1 errno=ECHILD\nchildren=[]\n"
    if native.stdout != expected:
        raise Failure(f"native run printed {native.stdout!r}")
    if forkless.stdout != expected:
        raise Failure(f"under forkless: {forkless.stdout!r}, expected {expected!r}")
    if not any("api=system route=helper" in l for l in log_lines(log)):
        raise Failure("the system() call did not go through the helper")


def test_privilege_drop(a):
    if os.geteuid() != 0:
        print("SKIP privilege-drop: needs root to drop to nobody")
        sys.exit(SKIP)
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_privilege_drop")
    marker_dir = os.path.join(a.work, "markers")
    os.makedirs(marker_dir)
    os.chmod(marker_dir, 0o777)
    native = run([driver, os.path.join(marker_dir, "native")], cwd="/")
    log = os.path.join(marker_dir, "drop.log")
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)  # still writable once the program is nobody
    forkless = run([driver, os.path.join(marker_dir, "forkless")], cwd="/",
                   env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="1", FORKLESS_LOG_FILE=log))
    if native.returncode != 0 or forkless.returncode != 0:
        raise Failure(f"driver failed: native {native.returncode} {native.stderr!r}, "
                      f"forkless {forkless.returncode} {forkless.stderr!r}")
    lines = forkless.stdout.splitlines()
    expected = ["before: uid=0", "channel found: yes", "raw request: refused=yes marker_created=no", "after: uid=65534"]
    if lines != expected:
        raise Failure(f"under forkless: {lines}, expected {expected}")
    if native.stdout.splitlines()[0] != "before: uid=0" or native.stdout.splitlines()[-1] != "after: uid=65534":
        raise Failure(f"native run: {native.stdout!r}")
    if os.path.exists(os.path.join(marker_dir, "forkless")):
        raise Failure("the root helper ran a command for the unprivileged program")
    text = "\n".join(log_lines(log))
    if "api=popen route=helper" not in text or "note=helper_replaced drift=" not in text:
        raise Failure(f"expected helper route and a replaced helper in the log: {text}")


def test_many_descriptors(a):
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_many_fds")
    for count, route in ((200, "route=helper"), (600, "route=native reason=fallback_many_descriptors")):
        native = run([driver, str(count)], check_status=0)
        log = os.path.join(a.work, f"fds-{count}.log")
        forkless = run([driver, str(count)], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="auto", FORKLESS_LOG="1",
                                                          FORKLESS_LOG_FILE=log), check_status=0)
        if native.stdout != forkless.stdout:
            differ = sorted(set(native.stdout.splitlines()) ^ set(forkless.stdout.splitlines()))
            raise Failure(f"{count} descriptors: the child's tables differ in {differ[:10]}")
        if int(native.stdout.split()[-1]) < count:
            raise Failure(f"{count} descriptors: the child saw only {native.stdout.split()[-1]}")
        calls = [l for l in log_lines(log) if "api=popen" in l and " summary=" not in l]
        if len(calls) != 1 or route not in calls[0]:
            raise Failure(f"{count} descriptors: expected {route}: {calls}")


def test_namespace_drift(a):
    lib = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    driver = os.path.join(a.build, "tests", "tooling", "tooling_namespace_drift")
    native = run([driver])
    if native.returncode == SKIP:
        print(native.stdout.strip())
        sys.exit(SKIP)
    log = os.path.join(a.work, "drift.log")
    forkless = run([driver], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="auto", FORKLESS_LOG="1", FORKLESS_LOG_FILE=log))
    lines = native.stdout.splitlines()
    if native.returncode != 0 or len(lines) != 2 or lines[1] != "after: forkless-drift-test":
        raise Failure(f"native run: {native.returncode} {native.stdout!r}")
    if forkless.returncode != 0 or forkless.stdout != native.stdout:
        raise Failure(f"under forkless: {forkless.stdout!r}, natively {native.stdout!r}")
    text = "\n".join(log_lines(log))
    if text.count("api=popen route=helper reason=") != 2 or "note=helper_replaced drift=namespaces" not in text:
        raise Failure(f"expected two helper spawns and a helper replaced for the namespace: {text}")


TESTS = {
    "launcher-options": test_launcher_options,
    "install-tree": test_install_tree,
    "library-exports": test_library_exports,
    "diagnostics": test_diagnostics,
    "exec-self": test_exec_self,
    "privilege-drop": test_privilege_drop,
    "many-descriptors": test_many_descriptors,
    "namespace-drift": test_namespace_drift,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test", choices=sorted(TESTS))
    parser.add_argument("--source", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--work", required=True)
    a = parser.parse_args()
    a.work = os.path.join(a.work, a.test)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    try:
        TESTS[a.test](a)
    except Failure as failure:
        print(f"FAIL {a.test}: {failure}")
        return 1
    print(f"PASS {a.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
