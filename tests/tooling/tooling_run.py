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
    p = run([os.path.join(prefix, "bin", "forkless-run"), "--mode=always", f"--log={log}", "--", "sh", "-c",
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
    p = run([launcher, "--doctor", "--json", "node" if shutil.which("node") else "/bin/true"], check_status=0)
    if shutil.which("node") and "uv_spawn" not in p.stdout:
        raise Failure(f"installed --doctor did not find node's fork site: {p.stdout}")


def test_library_exports(a):
    """The front exports exactly the map made from the one table, the core
    exactly its attach function; both need nothing but libc, and the core
    takes no static TLS (it is loaded with dlopen)."""
    libdir = os.path.join(a.build, "lib", "forkless")
    front, core = os.path.join(libdir, "libforkless.so"), os.path.join(libdir, "libforkless-core.so")
    for lib in (front, core):
        p = run(["readelf", "-d", lib], check_status=0)
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", p.stdout)
        if needed != ["libc.so.6"]:
            raise Failure(f"{lib} needs {needed}, expected only libc.so.6")

    def exports(lib):
        p = run(["nm", "-D", "--defined-only", lib], check_status=0)
        return {line.split()[-1] for line in p.stdout.splitlines() if line.strip()}

    with open(os.path.join(a.source, "shim", "interpose", "interposed_functions.h")) as f:
        table = set(re.findall(r"X\((?:loads|passes|written|entry), [^,]+, (\w+),", f.read()))
    expected = table | {"execl", "execle", "execlp", "__fork", "vfork", "__vfork"}
    with open(os.path.join(a.build, "shim", "libforkless.map")) as f:
        mapped = set(re.findall(r"^\s+(\w+);", f.read(), re.M)) - {"local"}
    if mapped != expected:
        raise Failure(f"the export map differs from the table: {sorted(mapped ^ expected)}")
    got = exports(front)
    if got != expected:
        raise Failure(f"libforkless.so exports {sorted(got - expected)} beyond, lacks {sorted(expected - got)}")
    if exports(core) != {"forkless_core_attach"}:
        raise Failure(f"libforkless-core.so exports {sorted(exports(core))}")
    p = run(["readelf", "-lW", core], check_status=0)
    if re.search(r"^\s+TLS\s", p.stdout, re.M):
        raise Failure("libforkless-core.so has a TLS segment")


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
    # auto, with the driver's threads idle: libc's call is the faster route.
    if not any("api=system route=native reason=native_faster" in l for l in lines):
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
        forkless = run([driver, str(count)], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="1",
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
    forkless = run([driver], env=clean_env(LD_PRELOAD=lib, FORKLESS_MODE="always", FORKLESS_LOG="1", FORKLESS_LOG_FILE=log))
    lines = native.stdout.splitlines()
    if native.returncode != 0 or len(lines) != 2 or lines[1] != "after: forkless-drift-test":
        raise Failure(f"native run: {native.returncode} {native.stdout!r}")
    if forkless.returncode != 0 or forkless.stdout != native.stdout:
        raise Failure(f"under forkless: {forkless.stdout!r}, natively {native.stdout!r}")
    text = "\n".join(log_lines(log))
    if text.count("api=popen route=helper reason=") != 2 or "note=helper_replaced drift=namespaces" not in text:
        raise Failure(f"expected two helper spawns and a helper replaced for the namespace: {text}")


def tool(a, name):
    return os.path.join(a.build, "tests", "tooling", name)


def library(a):
    return os.path.join(a.build, "lib", "forkless", "libforkless.so")


def skip_unless_root(what):
    if os.geteuid() != 0:
        print(f"SKIP {what}: needs root")
        sys.exit(SKIP)


def differential(a, argv, name, mode="always", extra_env=None, cwd=None):
    """Runs argv natively and under the library; requires the same output and
    status (77 natively: skip with the driver's message). Returns (stdout,
    log text)."""
    native = run(argv, cwd=cwd)
    if native.returncode == SKIP:
        print(native.stdout.strip())
        sys.exit(SKIP)
    log = os.path.join(a.work, f"{name}.log")
    env = clean_env(LD_PRELOAD=library(a), FORKLESS_MODE=mode, FORKLESS_LOG="1", FORKLESS_LOG_FILE=log)
    env.update(extra_env or {})
    forkless = run(argv, env=env, cwd=cwd)
    if native.returncode != 0:
        raise Failure(f"native run: status {native.returncode}\n{native.stdout}{native.stderr}")
    if forkless.returncode != native.returncode or forkless.stdout != native.stdout:
        raise Failure(f"under forkless: status {forkless.returncode}\n{forkless.stdout}\nnatively:\n{native.stdout}")
    text = "\n".join(log_lines(log)) if os.path.exists(log) else ""
    return native.stdout, text


def require_in(text, wanted, what):
    for want in wanted:
        if want not in text:
            raise Failure(f"{what}: no {want!r} in:\n{text}")


def test_fork_worker_request(a):
    skip_unless_root("fork-worker-request")
    marker_dir = os.path.join(a.work, "markers")
    os.makedirs(marker_dir)
    os.chmod(marker_dir, 0o777)
    marker = os.path.join(marker_dir, "forkless")
    p = run([tool(a, "tooling_privilege_drop"), marker, "--fork-worker"], cwd="/",
            env=clean_env(LD_PRELOAD=library(a), FORKLESS_MODE="always"))
    lines = p.stdout.splitlines()
    expected = ["before: uid=0", "channel found: yes", "raw request: refused=no marker_created=no",
                "worker: child=none", "parent: worker exited 0, marker_created=no"]
    if p.returncode != 0 or lines != expected:
        raise Failure(f"status {p.returncode}, {lines}, expected {expected}\n{p.stderr}")
    if os.path.exists(marker):
        raise Failure("the root helper ran a command for a _Fork worker that dropped to nobody")


def test_securebits_drift(a):
    skip_unless_root("securebits-drift")
    out, log = differential(a, [tool(a, "tooling_restriction_drift"), "securebits", a.work], "securebits")
    require_in(out, ["after: CapEff:\t0000000000000000"], "securebits")
    require_in(log, ["note=helper_replaced drift=securebits"], "securebits log")


def test_mount_drift(a):
    skip_unless_root("mount-drift")
    hidden = os.path.join(a.work, "hidden")
    os.makedirs(hidden)
    with open(os.path.join(hidden, "secret"), "w") as f:
        f.write("the secret\n")
    out, log = differential(a, [tool(a, "tooling_restriction_drift"), "mount", a.work], "mount")
    require_in(out, ["before: the secret", "after: cat:"], "mount")
    require_in(log, ["note=helper_replaced drift=namespaces"], "mount log")


def test_keyring_drift(a):
    skip_unless_root("keyring-drift")
    out, log = differential(a, [tool(a, "tooling_restriction_drift"), "keyring", a.work], "keyring")
    require_in(out, ["before: keyring=parent's", "after: keyring=other"], "keyring")
    require_in(log, ["note=helper_replaced drift=session_keyring"], "keyring log")


def test_landlock_drift(a):
    with open(os.path.join(a.work, "secret"), "w") as f:
        f.write("the secret\n")
    out, log = differential(a, [tool(a, "tooling_landlock_drift"), a.work], "landlock", mode="always")
    require_in(out, ["before posix_spawnp: cat status 0", "after system: cat status 1", "after popen: cat status 1",
                     "after posix_spawn: cat status 1", "after posix_spawnp: cat status 1"], "landlock")
    calls = [l for l in log.splitlines() if " api=" in l and "summary=" not in l]
    after = calls[-4:]
    if len(calls) != 9 or not all("reason=fallback_landlock" in l for l in after):
        raise Failure(f"expected the four calls after the domain to go native for it: {calls}")


def test_inherited_context(a):
    out, log = differential(a, [tool(a, "tooling_inherited_context"), "context"], "context")
    after = out.split("--- after\n")[1]
    require_in(after, ["oom_score_adj=500", "coredump_filter=00000007", "thp_disable=1", "scheduler=5"],
               "inherited context")
    if log.count("api=posix_spawn route=helper reason=") != 2:
        raise Failure(f"expected both spawns through the helper: {log}")


def test_pipe_eof(a):
    out, log = differential(a, [tool(a, "tooling_inherited_context"), "pipe-eof"], "pipe")
    require_in(out, ["rounds where the read end was not at EOF: 0"], "pipe EOF")
    if log.count("api=posix_spawn route=helper reason=") != 200:
        raise Failure("expected 200 spawns through the helper")


def test_hidden_table(a):
    # A retired helper is killed and reaped at once, stopped or not, so the
    # table of hidden pids never holds more than the live helpers: 300
    # replacements of stopped helpers leave no helper for waitpid(-1) to
    # return. (Were one left unreaped with the table full, no helper would
    # start: reason=fallback_hidden_table_full.)
    out, log = differential(a, [tool(a, "tooling_hidden_table")], "hidden")
    require_in(out, ["waitpid(-1)=ECHILD"], "hidden table")
    replaced = len(re.findall(r"note=helper_replaced", log))
    if replaced < 250:
        raise Failure(f"expected about 300 helpers replaced, saw {replaced}: {log[-2000:]}")


def test_many_groups(a):
    skip_unless_root("many-groups")
    out, log = differential(a, [tool(a, "tooling_many_groups")], "groups")
    require_in(out, ["before: last group 20299", "after: last group 29999"], "many groups")
    require_in(log, ["note=helper_replaced drift=groups"], "many groups log")
    if "fallback" in log:
        raise Failure(f"the helper had to refuse what the shim should have seen: {log}")


def test_fork_stack_eintr(a):
    preload = tool(a, "tooling_eintr_maps.so") + ":" + library(a)
    log = os.path.join(a.work, "eintr.log")
    p = run([tool(a, "tooling_fork_on_own_stack")], env=clean_env(LD_PRELOAD=preload, FORKLESS_FORK="all",
                                                                  FORKLESS_LOG="1", FORKLESS_LOG_FILE=log))
    if p.returncode != 0 or p.stdout.strip() != "child exit status 3":
        raise Failure(f"status {p.returncode}: {p.stdout!r} {p.stderr!r}")
    forks = [l for l in log_lines(log) if "api=fork" in l and "summary=" not in l]
    if len(forks) != 1 or "route=emulated" not in forks[0]:
        raise Failure(f"an interrupted read of /proc/self/maps made the fork native: {forks}")


def test_configure_without_usr_bin_python(a):
    build = os.path.join(a.work, "build")
    p = run(["cmake", "-S", a.source, "-B", build, "-DFORKLESS_TOOLING_PYTHON_DIR=/nonexistent"], timeout=300)
    if p.returncode != 0:
        raise Failure(f"configure without python3 in the preferred directory failed:\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")


def test_log_after_drop(a):
    skip_unless_root("log-after-drop")
    marker_dir = os.path.join(a.work, "markers")
    os.makedirs(marker_dir)
    os.chmod(marker_dir, 0o777)
    log = os.path.join(a.work, "root-only.log")  # 0644, root's: nobody cannot open it
    p = run([tool(a, "tooling_privilege_drop"), os.path.join(marker_dir, "m")], cwd="/",
            env=clean_env(LD_PRELOAD=library(a), FORKLESS_MODE="always", FORKLESS_LOG="1", FORKLESS_LOG_FILE=log))
    if p.returncode != 0:
        raise Failure(f"driver failed: {p.returncode} {p.stderr!r}")
    if oct(os.stat(log).st_mode & 0o777) != "0o644" or os.stat(log).st_uid != 0:
        raise Failure("the log file is not root's and 0644")
    text = "\n".join(log_lines(log))
    # The last popen runs as nobody: its drift note and its call line.
    require_in(text, ["note=helper_replaced drift=ids"], "log after the drop")
    if text.count("api=popen") < 2:
        raise Failure(f"the call made after the drop was not logged: {text}")


TESTS = {
    "launcher-options": test_launcher_options,
    "install-tree": test_install_tree,
    "library-exports": test_library_exports,
    "diagnostics": test_diagnostics,
    "exec-self": test_exec_self,
    "privilege-drop": test_privilege_drop,
    "many-descriptors": test_many_descriptors,
    "namespace-drift": test_namespace_drift,
    "fork-worker-request": test_fork_worker_request,
    "securebits-drift": test_securebits_drift,
    "mount-drift": test_mount_drift,
    "keyring-drift": test_keyring_drift,
    "landlock-drift": test_landlock_drift,
    "inherited-context": test_inherited_context,
    "pipe-eof": test_pipe_eof,
    "hidden-table": test_hidden_table,
    "many-groups": test_many_groups,
    "fork-stack-eintr": test_fork_stack_eintr,
    "configure-without-usr-bin-python": test_configure_without_usr_bin_python,
    "log-after-drop": test_log_after_drop,
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
