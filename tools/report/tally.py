"""Adding up parsed diagnostics: per program and API, per fork site.

Which program a line belongs to: the lines carry only the pid of the process
that logged them. A process started by a logged spawn is named by the argv0
of that spawn (the parent's line with child=PID); any other process (the one
forkless-run started, or one whose parent's lines are not in these logs, or a
fork child, logged with argv0=-) is named "pid N". The name is what the
process was started as: a process that exec'd another program later keeps it.
Pids are not told apart across reuse: logs spanning a pid wrap-around merge
the two processes.

Figures are only what the lines hold: counts, the routes and reasons logged,
and latency percentiles of us= (nearest rank, so p99 of fewer than 100 calls
is the slowest). Exit summaries (summary=exit ... calls=N) are used only to
say how many calls a process made that are not in these logs.
"""
import math

FALLBACK = "fallback_"


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def program_names(records):
    """pid -> name from the spawns that started them (argv0 of the parent's call line)."""
    names = {}
    for record in records:
        if record.kind != "call":
            continue
        child, argv0 = to_int(record.fields.get("child")), record.fields.get("argv0")
        if child and child > 0 and argv0 and argv0 != "-":
            names.setdefault(child, argv0)
    return names


def reason_order(item):
    """Fallbacks first, then by count (descending), then by name."""
    reason, count = item
    return (0 if reason.startswith(FALLBACK) else 1, -count, reason)


class ApiTally:
    def __init__(self):
        self.calls = 0
        self.routes = {}
        self.reasons = {}
        self.us = []
        self.not_in_logs = 0  # calls the exit summaries count beyond the lines read

    def add(self, fields):
        self.calls += 1
        route, reason = fields.get("route") or "-", fields.get("reason") or "-"
        self.routes[route] = self.routes.get(route, 0) + 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        us = to_int(fields.get("us"))
        if us is not None and us >= 0:
            self.us.append(us)

    def as_dict(self):
        values = sorted(self.us)
        return {
            "calls": self.calls,
            "routes": dict(sorted(self.routes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "reasons": [[reason, count] for reason, count in sorted(self.reasons.items(), key=reason_order)],
            "fallbacks": sum(c for r, c in self.reasons.items() if r.startswith(FALLBACK)),
            "latency_samples": len(values),
            "p50_us": percentile(values, 50),
            "p99_us": percentile(values, 99),
            "not_in_logs": self.not_in_logs,
        }


def tally(records):
    """The report as plain data (lists and dicts), ready for text or JSON."""
    names = program_names(records)
    programs = {}    # name -> {"pids": set, "apis": {api: ApiTally}, "exited": set}
    logged = {}      # (pid, api, route) -> call lines
    summarized = {}  # (pid, api, route) -> calls in the exit summary
    sites = {}       # site -> {"routes": {}, ...} from fork call lines
    learned = {}     # site -> sums over fork-learn lines
    suggestions, notes = set(), {}

    def program(pid):
        name = names.get(pid, f"pid {pid}")
        return programs.setdefault(name, {"pids": set(), "apis": {}, "exited": set()})

    for record in records:
        fields = record.fields
        if record.kind == "call":
            entry = program(record.pid)
            entry["pids"].add(record.pid)
            api = fields.get("api") or "-"
            entry["apis"].setdefault(api, ApiTally()).add(fields)
            key = (record.pid, api, fields.get("route"))
            logged[key] = logged.get(key, 0) + 1
            site = fields.get("site")
            if api == "fork" and site and site != "-":
                routes = sites.setdefault(site, {})
                routes[fields.get("route")] = routes.get(fields.get("route"), 0) + 1
        elif record.kind == "summary" and fields.get("summary") == "exit":
            entry = program(record.pid)
            entry["pids"].add(record.pid)
            entry["exited"].add(record.pid)
            key = (record.pid, fields.get("api"), fields.get("route"))
            summarized[key] = summarized.get(key, 0) + (to_int(fields.get("calls")) or 0)
        elif record.kind == "learn":
            if "site" in fields:
                add_learned(learned.setdefault(fields["site"], new_learned()), fields)
            elif fields.get("FORKLESS_FORK_SITES"):
                suggestions.update(filter(None, fields["FORKLESS_FORK_SITES"].split(",")))
        else:
            kind = next(iter(fields), "-")
            label = f"{kind}={fields[kind]}" if fields.get(kind) else kind
            notes[label] = notes.get(label, 0) + 1

    for (pid, api, route), count in summarized.items():
        missing = count - logged.get((pid, api, route), 0)
        if missing > 0:
            program(pid)["apis"].setdefault(api, ApiTally()).not_in_logs += missing

    result = []
    for name, entry in programs.items():
        apis = {api: t.as_dict() for api, t in entry["apis"].items()}
        result.append({
            "program": name,
            "named_by": "argv0 of the spawn that started it" if not name.startswith("pid ") else "pid",
            "processes": len(entry["pids"]),
            "pids": sorted(entry["pids"]),
            "without_exit_summary": len(entry["pids"] - entry["exited"]),
            "calls": sum(a["calls"] for a in apis.values()),
            "apis": dict(sorted(apis.items(), key=lambda kv: (-kv[1]["calls"], kv[0]))),
        })
    result.sort(key=lambda p: (-p["calls"], p["program"]))
    return {
        "programs": result,
        "fork_sites": [{"site": s, "routes": r} for s, r in sorted(sites.items())],
        "fork_learn": [dict(site=s, **finish_learned(v)) for s, v in sorted(learned.items())],
        "fork_learn_suggested_sites": sorted(suggestions),
        "notes": dict(sorted(notes.items())),
    }


LEARN_COUNTS = ("forks", "exec_prompt", "exec_slow", "no_exec", "pending")


def new_learned():
    return {"processes": 0, "slowest_us": None, "verdicts": {}, **{k: 0 for k in LEARN_COUNTS}}


def add_learned(entry, fields):
    entry["processes"] += 1
    for key in LEARN_COUNTS:
        entry[key] += to_int(fields.get(key)) or 0
    slowest = to_int(fields.get("slowest_us"))
    if slowest is not None and (entry["slowest_us"] is None or slowest > entry["slowest_us"]):
        entry["slowest_us"] = slowest
    verdict = fields.get("verdict") or "-"
    entry["verdicts"][verdict] = entry["verdicts"].get(verdict, 0) + 1


def finish_learned(entry):
    """A site is exec-bound overall only if every process that watched it said so."""
    verdicts = entry["verdicts"]
    overall = next(iter(verdicts)) if len(verdicts) == 1 else "mixed"
    return dict(entry, verdict=overall)
