"""Whether forkless serves a running process, from /proc.

The library is loaded if /proc/PID/maps maps a file named libforkless.so. Its
helpers are the process's children whose executable is forkless-helper (the
helper is exec'd by the process itself, so it is its child; CLONE_PARENT
makes spawned programs children of the process too, so only the name tells
them apart). Sizes are VmRSS from /proc/PID/status. Reading another user's
environ or exe needs the same rights as ptrace; what cannot be read is said.
"""
import os

from program_checks import finding, preload_findings

HELPER_NAME = "forkless-helper"  # also its comm: 15 characters, within TASK_COMM_LEN - 1


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return None


def status_field(pid, field):
    for line in (read_text(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def rss_kib(pid):
    value = status_field(pid, "VmRSS")
    return int(value.split()[0]) if value else None


def children(pid):
    """Pids whose parent is pid: from each thread's children list (Linux 3.5+ with
    CONFIG_PROC_CHILDREN), else by scanning every /proc/N/stat for its parent pid."""
    found = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        tasks = []
    lists = [read_text(f"/proc/{pid}/task/{task}/children") for task in tasks]
    if tasks and all(text is not None for text in lists):
        for text in lists:
            found.update(int(child) for child in text.split())
        return sorted(found)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            after_name = (read_text(f"/proc/{entry}/stat") or "").rsplit(")", 1)[-1].split()
            if len(after_name) > 1 and after_name[1] == str(pid):  # state, then ppid
                found.add(int(entry))
    return sorted(found)


def is_helper(pid):
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith(HELPER_NAME)
    except OSError:
        return (read_text(f"/proc/{pid}/comm") or "").strip() == HELPER_NAME


def check_process(pid, library=None):
    """(exe path or None, findings) for a running pid."""
    if not os.path.isdir(f"/proc/{pid}"):
        return None, [finding("no", "process", f"no process {pid}")]
    found = []
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError as error:
        exe = None
        found.append(finding("info", "process", f"its executable cannot be read ({error.strerror})"))
    maps = read_text(f"/proc/{pid}/maps")
    if maps is None:
        found.append(finding("info", "library", "its memory map cannot be read (needs ptrace rights)"))
    else:
        mapped = sorted({line.split()[-1] for line in maps.splitlines()
                         if line.split() and line.split()[-1].endswith("/libforkless.so")})
        found.append(finding("ok", "library", f"libforkless.so is loaded: {mapped[0]}") if mapped else
                     finding("no", "library", "libforkless.so is not loaded"))
        if mapped:
            core = any(line.split() and line.split()[-1].endswith("/libforkless-core.so")
                       for line in maps.splitlines())
            found.append(finding("info", "core", "libforkless-core.so is loaded" if core else
                                 "libforkless-core.so is not loaded yet (it is, at the process's first spawn)"))
    environ = read_text(f"/proc/{pid}/environ")
    if environ is None:
        found.append(finding("info", "preload", "its environment cannot be read"))
    else:
        variables = dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)
        found += preload_findings(variables, library)
        settings = " ".join(f"{k}={v}" for k, v in sorted(variables.items()) if k.startswith("FORKLESS"))
        if settings:
            found.append(finding("info", "settings", settings))
    threads = status_field(pid, "Threads")
    if threads:
        found.append(finding("info", "threads", f"{threads} thread(s); its RSS {rss_kib(pid)} KiB"))
    shadow = status_field(pid, "x86_Thread_features")
    if shadow is not None:
        enforced = "shstk" in shadow.split()
        found.append(finding("partly" if enforced else "info", "cet",
                             f"x86_Thread_features: {shadow or 'none'}" +
                             (": shadow stack on, forkless's fork entry does not adjust it" if enforced else "")))
    helpers = [c for c in children(pid) if is_helper(c)]
    if helpers:
        sizes = [rss_kib(h) for h in helpers]
        total = sum(s for s in sizes if s)
        listed = ", ".join(f"{h} ({s} KiB)" for h, s in zip(helpers, sizes))
        found.append(finding("ok", "helpers", f"{len(helpers)} helper(s) running, {total} KiB resident "
                             f"in all: {listed}"))
    else:
        found.append(finding("info", "helpers", "no helper running (none started yet: lazy start, "
                             "or its spawns went native)"))
    return exe, found
