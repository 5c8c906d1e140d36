"""Reading forkless diagnostics logs.

A diagnostics line is `forkless[PID]: key=value key=value ...` (README,
"Diagnostics"). Three kinds matter to the report:
  call lines     api=... route=... reason=... threads= rss_mb= us= child= argv0= site=
  summary lines  summary=exit api=... route=... calls=N mean_us=N   (one per api and route, at exit)
  learn lines    fork-learn site=... forks=N ... verdict=...        (FORKLESS_FORK=learn, at exit)
Everything else that starts with the prefix (warning=..., note=...) is kept as a note;
lines without the prefix (the program's own stderr, when the log went there) are counted
and skipped. Files ending in .gz are read through gzip (logrotate's compress); "-" is stdin.
Python 3 standard library only.
"""
import gzip
import io
import re
import sys

PREFIX = re.compile(r"forkless\[(\d+)\]: (.*)$")


class Record:
    """One parsed line: its kind ('call', 'summary', 'learn', 'note'), pid and fields."""

    __slots__ = ("kind", "pid", "fields", "source")

    def __init__(self, kind, pid, fields, source):
        self.kind, self.pid, self.fields, self.source = kind, pid, fields, source


def split_fields(text):
    """key=value tokens; a token without '=' is kept under its own name with value None."""
    fields = {}
    for token in text.split():
        key, sep, value = token.partition("=")
        fields[key] = value if sep else None
    return fields


def parse_line(line, source="-"):
    """A Record for a diagnostics line, or None for any other line."""
    match = PREFIX.search(line.rstrip("\n"))
    if not match:
        return None
    pid, text = int(match.group(1)), match.group(2)
    fields = split_fields(text)
    if "fork-learn" in fields:
        return Record("learn", pid, fields, source)
    if "summary" in fields:
        return Record("summary", pid, fields, source)
    if "api" in fields and "route" in fields:
        return Record("call", pid, fields, source)
    return Record("note", pid, fields, source)


def open_log(path):
    """A text stream for a path: '-' is stdin, *.gz is decompressed, undecodable bytes replaced."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, errors="replace")
    if path.endswith(".gz"):
        return gzip.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def read_logs(paths):
    """(records, skipped) over every path in order; skipped counts lines that are not diagnostics."""
    records, skipped = [], 0
    for path in paths or ["-"]:
        with open_log(path) as stream:
            for line in stream:
                record = parse_line(line, path)
                if record is None:
                    skipped += 1 if line.strip() else 0
                else:
                    records.append(record)
    return records, skipped
