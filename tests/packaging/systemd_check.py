"""The systemd drop-in: its syntax (systemd-analyze verify, offline), and,
where systemd is PID 1, that its variables reach a service's processes.

The live check preloads the build tree's library (the drop-in's LD_PRELOAD
path exists only with the package installed; packaging.deb checks that path),
runs a transient unit from /run/systemd/system with the drop-in and the
hardening of docs/deployment.md, and reads what a child of the service saw."""
import os
import shutil
import tempfile
import time

from common import Failure, Skip, read, run

UNIT_BODY = """[Unit]
Description=forkless drop-in check
[Service]
Type=simple
ExecStart={script}
NoNewPrivileges=yes
ProtectSystem=strict
PrivateTmp=yes
"""


def dropin_text(a):
    return read(os.path.join(a.source, "packaging", "systemd", "forkless.conf"))


def verify(directory, unit):
    proc = run(["systemd-analyze", "verify", os.path.join(directory, unit)], check_status=None,
               env=dict(os.environ, SYSTEMD_UNIT_PATH=directory + ":", SYSTEMD_LOG_COLOR="0"))
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def check_syntax(a):
    with tempfile.TemporaryDirectory() as directory:
        unit = "forkless-check.service"
        with open(os.path.join(directory, unit), "w") as handle:
            handle.write(UNIT_BODY.format(script="/bin/true"))
        os.makedirs(os.path.join(directory, unit + ".d"))
        dropin = os.path.join(directory, unit + ".d", "forkless.conf")
        with open(dropin, "w") as handle:
            handle.write(dropin_text(a))
        status, output = verify(directory, unit)
        if status != 0 or output:
            raise Failure(f"systemd-analyze verify: status {status}: {output}")
        # The same with one misspelt key: verify must name the drop-in, so it did read it.
        with open(dropin, "a") as handle:
            handle.write("Environmen=X=1\n")
        status, output = verify(directory, unit)
        if "forkless.conf" not in output:
            raise Failure(f"systemd-analyze verify did not read the drop-in: {output!r}")
    print("systemd-analyze verify: the unit with the drop-in is valid")


def systemd_is_pid1():
    try:
        return os.readlink("/proc/1/exe").endswith("/systemd") and os.path.isdir("/run/systemd/system")
    except OSError:
        return False


def check_live(a):
    name = f"forkless-check-{os.getpid()}"
    unit_dir = "/run/systemd/system"
    library = os.path.join(a.build, "lib", "forkless", "libforkless.so")
    script = os.path.join("/run", f"{name}.sh")
    with open(script, "w") as handle:
        # A child of the service writes its environment where the service may write (LogsDirectory).
        handle.write('#!/bin/sh\nsh -c \'tr "\\0" "\\n" < /proc/self/environ > "$LOGS_DIRECTORY/env.txt"\'\n'
                     "exec sleep 30\n")
    os.chmod(script, 0o755)
    text = dropin_text(a).replace("/usr/lib/x86_64-linux-gnu/forkless/libforkless.so", library)
    os.makedirs(os.path.join(unit_dir, f"{name}.service.d"), exist_ok=True)
    with open(os.path.join(unit_dir, f"{name}.service"), "w") as handle:
        handle.write(UNIT_BODY.format(script=script))
    with open(os.path.join(unit_dir, f"{name}.service.d", "forkless.conf"), "w") as handle:
        handle.write(text)
    seen = "/var/log/forkless/env.txt"
    try:
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "start", f"{name}.service"])
        deadline = time.time() + 20
        while not os.path.exists(seen) and time.time() < deadline:
            time.sleep(0.2)
        environment = dict(line.split("=", 1) for line in read(seen).splitlines() if "=" in line)
        if environment.get("LD_PRELOAD") != library or environment.get("FORKLESS_LOG") != "1" or \
                environment.get("FORKLESS_LOG_FILE") != f"/var/log/forkless/{name}.log":
            raise Failure(f"the service's child saw {environment}")
        if "forkless[" not in read(f"/var/log/forkless/{name}.log"):
            raise Failure("the service's processes logged nothing to the LogsDirectory file")
    finally:
        run(["systemctl", "stop", f"{name}.service"], check_status=None)
        shutil.rmtree(os.path.join(unit_dir, f"{name}.service.d"), ignore_errors=True)
        for path in (os.path.join(unit_dir, f"{name}.service"), script, seen, f"/var/log/forkless/{name}.log"):
            if os.path.exists(path):
                os.unlink(path)
        run(["systemctl", "daemon-reload"], check_status=None)


def test_systemd(a):
    if shutil.which("systemd-analyze") is None:
        raise Skip("systemd-analyze is missing: the drop-in is not checked")
    check_syntax(a)
    if not systemd_is_pid1():
        raise Skip("the drop-in is valid, but systemd is not PID 1 here "
                   f"(PID 1 is {read('/proc/1/comm').strip()}): its variables could not be checked "
                   "reaching a service's processes")
    if os.geteuid() != 0:
        raise Skip("the drop-in is valid; starting a service to check it needs root")
    check_live(a)
