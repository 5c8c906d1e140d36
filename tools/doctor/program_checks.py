"""Whether forkless can serve a program, from the program's file.

Each check gives findings (verdict, topic, text): verdict "no" means forkless
cannot serve the program at all, "partly" that some of it stays native, "ok"
a fact in its favour, "info" a fact either way. What decides:
- the dynamic loader applies LD_PRELOAD only to a dynamically linked program
  (PT_INTERP) that is not run in secure-execution mode (setuid, setgid, file
  capabilities): static programs and static PIEs never load the library;
- the library is a glibc x86-64 library: a program linked against musl, or of
  another class or machine, cannot load it; glibc must be 2.36 or later (the
  package's dependency: forkless keeps glibc 2.36's spawn semantics);
- Go programs make clone/execve system calls themselves, past libc;
- fork() is emulated only at the built-in exec-bound sites (and
  FORKLESS_FORK_SITES), looked up in the program and the libraries it needs.
"""
import os
import re
import shutil
import stat
import subprocess

import elf_file

GLIBC_MINIMUM = (2, 36)  # the package's libc6 (>= 2.36): the spawn semantics forkless keeps
SCRIPT_DEPTH = 4         # the kernel follows at most 4 levels of #! interpreters (BINPRM_MAX_RECURSION)
LIBRARY_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib"]  # the loader's trusted directories on Debian x86-64


def finding(verdict, topic, text):
    return {"verdict": verdict, "topic": topic, "text": text}


def resolve_program(name):
    if "/" in name:
        return os.path.abspath(name) if os.path.exists(name) else None
    found = shutil.which(name)
    return os.path.realpath(found) if found else None


def interpreter_of(path):
    """The #! interpreter and its argument, or None for a file that is not a script."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode(errors="replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        return resolve_program(words[1])
    return words[0]


def ldconfig_cache():
    """soname -> path for x86-64 libraries in ld.so.cache (ldconfig -p reads the cache only)."""
    cache = {}
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return cache
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and "x86-64" in match.group(2):
            cache.setdefault(match.group(1), match.group(3))
    return cache


def find_library(soname, runpath, origin, cache):
    for directory in runpath:
        candidate = os.path.join(directory.replace("$ORIGIN", origin), soname)
        if os.path.exists(candidate):
            return candidate
    if soname in cache:
        return cache[soname]
    for directory in LIBRARY_DIRS:
        candidate = os.path.join(directory, soname)
        if os.path.exists(candidate):
            return candidate
    return None


def dependency_closure(elf, cache, limit=200):
    """Every library the program needs, directly or not: [(soname, path or None)]."""
    seen, order, queue = set(), [], [(elf, n) for n in elf.needed]
    while queue and len(order) < limit:
        parent, soname = queue.pop(0)
        if soname in seen:
            continue
        seen.add(soname)
        path = find_library(soname, parent.runpath, os.path.dirname(parent.path), cache)
        order.append((soname, path))
        if path:
            try:
                child = elf_file.ElfFile(path)
                queue += [(child, n) for n in child.needed]
            except (OSError, elf_file.NotElf, ValueError):
                pass
    return order


def secure_execution(path):
    """Why the loader would run the program in secure-execution mode (ignoring LD_PRELOAD)."""
    why = []
    mode = os.stat(path).st_mode
    if mode & stat.S_ISUID:
        why.append("setuid")
    if mode & stat.S_ISGID and mode & stat.S_IXGRP:
        why.append("setgid")
    try:
        if os.getxattr(path, "security.capability"):
            why.append("file capabilities")
    except OSError:
        pass
    return why


def glibc_version():
    text = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    match = re.match(r"glibc (\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_program(name, sites, library=None):
    """(path, findings) for a program name or path; sites are the built-in fork site names."""
    path = resolve_program(name)
    if path is None:
        return None, [finding("no", "program", f"{name}: not found (looked in PATH)")]
    found = []
    for _ in range(SCRIPT_DEPTH):
        interpreter = interpreter_of(path)
        if interpreter is None:
            break
        found.append(finding("info", "script", f"{path} is a script run by {interpreter}: "
                             "what follows is about the interpreter"))
        path = resolve_program(interpreter) or interpreter
        if not os.path.exists(path):
            return path, found + [finding("no", "program", f"interpreter {interpreter} not found")]
    try:
        elf = elf_file.ElfFile(path)
    except elf_file.NotElf:
        return path, found + [finding("no", "program", f"{path} is neither an ELF program nor a script")]
    found += elf_findings(path, elf, sites, library)
    return path, found


def elf_findings(path, elf, sites, library):
    found = []
    if not elf.is_64:
        return [finding("no", "architecture", f"{elf.machine}, 32-bit: the library is 64-bit x86-64")]
    if library:
        lib = elf_file.ElfFile(library)
        if lib.machine != elf.machine:
            return [finding("no", "architecture", f"{elf.machine}; the library is {lib.machine}")]
    found.append(finding("ok" if elf.machine == "x86-64" else "partly", "architecture",
                         f"{elf.machine}" + ("" if elf.machine == "x86-64" else
                                             ": fork() emulation is x86-64 only, fork stays native")))
    if elf.linking == "dynamic":
        found.append(finding("ok", "linking", f"dynamic (loader {elf.interp})"))
    else:
        found.append(finding("no", "linking", f"{elf.linking}: no dynamic loader runs, LD_PRELOAD is "
                             "never applied and libc's calls cannot be interposed"))
    if elf.is_go:
        found.append(finding("no", "runtime", "Go (.go.buildinfo or Go build-id note): Go spawns with "
                             "its own clone/execve system calls, past libc"))
    why = secure_execution(path)
    if why:
        found.append(finding("no", "privileges", f"{', '.join(why)}: the loader runs it in "
                             "secure-execution mode and ignores LD_PRELOAD"))
    else:
        found.append(finding("ok", "privileges", "not setuid, setgid or file-capable"))
    if elf.interp and "musl" in elf.interp:
        found.append(finding("no", "libc", f"musl ({elf.interp}): the library is built for glibc"))
    elif elf.linking == "dynamic":
        found += libc_findings(elf)
    found.append(cet_finding(elf))
    if elf.linking == "dynamic":
        found += site_findings(path, elf, sites)
    return found


def libc_findings(elf):
    cache = ldconfig_cache()
    closure = dependency_closure(elf, cache)
    libc = next((p for s, p in closure if s == "libc.so.6"), None)
    missing = [s for s, p in closure if p is None]
    found = []
    if libc is None:
        found.append(finding("info", "libc", "libc.so.6 is not among its dependencies: only its own "
                             "calls into a libc that forkless interposes are served"))
    version = glibc_version()
    if version is None:
        found.append(finding("no", "libc", "the system's libc is not glibc"))
    else:
        text = f"glibc {version[0]}.{version[1]}" + (f" ({libc})" if libc else "")
        ok = version >= GLIBC_MINIMUM
        found.append(finding("ok" if ok else "no", "libc", text + ("" if ok else
                             f": forkless needs glibc {GLIBC_MINIMUM[0]}.{GLIBC_MINIMUM[1]} or later")))
    if missing:
        found.append(finding("info", "libraries", f"not found here: {', '.join(missing)}"))
    return found


def cet_finding(elf):
    if not elf.cet:
        return finding("info", "cet", "no CET marking (IBT/SHSTK): shadow stacks cannot be enabled for it")
    text = f"marked {'+'.join(sorted(elf.cet))}"
    version = glibc_version()
    if "SHSTK" in elf.cet and version and version < (2, 39):
        return finding("info", "cet", text + f"; glibc {version[0]}.{version[1]} enables no user shadow "
                       "stack (that takes glibc 2.39 and Linux 6.6), so fork emulation is unaffected")
    return finding("partly" if "SHSTK" in elf.cet else "info", "cet", text + (
        ": forkless's fork entry does not adjust a shadow stack; if shadow stacks are enforced "
        "(x86_Thread_features in /proc/PID/status), run with FORKLESS_FORK=native" if "SHSTK" in elf.cet
        else ""))


def site_findings(path, elf, sites):
    if not sites:
        return [finding("info", "fork sites", "not checked: no list of the built-in sites was given "
                        "(forkless-run passes share/forkless/builtin-fork-sites; in a source tree, "
                        "build it first)")]
    where = {}
    for name in sorted(elf.defined_functions(sites)):
        where.setdefault(name, path)
    for soname, library in dependency_closure(elf, ldconfig_cache()):
        if not library:
            continue
        try:
            for name in elf_file.ElfFile(library).defined_functions(sites):
                where.setdefault(name, library)
        except (OSError, elf_file.NotElf, ValueError):
            continue
    if not where:
        return [finding("info", "fork sites", "no built-in fork site in it or its libraries: its "
                        "fork() calls stay native (system/popen/posix_spawn are still served; "
                        "FORKLESS_FORK=learn finds sites to add with FORKLESS_FORK_SITES)")]
    listed = ", ".join(f"{name} ({location})" for name, location in sorted(where.items()))
    return [finding("ok", "fork sites", f"built-in fork sites present, emulated: {listed}")]


def preload_findings(environ, library):
    """What the given environment's LD_PRELOAD and FORKLESS settings would do."""
    preload = environ.get("LD_PRELOAD", "")
    names = [p for p in re.split(r"[: ]", preload) if p]
    ours = [p for p in names if os.path.basename(p) == "libforkless.so"]
    if environ.get("FORKLESS") == "0":
        return [finding("no", "preload", "FORKLESS=0 in the environment: every call goes to libc")]
    if ours:
        return [finding("ok", "preload", f"LD_PRELOAD holds {ours[0]}")]
    how = f"forkless-run -- PROGRAM, or LD_PRELOAD={library}" if library else "forkless-run -- PROGRAM"
    return [finding("info", "preload", f"LD_PRELOAD does not hold libforkless.so here ({preload or 'unset'}): "
                    f"start it with {how}")]
