"""The Debian package: built, checked by lintian, installed, used, purged.

Hazard: installing is machine-wide. The ctest entry is RUN_SERIAL and this
check holds an exclusive lock, so two runs (two worktrees' tools/check) never
install or purge at the same time; a forkless package that was installed
before the check is left alone (the check is skipped, saying so)."""
import fcntl
import os
import re
import shutil
import tempfile

from common import Failure, Skip, clean_env, read, run, unit_environment

LOCK = "/run/lock/forkless-package-check.lock"
PACKAGE = "forkless"
LIBRARY = "/usr/lib/x86_64-linux-gnu/forkless/libforkless.so"
REQUIRED = ["/usr/bin/forkless-run", LIBRARY, "/usr/libexec/forkless/forkless-helper",
            "/usr/libexec/forkless/forkless-bench", "/usr/libexec/forkless/forkless-report",
            "/usr/libexec/forkless/forkless-doctor", "/usr/share/forkless/builtin-fork-sites",
            "/usr/share/man/man1/forkless-run.1.gz", "/usr/share/man/man7/forkless.7.gz",
            "/usr/share/man/man8/forkless-helper.8.gz", "/usr/share/doc/forkless/copyright",
            "/usr/share/doc/forkless/changelog.gz"]
# The package's own directories: after a purge none may remain.
OWN_DIRS = ["/usr/lib/x86_64-linux-gnu/forkless", "/usr/libexec/forkless", "/usr/share/forkless",
            "/usr/share/doc/forkless"]
# system() and popen() take the helper only while the demo's workers saturate
# the processors (FORKLESS_MODE=auto): either route may show.
DEMO_TABLE = re.compile(r"system\(\).*(helper|native) \d+/\d+.*popen\(\).*(helper|native) \d+/\d+"
                        r".*fork\(\)\+exec\(\).*emulated \d+/\d+", re.S)


def installed():
    return run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check_status=None).stdout.endswith("installed")


def build_package(a):
    out = os.path.join(a.work, "deb")
    proc = run([os.path.join(a.source, "tools", "package"), "--out", out], timeout=1200)
    deb = proc.stdout.strip().splitlines()[-1]
    if not re.fullmatch(r".*/forkless_\d+\.\d+\.\d+_amd64\.deb", deb) or not os.path.isfile(deb):
        raise Failure(f"tools/package printed {deb!r}")
    return deb


def check_contents(deb):
    listing = run(["dpkg-deb", "-c", deb]).stdout
    paths = {"/" + line.split()[-1].lstrip("./") for line in listing.splitlines()}
    missing = [p for p in REQUIRED if p not in paths]
    if missing:
        raise Failure(f"the package lacks {missing}")
    if any(" root/root " not in line for line in listing.splitlines()):
        raise Failure("files not owned by root in the package")


def check_depends(a, deb):
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    if "libc6 (>= 2.36)" not in depends:
        raise Failure(f"Depends lacks libc6 (>= 2.36): {depends}")
    if shutil.which("dpkg-shlibdeps") is None:
        raise Failure("dpkg-shlibdeps is missing (tools/setup-deps installs dpkg-dev)")
    # What the binaries need, as dpkg-shlibdeps computes it, must be covered by Depends.
    with tempfile.TemporaryDirectory() as scratch:
        run(["dpkg-deb", "-x", deb, scratch])
        os.makedirs(os.path.join(scratch, "debian"))
        with open(os.path.join(scratch, "debian", "control"), "w") as handle:
            handle.write("Source: forkless\n\nPackage: forkless\nArchitecture: any\n")
        elves = [os.path.join(scratch, p.lstrip("/")) for p in
                 (LIBRARY, "/usr/libexec/forkless/forkless-helper", "/usr/libexec/forkless/forkless-bench")]
        needed = run(["dpkg-shlibdeps", "-O", *elves], cwd=scratch).stdout
    ours = dict(re.findall(r"([a-z0-9.+-]+)(?: \(>= ([^)]+)\))?", depends))
    for name, version in re.findall(r"([a-z0-9.+-]+)(?: \(>= ([^)]+)\))?", needed.split("=", 1)[1]):
        if name not in ours:
            raise Failure(f"dpkg-shlibdeps says the binaries need {name}; Depends: {depends}")
        if version and run(["dpkg", "--compare-versions", ours[name] or "0", "ge", version],
                           check_status=None).returncode != 0:
            raise Failure(f"{name}: Depends has >= {ours[name]}, the binaries need >= {version}")


def check_lintian(deb):
    if shutil.which("lintian") is None:
        raise Failure("lintian is missing (tools/setup-deps installs it)")
    proc = run(["lintian", "--no-tag-display-limit", deb], check_status=None, timeout=600)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
    if errors:
        raise Failure("lintian errors:\n" + "\n".join(errors))
    print(f"lintian: no errors ({len(proc.stdout.splitlines())} other line(s))")


def use_installed(a):
    run(["/usr/bin/forkless-run", "--version"])
    demo = run(["/usr/bin/forkless-run", "--demo=short"], check_status=None, timeout=300)
    if not DEMO_TABLE.search(demo.stdout):
        raise Failure(f"the installed demo's short leg printed no forkless table:\n{demo.stdout}\n{demo.stderr}")
    log = os.path.join(a.work, "installed.log")
    storm = os.path.join(a.build, "tests", "tooling", "tooling_log_storm")
    proc = run(["/usr/bin/forkless-run", "--mode=always", f"--log={log}", "--", "sh", "-c",
                f'echo "$LD_PRELOAD"; {storm} 3'])
    if proc.stdout.strip() != LIBRARY:
        raise Failure(f"the installed launcher preloaded {proc.stdout.strip()!r}, expected {LIBRARY}")
    calls = [l for l in read(log).splitlines() if "api=system" in l and "summary=" not in l]
    if len(calls) != 3 or not all("route=helper" in l for l in calls):
        raise Failure(f"the installed library did not spawn through its helper: {calls}")
    report = run(["/usr/bin/forkless-run", "--report", log]).stdout
    if "system: 3 call(s)" not in report:
        raise Failure(f"the installed --report: {report}")
    run(["/usr/bin/forkless-run", "--doctor", "/bin/true"])
    run(["man", "-w", "forkless-run"])


def use_snippets(a):
    """The drop-in's and the Dockerfile's variables, as a service or a container would get them."""
    logs = os.path.join(a.work, "var-log-forkless")
    os.makedirs(logs, exist_ok=True)
    env = unit_environment(read(os.path.join(a.source, "packaging", "systemd", "forkless.conf")),
                           "forkless-check", logs)
    dockerfile = read(os.path.join(a.source, "packaging", "container", "Dockerfile"))
    docker_env = dict(re.findall(r"^ENV (\w+)=(\S+)$", dockerfile, re.M))
    if docker_env.get("LD_PRELOAD") != env.get("LD_PRELOAD") or env.get("LD_PRELOAD") != LIBRARY:
        raise Failure(f"the snippets preload {env.get('LD_PRELOAD')} and {docker_env.get('LD_PRELOAD')}, "
                      f"the package installs {LIBRARY}")
    storm = os.path.join(a.build, "tests", "tooling", "tooling_log_storm")
    run(["sh", "-c", f"{storm} 2"], env=clean_env(**env))
    log = os.path.join(logs, "forkless-check.log")
    calls = [l for l in read(log).splitlines() if "api=system" in l and "summary=" not in l]
    if len(calls) != 2:
        raise Failure(f"with the drop-in's variables, {log} got {calls}")


def purge_and_check(files):
    run(["dpkg", "--purge", PACKAGE])
    if installed():
        raise Failure("still installed after dpkg --purge")
    left = [p for p in files if os.path.lexists(p) and not os.path.isdir(p)]
    left += [d for d in OWN_DIRS if os.path.lexists(d)]
    if left:
        raise Failure(f"left behind after the purge: {left}")


def test_deb(a):
    if os.geteuid() != 0:
        raise Skip("needs root: it installs the package with dpkg -i")
    if shutil.which("dpkg") is None or shutil.which("dpkg-deb") is None:
        raise Skip("dpkg is missing: not a Debian system")
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            raise Skip("a forkless package is already installed on this machine: not replacing it")
        deb = build_package(a)
        check_contents(deb)
        check_depends(a, deb)
        check_lintian(deb)
        files = []
        run(["dpkg", "-i", deb], timeout=300)
        try:
            files = [p for p in run(["dpkg", "-L", PACKAGE]).stdout.splitlines() if p.strip()]
            use_installed(a)
            use_snippets(a)
        except BaseException:
            run(["dpkg", "--purge", PACKAGE], check_status=None)  # never leave it installed
            raise
        purge_and_check(files)
