#!/usr/bin/env python3
"""Tests of what forkless ships: the Debian package, the man pages and the
documentation's coverage of the code, the systemd drop-in and container snippets.

Usage: packaging_run.py TEST --source DIR --build DIR --work DIR
Exit 0 = pass, 1 = fail, 77 = skipped (the reason is printed).
"""
import argparse
import os
import shutil
import sys

from common import Failure, Skip
import deb_check
import docs_check
import systemd_check

TESTS = {
    "deb": deb_check.test_deb,
    "man-render": docs_check.test_man_render,
    "docs-coverage": docs_check.test_docs_coverage,
    "deployment-snippets": docs_check.test_deployment_snippets,
    "systemd": systemd_check.test_systemd,
}
SKIP = 77


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test", choices=sorted(TESTS))
    parser.add_argument("--source", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--work", required=True)
    a = parser.parse_args()
    a.work = os.path.join(a.work, a.test)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    try:
        TESTS[a.test](a)
    except Skip as skip:
        print(f"SKIP {a.test}: {skip}")
        return SKIP
    except Failure as failure:
        print(f"FAIL {a.test}: {failure}")
        return 1
    print(f"PASS {a.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
