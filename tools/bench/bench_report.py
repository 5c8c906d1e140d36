# Turns the benchmark's JSON rows into medians per case and route, CSV files
# and the Markdown tables of results.md. Hazards: a case missing on one route
# (library absent, a run that failed or timed out) shows "-" rather than a
# ratio against nothing; ratios are always forkless / native of medians taken
# over the repetitions, never medians of per-run ratios of unpaired runs.
import csv
import os
import platform
import statistics

KEY = ("kind", "api", "gib", "pages", "writers", "callers", "fds", "program", "route")
MEDIANS = ("p50_us", "p99_us", "mean_us", "call_p50_us", "spawns_per_s", "writer_ratio",
           "minflt_per_spawn", "child_minflt_per_spawn", "ratio_p50")
SUMS = ("spawns", "failures", "route_helper", "route_emulated", "route_native")
API_ORDER = ("fork", "vfork", "posix_spawn", "system", "popen")
API_LABEL = {"fork": "fork+exec", "vfork": "vfork+exec", "posix_spawn": "posix_spawn",
             "system": "system", "popen": "popen"}


def aggregate(rows):
    groups = {}
    for row in rows:
        key = tuple(row.get(name, "") for name in KEY)
        groups.setdefault(key, []).append(row)
    cases = []
    for key, members in groups.items():
        # route-check rows (run-matrix) carry routes only, no timings
        case = dict(zip(KEY, key), runs=len([m for m in members if not m.get("route_check")]))
        for name in MEDIANS:
            values = [m[name] for m in members if isinstance(m.get(name), (int, float))
                      and m[name] >= 0]
            case[name] = statistics.median(values) if values else None
        for name in SUMS:
            values = [m[name] for m in members if isinstance(m.get(name), (int, float))
                      and m[name] >= 0]
            case[name] = sum(values) if values else None
        case["thp_mib"] = max((m.get("thp_mib", -1) for m in members), default=-1)
        cases.append(case)
    return cases


def write_runs_csv(path, rows):
    names = []
    for row in rows:
        names += [name for name in row if name not in names]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def write_results_csv(path, cases):
    names = list(KEY) + ["runs"] + list(MEDIANS) + list(SUMS) + ["thp_mib"]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for case in sorted(cases, key=sort_key):
            writer.writerow({name: fmt_csv(case.get(name)) for name in names})


def fmt_csv(value):
    return "" if value is None else (f"{value:.6g}" if isinstance(value, float) else value)


def sort_key(case):
    api = case["api"]
    return (str(case["kind"]), str(case["pages"]), float(case["gib"] or 0),
            API_ORDER.index(api) if api in API_ORDER else 9, str(api),
            int(case["writers"] or 0), int(case["callers"] or 0), int(case["fds"] or 0),
            str(case["program"]), str(case["route"]))


def describe_host():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as handle:
            thp = handle.read().strip()
    except OSError:
        thp = "?"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, Linux {platform.release()}, "
            f"glibc {platform.libc_ver()[1]}, THP {thp}")


class Lookup:
    def __init__(self, cases):
        self.cases = {tuple(c[n] for n in KEY): c for c in cases}

    def get(self, **key):
        return self.cases.get(tuple(key.get(n, "") for n in KEY))

    def values(self, name, kind):
        return sorted({c[name] for c in self.cases.values() if c["kind"] == kind}, key=str)


def ms(value):
    if value is None:
        return "-"
    value /= 1e3
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio(top, bottom):
    if top is None or bottom in (None, 0):
        return "-"
    return f"{top / bottom:.2f}x" if top / bottom < 100 else f"{top / bottom:.0f}x"


def pct(value):
    return "-" if value is None else f"{100 * value:.0f} %"


def num(value, digits=0):
    return "-" if value is None else f"{value:.{digits}f}"


def field(case, name):
    return None if case is None else case.get(name)


def route_text(case):
    if case is None or case.get("route_helper") is None:
        return "-"
    counts = {r: case.get(f"route_{r}") or 0 for r in ("helper", "emulated", "native")}
    total = sum(counts.values())
    if total == 0:
        return "none logged"
    main = max(counts, key=counts.get)
    return f"{main} {counts[main]}/{total}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def sizes(look):
    pairs = {(c["gib"], c["pages"]) for c in look.cases.values() if c["kind"] == "spawn"}
    return sorted(pairs, key=lambda p: (p[1] != "small", p[0]))


def size_label(gib, pages):
    return f"{gib:g} GiB, {'4 KiB' if pages == 'small' else '2 MiB'} pages"


def apis(look, kind="spawn"):
    present = look.values("api", kind)
    return [a for a in API_ORDER if a in present]


def spawn(look, api, gib, pages, writers, callers, route):
    return look.get(kind="spawn", api=api, gib=gib, pages=pages, writers=writers,
                    callers=callers, fds=0, route=route)


def latency_table(look, writers):
    rows = []
    for gib, pages in sizes(look):
        base = spawn(look, "posix_spawn", gib, pages, writers, 1, "native")
        for api in apis(look):
            nat = spawn(look, api, gib, pages, writers, 1, "native")
            fkl = spawn(look, api, gib, pages, writers, 1, "forkless")
            pre = spawn(look, api, gib, pages, writers, 1, "preloaded")
            rows.append([f"{API_LABEL[api]}, {size_label(gib, pages)}",
                         ms(field(nat, "p50_us")), ms(field(fkl, "p50_us")),
                         ratio(field(fkl, "p50_us"), field(nat, "p50_us")),
                         ratio(field(fkl, "p50_us"), field(base, "p50_us")),
                         ms(field(pre, "p50_us")), ratio(field(fkl, "p50_us"), field(pre, "p50_us")),
                         ms(field(nat, "p99_us")), ms(field(fkl, "p99_us")), route_text(fkl)])
    return table(["API, memory touched", "native p50 ms", "forkless p50 ms", "forkless/native",
                  "forkless/native posix_spawn", "preloaded native p50 ms",
                  "forkless/preloaded native", "native p99 ms", "forkless p99 ms",
                  "forkless route"], rows)


def writer_table(look, writer_counts):
    header = ["API, memory touched"]
    for w in writer_counts:
        header += [f"{w} writer{'s' if w > 1 else ''}: native", "forkless"]
    header += ["minor faults/spawn native", "forkless"]
    rows = []
    for gib, pages in sizes(look):
        for api in apis(look):
            row = [f"{API_LABEL[api]}, {size_label(gib, pages)}"]
            for w in writer_counts:
                row += [pct(field(spawn(look, api, gib, pages, w, 1, r), "writer_ratio"))
                        for r in ("native", "forkless")]
            w = writer_counts[0]
            row += [num(field(spawn(look, api, gib, pages, w, 1, r), "minflt_per_spawn"))
                    for r in ("native", "forkless")]
            rows.append(row)
    return table(header, rows)


def concurrency_table(look, writers, callers):
    rows = []
    for gib, pages in sizes(look):
        for api in apis(look):
            row = [f"{API_LABEL[api]}, {size_label(gib, pages)}"]
            for route in ("native", "forkless"):
                one = field(spawn(look, api, gib, pages, writers, 1, route), "spawns_per_s")
                many = field(spawn(look, api, gib, pages, writers, callers, route), "spawns_per_s")
                row += [num(one), num(many), ratio(many, one)]
            rows.append(row)
    return table(["API, memory touched", "native 1 caller /s", f"native {callers} callers /s",
                  "native scaling", "forkless 1 caller /s", f"forkless {callers} callers /s",
                  "forkless scaling"], rows)


def auto_table(look):
    """FORKLESS_MODE=auto against native, against the same native calls with the library loaded
    (preloaded: every child then loads the library as under auto), and against always, every case
    of the route plan."""
    rows = []
    cases = sorted({(c["gib"], c["pages"], int(c["writers"]), int(c["callers"]), c["api"])
                    for c in look.cases.values() if c["kind"] == "spawn" and c["route"] == "auto"},
                   key=lambda k: (k[1] != "small", k[0], k[2], k[3], API_ORDER.index(k[4])))
    for gib, pages, writers, callers, api in cases:
        got = {route: spawn(look, api, gib, pages, writers, callers, route)
               for route in ("native", "preloaded", "auto", "forkless")}
        rows.append([f"{API_LABEL[api]}, {gib:g} GiB, {writers} writer{'s' if writers != 1 else ''}, "
                     f"{callers} caller{'s' if callers != 1 else ''}",
                     ms(field(got["native"], "p50_us")), ms(field(got["auto"], "p50_us")),
                     ms(field(got["forkless"], "p50_us")),
                     ratio(field(got["auto"], "p50_us"), field(got["native"], "p50_us")),
                     ratio(field(got["auto"], "p50_us"), field(got["preloaded"], "p50_us")),
                     ratio(field(got["forkless"], "p50_us"), field(got["native"], "p50_us")),
                     route_text(got["auto"])])
    return table(["case", "native p50 ms", "auto p50 ms", "always p50 ms", "auto/native",
                  "auto/preloaded native", "always/native", "auto's route"], rows)


def fd_table(look):
    rows = []
    for api in apis(look, "fds"):
        for fds in sorted(look.values("fds", "fds"), key=int):
            key = dict(kind="fds", api=api, gib=0.1, pages="small", writers=1, callers=1, fds=fds)
            nat, fkl = look.get(**key, route="native"), look.get(**key, route="forkless")
            rows.append([API_LABEL[api], fds, ms(field(nat, "p50_us")), ms(field(fkl, "p50_us")),
                         ratio(field(fkl, "p50_us"), field(nat, "p50_us")), route_text(fkl)])
    return table(["API", "open descriptors", "native p50 ms", "forkless p50 ms",
                  "forkless/native", "forkless route"], rows)


def startup_table(look):
    rows = []
    for program in look.values("program", "startup"):
        cells = {v: look.get(kind="startup", program=program, route=v)
                 for v in ("native", "empty", "eager", "lazy")}
        base = field(cells["native"], "p50_us")
        floor = field(cells["empty"], "p50_us")
        rows.append([f"`{program}`", ms(base),
                     ms(floor), ratio(floor, base),
                     ms(field(cells["eager"], "p50_us")), ratio(field(cells["eager"], "p50_us"), base),
                     ratio(field(cells["eager"], "p50_us"), floor),
                     ms(field(cells["lazy"], "p50_us")), ratio(field(cells["lazy"], "p50_us"), base),
                     ratio(field(cells["lazy"], "p50_us"), floor)])
    return table(["program", "native p50 ms", "empty library preloaded (floor)", "floor/native",
                  "preloaded, eager helper", "/native", "/floor", "preloaded, lazy helper", "/native", "/floor"],
                 rows)


def node_table(look):
    nat = look.get(kind="node", api="spawnSync", gib=_node_gib(look), route="native")
    fkl = look.get(kind="node", api="spawnSync", gib=_node_gib(look), route="forkless")
    if nat is None:
        return "(not run)\n"
    return table(["", "native", "forkless", "forkless/native"], [
        ["spawnSync p50 ms", ms(field(nat, "p50_us")), ms(field(fkl, "p50_us")),
         ratio(field(fkl, "p50_us"), field(nat, "p50_us"))],
        ["spawnSync p99 ms", ms(field(nat, "p99_us")), ms(field(fkl, "p99_us")),
         ratio(field(fkl, "p99_us"), field(nat, "p99_us"))],
        ["forkless route", "-", route_text(fkl), ""]])


def _node_gib(look):
    values = look.values("gib", "node")
    return values[0] if values else ""


def markdown(cases, meta):
    look = Lookup(cases)
    writer_counts = sorted({int(c["writers"]) for c in cases if c["kind"] == "spawn"})
    callers = sorted({int(c["callers"]) for c in cases if c["kind"] == "spawn"})
    main_writers = 1 if 1 in writer_counts else (writer_counts[0] if writer_counts else 0)
    lib = meta["lib"] or "not found: native only"
    out = [f"# forkless benchmark ({meta['mode']})\n",
           f"{meta['host']}. Library: `{lib}`; forkless leg with FORKLESS_MODE={meta['forkless_mode']}"
           f" and FORKLESS_FORK_SITES=forkless_bench_fork_exec. {meta['repeats']} repetition(s) of"
           f" each set of legs (native, forkless, and for the spawn cases preloaded native),"
           " interleaved; medians over repetitions; run took"
           f" {meta['seconds']:.0f} s. Spawned program: `/bin/true`. Ratios are forkless / native"
           " (below 1 = forkless faster). Load average (1 min) before/after:"
           f" {meta['load'][0]:.1f}/{meta['load'][1]:.1f}.\n"]
    if writer_counts:
        out += [f"## Per-spawn latency ({main_writers} writer thread, 1 caller)\n",
                "\"Preloaded native\" is a third leg: the library loaded with FORKLESS_MODE=native and"
                " FORKLESS_FORK=native, so every call is libc's but each child still loads the library;"
                " forkless/preloaded native is what the forkless route itself costs or saves.\n",
                latency_table(look, main_writers)]
        busy = [w for w in writer_counts if w > 0]
        if busy:
            out += ["## Writer threads' throughput during spawning (% of their no-spawn rate, 1 caller)\n",
                    writer_table(look, busy)]
        if len(callers) > 1:
            out += [f"## Spawns per second, 1 and {callers[-1]} concurrent callers"
                    f" ({main_writers} writer thread)\n",
                    concurrency_table(look, main_writers, callers[-1])]
    if any(c["route"] == "auto" for c in cases):
        out += ["## FORKLESS_MODE=auto against native and always (p50 per call)\n",
                "The auto leg is the library with FORKLESS_MODE=auto; always is the forkless leg above"
                " (FORKLESS_MODE=always: the helper route). auto's route is from a short logged leg.\n",
                auto_table(look)]
    if look.values("api", "fds"):
        out += ["## Spawn latency with many open descriptors (0.1 GiB, 1 writer)\n", fd_table(look)]
    if look.values("program", "startup"):
        out += ["## Start-up of short programs with the library preloaded\n",
                "The floor column preloads an empty library: what the dynamic loader charges for "
                "preloading anything at all; forkless's own share is the difference above it.\n",
                startup_table(look)]
    if look.values("api", "node"):
        out += [f"## Node.js holding a {_node_gib(look):g} GiB Buffer, child_process.spawnSync('/bin/true')\n",
                node_table(look)]
    return "\n".join(out)
