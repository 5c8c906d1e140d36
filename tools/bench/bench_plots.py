# SVG plots of the benchmark with gnuplot (Debian package gnuplot-nox):
# per-spawn latency against memory touched (log-log), per API and route, and
# the writer threads' throughput during spawning. Hazards: gnuplot may be
# missing; we install it with apt-get only when running as root and allowed
# (never in --smoke), else say so and skip. Data files are plain columns
# written next to the plots, so the plots can be redrawn by hand.
import os
import shutil
import subprocess

from bench_report import API_LABEL, API_ORDER, Lookup, spawn

COLORS = {"fork": "#d62728", "vfork": "#7f7f7f", "posix_spawn": "#1f77b4",
          "system": "#2ca02c", "popen": "#9467bd"}


def ensure_gnuplot(may_install):
    if shutil.which("gnuplot"):
        return True
    if may_install and os.geteuid() == 0 and shutil.which("apt-get"):
        print("gnuplot missing: installing gnuplot-nox with apt-get", flush=True)
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "install", "-y", "gnuplot-nox"], env=env, **quiet).returncode:
            subprocess.run(["apt-get", "update"], env=env, **quiet)
            subprocess.run(["apt-get", "install", "-y", "gnuplot-nox"], env=env, **quiet)
    return shutil.which("gnuplot") is not None


def write_series(path, points):
    with open(path, "w") as handle:
        for x, y in points:
            handle.write(f"{x} {y}\n")


def series(look, data_dir, name, value, pages, writers):
    """One data file per API and route; returns gnuplot plot clauses."""
    clauses = []
    gibs = sorted({c["gib"] for c in look.cases.values()
                   if c["kind"] == "spawn" and c["pages"] == pages})
    for api in API_ORDER:
        for route in ("native", "forkless"):
            points = []
            for gib in gibs:
                case = spawn(look, api, gib, pages, writers, 1, route)
                if case is not None and case.get(value) is not None:
                    points.append((gib, value_of(case, value)))
            if not points:
                continue
            path = os.path.join(data_dir, f"{name}-{api}-{route}.dat")
            write_series(path, points)
            dash = 1 if route == "forkless" else 2
            clauses.append(f"'{path}' using 1:2 with linespoints lw 2 dt {dash} "
                           f"lc rgb '{COLORS[api]}' title '{API_LABEL[api]}, {route}'")
    return clauses


def value_of(case, value):
    return case[value] / 1e3 if value.endswith("_us") else 100 * case[value]


def make_plots(out_dir, cases, may_install):
    look = Lookup(cases)
    if not any(c["kind"] == "spawn" for c in cases):
        return "(no spawn cases: no plots)"
    if not ensure_gnuplot(may_install):
        return "(gnuplot not available: plots skipped; install gnuplot-nox to get them)"
    data_dir = os.path.join(out_dir, "plot-data")
    os.makedirs(data_dir, exist_ok=True)
    writer_counts = sorted({int(c["writers"]) for c in cases if c["kind"] == "spawn"})
    writers = 1 if 1 in writer_counts else writer_counts[0]
    made = []
    gibs = [float(c["gib"]) for c in cases if c["kind"] == "spawn"]
    script = ["set terminal svg size 900,560 dynamic font 'sans,12' noenhanced", "set key outside right",
              "set grid", "set logscale x", f"set xrange [{min(gibs) / 1.5:g}:{max(gibs) * 1.5:g}]",
              "set xlabel 'memory touched (GiB)'"]
    for pages, label in (("small", "4 KiB pages"), ("huge", "2 MiB pages")):
        clauses = series(look, data_dir, f"latency-{pages}", "p50_us", pages, writers)
        if clauses:
            made.append(f"latency-{pages}.svg")
            script += [f"set output '{os.path.join(out_dir, made[-1])}'", "set logscale y",
                       "set ylabel 'per-spawn latency, median (ms)'",
                       f"set title 'Spawning /bin/true, {writers} writer thread, {label}"
                       " (solid: forkless, dashed: native)'",
                       "plot " + ", \\\n  ".join(clauses)]
        clauses = series(look, data_dir, f"writers-{pages}", "writer_ratio", pages, writers)
        if clauses and writers > 0:
            made.append(f"writers-{pages}.svg")
            script += [f"set output '{os.path.join(out_dir, made[-1])}'", "unset logscale y",
                       "set yrange [0:150]", "set ylabel 'writer throughput (% of no-spawn rate)'",
                       f"set title 'Writer thread throughput while spawning, {label}"
                       " (solid: forkless, dashed: native)'",
                       "plot " + ", \\\n  ".join(clauses), "set autoscale y"]
    script_path = os.path.join(out_dir, "plots.gp")
    with open(script_path, "w") as handle:
        handle.write("\n".join(script) + "\n")
    done = subprocess.run(["gnuplot", script_path], stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        return f"(gnuplot failed: {done.stderr.strip()[:300]})"
    return "Plots: " + ", ".join(f"![{name}]({name})" for name in made)
