"""The man pages render, hold what the code knows, and the README too; the
deployment guide's snippets are the files that are tested.

The variables are taken from shim/policy/config.cpp (its getenv calls) and the
options from tools/forkless-run (its option parser's case patterns), so a new
variable or option without documentation fails here."""
import os
import re
import shutil

from common import Failure, read, run

PAGES = {  # page -> sections it must have
    "man1/forkless-run.1": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES"],
    "man7/forkless.7": ["NAME", "DESCRIPTION", "ENVIRONMENT", "DIAGNOSTICS", "ROUTES AND REASONS",
                        "LIMITS", "SECURITY MODEL"],
    "man8/forkless-helper.8": ["NAME", "DESCRIPTION", "SECURITY"],
}


def code_variables(source):
    names = set(re.findall(r'getenv\("(FORKLESS[A-Z_]*)"\)', read(os.path.join(source, "shim", "policy", "config.cpp"))))
    if len(names) < 5:
        raise Failure(f"found only {sorted(names)} in shim/policy/config.cpp: the extraction is broken")
    return sorted(names)


def code_options(source):
    """Options of forkless-run's parser: the patterns of its `case "$1" in` block."""
    text = read(os.path.join(source, "tools", "forkless-run"))
    block = text[text.index('while [ $# -gt 0 ]; do'):]
    block = block[:block.index("done")]
    options = set()
    for pattern in re.findall(r"^\s*([-a-z=*|]+)\)", block, re.M):
        for alternative in pattern.split("|"):
            option = alternative.rstrip("*").rstrip("=")
            if option.startswith("-") and option not in ("-", "--"):
                options.add(option)
    if len(options) < 8:
        raise Failure(f"found only {sorted(options)} in tools/forkless-run: the extraction is broken")
    return sorted(options)


def rendered(path, width=100):
    """man -l's text of a page (ANSI/backspace formatting off), with its warnings."""
    proc = run(["man", "--warnings", "-l", path], env=dict(os.environ, MANWIDTH=str(width), MAN_KEEP_FORMATTING="",
                                                          GROFF_NO_SGR="1", MANPAGER="cat", PAGER="cat"))
    return re.sub(r".\x08", "", proc.stdout), proc.stderr


def test_man_render(a):
    if shutil.which("man") is None:
        raise Failure("man is missing (tools/setup-deps installs man-db)")
    for page, sections in PAGES.items():
        path = os.path.join(a.build, "share", "man", page)
        for candidate in (path, path + ".gz"):
            if not os.path.exists(candidate):
                raise Failure(f"{candidate} was not built (is scdoc installed? tools/setup-deps)")
            text, warnings = rendered(candidate)
            if warnings.strip():
                raise Failure(f"man -l {candidate} warned: {warnings}")
            for section in sections:
                if not re.search(rf"^{section}$", text, re.M):
                    raise Failure(f"{candidate} has no {section} section")
            # Narrow, so that lines break often: no word may be hyphenated (FORKLESS_LOG_FILE split
            # as FORK-LESS_LOG_FILE could not be searched for or pasted). groff marks a hyphenation
            # with U+2010; an explicit hyphen stays "-".
            narrow, _ = rendered(candidate, width=50)
            broken = [line for line in narrow.splitlines() if re.search(r"\w\u2010$", line)]
            if broken:
                raise Failure(f"{candidate} hyphenates words at line ends: {broken[:3]}")
            name = os.path.basename(page).rsplit(".", 1)
            if not text.startswith(f"{name[0]}({name[1]})"):
                raise Failure(f"{candidate} does not start with its title: {text[:60]!r}")


def test_docs_coverage(a):
    variables, options = code_variables(a.source), code_options(a.source)
    man = {page: rendered(os.path.join(a.build, "share", "man", page))[0] for page in PAGES}
    readme = read(os.path.join(a.source, "README.md"))
    missing = []
    for variable in variables:
        if not re.search(rf"\b{variable}\b", man["man7/forkless.7"]):
            missing.append(f"{variable} in forkless(7)")
        if not re.search(rf"`{variable}`", readme):
            missing.append(f"{variable} in README.md")
    for option in options:
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", man["man1/forkless-run.1"]):
            missing.append(f"{option} in forkless-run(1)")
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", readme):
            missing.append(f"{option} in README.md")
    if missing:
        raise Failure("not documented: " + ", ".join(missing))
    print(f"documented: {', '.join(variables)}; options {', '.join(options)}")


def test_deployment_snippets(a):
    """docs/deployment.md shows the drop-in and the Dockerfile exactly as tests/packaging runs them."""
    guide = read(os.path.join(a.source, "docs", "deployment.md"))
    blocks = re.findall(r"```[a-z]*\n(.*?)```", guide, re.S)
    for relative in ("packaging/systemd/forkless.conf", "packaging/container/Dockerfile"):
        if read(os.path.join(a.source, relative)) not in blocks:
            raise Failure(f"docs/deployment.md does not show {relative} as it is")
