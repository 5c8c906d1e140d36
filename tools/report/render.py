"""The report as text (for people) or JSON (for tools)."""
import json


def ms(us):
    return "-" if us is None else f"{us / 1000.0:.2f} ms"


def counts(mapping):
    return ", ".join(f"{key} {value}" for key, value in mapping.items()) or "-"


def as_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def as_text(report, sources, skipped):
    out = [f"forkless report: {len(sources)} log(s), "
           f"{sum(p['processes'] for p in report['programs'])} process(es)"
           + (f", {skipped} line(s) that are not diagnostics skipped" if skipped else "")]
    out.append("Programs are named by the argv0 of the logged spawn that started them, "
               "else by pid; latency is each call's us= (nearest-rank percentiles).")
    if not report["programs"]:
        out.append("")
        out.append("No intercepted calls in these logs (was FORKLESS_LOG=1 set?).")
    for program in report["programs"]:
        out.append("")
        pids = program["pids"]
        shown = ", ".join(map(str, pids[:8])) + (", ..." if len(pids) > 8 else "")
        out.append(f"{program['program']}: {program['calls']} call(s) in {program['processes']} "
                   f"process(es) (pid {shown})")
        if program["without_exit_summary"]:
            out.append(f"  {program['without_exit_summary']} process(es) logged no exit summary "
                       "(still running, killed, exec'd, or its end is not in these logs)")
        for api, figures in program["apis"].items():
            out.append(f"  {api}: {figures['calls']} call(s); p50 {ms(figures['p50_us'])}, "
                       f"p99 {ms(figures['p99_us'])} of {figures['latency_samples']}")
            out.append(f"    routes: {counts(figures['routes'])}")
            reasons = ", ".join(f"{reason} {count}" for reason, count in figures["reasons"])
            out.append(f"    reasons: {reasons or '-'}"
                       + (f"  ({figures['fallbacks']} fallback(s))" if figures["fallbacks"] else ""))
            if figures["not_in_logs"]:
                out.append(f"    {figures['not_in_logs']} more call(s) counted by exit summaries "
                           "are not in these logs")
    if report["fork_sites"]:
        out.append("")
        out.append("fork() call sites (from fork lines' site=):")
        for site in report["fork_sites"]:
            out.append(f"  {site['site']}: {counts(site['routes'])}")
    if report["fork_learn"]:
        out.append("")
        out.append("fork sites watched by FORKLESS_FORK=learn (fork-learn lines):")
        for site in report["fork_learn"]:
            slowest = "-" if site["slowest_us"] is None else f"{site['slowest_us']} us"
            out.append(f"  {site['site']}: verdict {site['verdict']} ({counts(site['verdicts'])} "
                       f"in {site['processes']} process(es)); forks {site['forks']}, exec_prompt "
                       f"{site['exec_prompt']}, exec_slow {site['exec_slow']}, no_exec "
                       f"{site['no_exec']}, pending {site['pending']}, slowest {slowest}")
    if report["fork_learn_suggested_sites"]:
        out.append(f"  suggested: FORKLESS_FORK_SITES={','.join(report['fork_learn_suggested_sites'])}")
    if report["notes"]:
        out.append("")
        out.append(f"notes and warnings: {counts(report['notes'])}")
    return "\n".join(out) + "\n"
