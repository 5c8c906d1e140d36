"""Python's os.posix_spawn / os.posix_spawnp as a real client of forkless.
Run natively and under the library (FORKLESS_MODE=always, the helper route)
by spawn_run.py, which requires identical output. A second thread stays
alive throughout, so the process is multithreaded.

Usage: py_spawn_client.py PROBE EXIT_WITH WORKDIR
Each case prints what the call returned (or the errno name it raised), the
child's wait status and what the probe saw (read from a pipe).
"""
import errno
import os
import signal
import sys
import threading

probe, exit_with, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.chdir(work)
stop = threading.Event()
ticker = threading.Thread(target=lambda: stop.wait(600), daemon=True)
ticker.start()

signal.signal(signal.SIGUSR1, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})
os.makedirs("sub", exist_ok=True)
os.makedirs("bin", exist_ok=True)
link = os.path.join("bin", "spawn_probe")
if not os.path.exists(link):
    os.symlink(probe, link)
with open("input.txt", "w") as f:
    f.write("from a file action\n")


def run(name, path, args=(), spawnp=False, env=None, capture=True, **kwargs):
    print(f"=== {name}", flush=True)
    read_end, write_end = os.pipe()
    actions = list(kwargs.pop("file_actions", []))
    if capture:
        actions = actions + [(os.POSIX_SPAWN_DUP2, write_end, 1)]
    call = os.posix_spawnp if spawnp else os.posix_spawn
    try:
        pid = call(path, [path, *args], os.environ if env is None else env,
                   file_actions=actions or None, **kwargs)
    except OSError as e:
        print(f"raised {errno.errorcode.get(e.errno, e.errno)}")
        os.close(read_end)
        os.close(write_end)
        return
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        output = f.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    print(f"status={os.waitstatus_to_exitcode(status)}")
    # Descriptors differ only by the pipe this client made for the probe.
    print(output, end="")


probe_args = ["arg one", "two"]
run("plain", probe, probe_args)
run("env", probe, env={"ONLY": "this"})
run("file-actions", probe, file_actions=[
    (os.POSIX_SPAWN_OPEN, 0, "input.txt", os.O_RDONLY, 0),
    (os.POSIX_SPAWN_OPEN, 7, "sub/out.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640),
    (os.POSIX_SPAWN_CLOSE, 2),
])
run("file-actions-stdin", probe, ["--stdin"], file_actions=[
    (os.POSIX_SPAWN_OPEN, 0, "input.txt", os.O_RDONLY, 0)])
run("setpgroup", probe, setpgroup=0)
run("setsid", probe, setsid=True)
run("setsigmask", probe, setsigmask={signal.SIGTERM, signal.SIGUSR2})
run("setsigdef", probe, setsigdef={signal.SIGUSR1})
run("resetids", probe, resetids=True)
# glibc's posix_spawnattr_setschedpolicy takes only SCHED_OTHER/FIFO/RR.
run("scheduler-other", probe, scheduler=(os.SCHED_OTHER, os.sched_param(0)))
run("scheduler-rr", probe, scheduler=(os.SCHED_RR, os.sched_param(1)))
run("scheduler-fifo", probe, scheduler=(os.SCHED_FIFO, os.sched_param(2)))
run("all-together", probe, setpgroup=0, setsigmask={signal.SIGHUP}, setsigdef={signal.SIGUSR1},
    resetids=True, scheduler=(os.SCHED_RR, os.sched_param(4)),
    file_actions=[(os.POSIX_SPAWN_OPEN, 0, "input.txt", os.O_RDONLY, 0)])
saved_path = os.environ.get("PATH", "")
os.environ["PATH"] = "/nonexistent:" + os.path.join(work, "bin") + ":/usr/bin:/bin"
run("spawnp-caller-path", "spawn_probe", spawnp=True, env={"PATH": "/nowhere"})
run("spawnp-missing", "no-such-program", spawnp=True)
os.environ["PATH"] = saved_path
run("error-missing", "/nonexistent/program")
run("error-not-executable", "input.txt")
run("error-file-action", probe, file_actions=[(os.POSIX_SPAWN_OPEN, 3, "nowhere/x", os.O_RDONLY, 0)])
run("error-bad-dup2", probe, file_actions=[(os.POSIX_SPAWN_DUP2, 77, 3)])
run("error-scheduler", probe, scheduler=(os.SCHED_FIFO, os.sched_param(0)))
run("error-scheduler-policy", probe, scheduler=(os.SCHED_BATCH, os.sched_param(0)))
run("error-setpgroup", probe, setpgroup=1)

codes = []
for i in range(40):
    pid = os.posix_spawn(exit_with, [exit_with, str(i)], os.environ)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("=== exit codes", "checked" if codes == list(range(40)) else codes)
stop.set()
