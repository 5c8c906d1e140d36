#!/usr/bin/env python3
"""Tests of forkless-run --report: on sample logs (several processes, a
rotated file, a .gz file, stdin) whose every figure is worked out by hand
here, and on a log written by the library itself.

Usage: report_test.py --source DIR --build DIR --work DIR
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import unittest

ARGS = {}
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_samples")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")}
    env.update(extra)
    return env


def report(*args, stdin=None):
    launcher = os.path.join(ARGS["source"], "tools", "forkless-run")
    return subprocess.run([launcher, "--report", *args], input=stdin, capture_output=True, text=True,
                          env=clean_env(), timeout=60)


def report_json(*args, stdin=None):
    done = report("--json", *args, stdin=stdin)
    if done.returncode != 0:
        raise AssertionError(f"report failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)


def program(data, name):
    return next(p for p in data["programs"] if p["program"] == name)


class SampleLogs(unittest.TestCase):
    def setUp(self):
        self.work = os.path.join(ARGS["work"], "report")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        # logrotate's layout: the live file, .1, and older ones compressed.
        shutil.copy(os.path.join(SAMPLES, "service.log"), self.work)
        shutil.copy(os.path.join(SAMPLES, "service.log.1"), self.work)
        with open(os.path.join(SAMPLES, "worker.log"), "rb") as src, \
                gzip.open(os.path.join(self.work, "service.log.2.gz"), "wb") as dst:
            dst.write(src.read())
        self.files = [os.path.join(self.work, n) for n in ("service.log", "service.log.1", "service.log.2.gz")]

    def test_per_program_and_api(self):
        data = report_json(*self.files)
        self.assertEqual(data["skipped_lines"], 1)
        # 4242 has no logged parent: named by pid; 4250 was started by 4242's system(): "sh".
        main = program(data, "pid 4242")
        self.assertEqual(main["named_by"], "pid")
        self.assertEqual(main["calls"], 6)
        system = main["apis"]["system"]
        self.assertEqual(system["calls"], 3)
        self.assertEqual(system["routes"], {"helper": 2, "native": 1})
        self.assertEqual(system["reasons"][0], ["fallback_helper_died", 1])  # fallbacks first
        self.assertEqual(system["reasons"][1], ["threads", 2])
        self.assertEqual(system["fallbacks"], 1)
        self.assertEqual((system["p50_us"], system["p99_us"]), (1100, 5000))  # of 900, 1100, 5000
        # The exit summary counts 5 helper calls, 2 are logged: 3 are not in these logs.
        self.assertEqual(system["not_in_logs"], 3)
        fork = main["apis"]["fork"]
        self.assertEqual(fork["routes"], {"emulated": 1, "native": 1})
        self.assertEqual(fork["reasons"], [["emulation_busy", 1], ["threads", 1]])
        self.assertEqual((fork["p50_us"], fork["p99_us"]), (1510, 90000))
        child = program(data, "sh")
        self.assertEqual(child["named_by"], "argv0 of the spawn that started it")
        self.assertEqual(child["pids"], [4250])
        self.assertEqual(child["apis"]["posix_spawn"]["not_in_logs"], 0)
        self.assertEqual(child["without_exit_summary"], 0)
        self.assertEqual(data["notes"], {"warning=invalid_setting": 1})

    def test_fork_sites_and_verdicts(self):
        data = report_json(*self.files)
        self.assertEqual(data["fork_sites"], [{"site": "uv_spawn", "routes": {"emulated": 1, "native": 1}}])
        learned = {s["site"]: s for s in data["fork_learn"]}
        # Two processes watched my_spawn_site and disagree: the verdict is "mixed", never exec_bound.
        self.assertEqual(learned["my_spawn_site"]["verdict"], "mixed")
        self.assertEqual(learned["my_spawn_site"]["forks"], 7)
        self.assertEqual(learned["my_spawn_site"]["exec_slow"], 1)
        self.assertEqual(learned["my_spawn_site"]["slowest_us"], 25000)
        self.assertEqual(learned["daemonize"]["verdict"], "not_exec_bound")
        self.assertEqual(data["fork_learn_suggested_sites"], ["my_spawn_site"])

    def test_stdin_and_dash(self):
        with open(self.files[0]) as handle:
            text = handle.read()
        from_stdin = report_json(stdin=text)
        from_dash = report_json("-", stdin=text)
        from_file = report_json(self.files[0])
        for data in (from_stdin, from_dash):
            self.assertEqual(data["programs"], from_file["programs"])

    def test_text_output(self):
        done = report(*self.files)
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout
        self.assertIn("pid 4242: 6 call(s) in 1 process(es)", out)
        self.assertIn("reasons: fallback_helper_died 1, threads 2", out)
        self.assertIn("p50 1.10 ms, p99 5.00 ms of 3", out)
        self.assertIn("3 more call(s) counted by exit summaries are not in these logs", out)
        self.assertIn("my_spawn_site: verdict mixed", out)
        self.assertNotIn("saved", out)  # no figure it cannot measure

    def test_errors(self):
        self.assertEqual(report(os.path.join(self.work, "missing.log")).returncode, 2)
        self.assertEqual(report("--frobnicate").returncode, 2)
        empty = report(stdin="")
        self.assertEqual(empty.returncode, 0)
        self.assertIn("No intercepted calls", empty.stdout)


class RealLog(unittest.TestCase):
    def test_library_log(self):
        """A log written by the library: calls and routes as the program made them."""
        log = os.path.join(ARGS["work"], "report-real.log")
        if os.path.exists(log):
            os.unlink(log)
        storm = os.path.join(ARGS["build"], "tests", "tooling", "tooling_log_storm")
        launcher = os.path.join(ARGS["source"], "tools", "forkless-run")
        done = subprocess.run([launcher, f"--log={log}", "--mode=always", "--", storm, "4"],
                              capture_output=True, text=True, env=clean_env(), timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        data = report_json(log)
        storm_program = data["programs"][0]
        system = storm_program["apis"]["system"]
        self.assertEqual(system["calls"], 4)
        self.assertEqual(system["routes"], {"helper": 4})
        self.assertEqual(system["not_in_logs"], 0)
        self.assertEqual(system["latency_samples"], 4)
        self.assertGreater(system["p50_us"], 0)


if __name__ == "__main__":
    argv = sys.argv[1:]
    for name in ("--source", "--build", "--work"):
        at = argv.index(name)
        ARGS[name[2:]] = argv[at + 1]
        del argv[at:at + 2]
    os.makedirs(ARGS["work"], exist_ok=True)
    unittest.main(argv=[sys.argv[0], "-v"] + argv)
