#!/usr/bin/env python3
"""Tests of run-matrix's progress lines: the case count and the time left
(tools/bench/matrix_progress.py, with a fake clock), and a real smoke run
whose every case is counted: the last case reported is N of N, in order,
with no complaint that a case was not planned.

Usage: matrix_progress_test.py --source DIR --build DIR --work DIR
"""
import os
import re
import subprocess
import sys
import unittest

ARGS = {}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Estimates(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(ARGS["source"], "tools", "bench"))
        import matrix_progress
        self.module = matrix_progress
        self.lines = []
        self.clock = FakeClock()

    def progress(self, planned):
        return self.module.MatrixProgress(planned, self.lines.append, clock=self.clock)

    def run_case(self, progress, key, seconds):
        with progress.case(key, str(key)):
            self.clock.now += seconds

    def test_counts_and_estimates(self):
        # Two repetitions of a slow and a fast case.
        progress = self.progress(["big", "small", "big", "small"])
        self.run_case(progress, "big", 100)
        self.assertEqual(self.lines[-1], "case 1/4: big (estimating the time left)")
        self.run_case(progress, "small", 10)
        # The time left counts the case starting. small has not run: it takes the mean (100 s).
        self.assertEqual(self.lines[-1], "case 2/4: small (about 5m00s left)")  # 100 + big 100 + 100
        self.run_case(progress, "big", 100)
        self.assertEqual(self.lines[-1], "case 3/4: big (about 1m50s left)")  # as last time: 100 + 10
        self.run_case(progress, "small", 10)
        self.assertEqual(self.lines[-1], "case 4/4: small (about 10s left)")
        self.assertEqual(progress.estimate_left(), 0)

    def test_unplanned_case_is_reported(self):
        progress = self.progress(["a"])
        self.run_case(progress, "a", 1)
        self.run_case(progress, "b", 1)
        self.assertTrue(any("was not planned" in line for line in self.lines))
        self.assertEqual(self.lines[-1], "case 2/2: b (about 1s left)")

    def test_duration_text(self):
        text = self.module.duration_text
        self.assertEqual([text(5), text(65), text(3700)], ["5s", "1m05s", "1h01m"])


class SmokeRun(unittest.TestCase):
    def test_every_case_counted(self):
        out = os.path.join(ARGS["work"], "smoke")
        done = subprocess.run(
            [sys.executable, os.path.join(ARGS["source"], "tools", "bench", "run-matrix"), "--smoke",
             "--bench", os.path.join(ARGS["build"], "bin", "forkless-bench"),
             "--lib", os.path.join(ARGS["build"], "lib", "forkless", "libforkless.so"),
             "--out", out, "--skip", "plots"], capture_output=True, text=True, timeout=300,
            env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")})
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertNotIn("was not planned", done.stdout)
        planned = int(re.search(r"(\d+) cases to run", done.stdout).group(1))
        numbers = [(int(a), int(b)) for a, b in re.findall(r"case (\d+)/(\d+):", done.stdout)]
        self.assertEqual(numbers, [(i, planned) for i in range(1, planned + 1)])
        self.assertGreater(planned, 3)


if __name__ == "__main__":
    argv = sys.argv[1:]
    for name in ("--source", "--build", "--work"):
        at = argv.index(name)
        ARGS[name[2:]] = argv[at + 1]
        del argv[at:at + 2]
    os.makedirs(ARGS["work"], exist_ok=True)
    unittest.main(argv=[sys.argv[0], "-v"] + argv)
