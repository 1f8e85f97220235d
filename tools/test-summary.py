#!/usr/bin/env python3
"""Adds up the results files of every suite; prints the failures and one last
line "N passed, N failed"; exits non-zero if anything failed.

usage: test-summary.py RESULTS_DIR [EXPECTED_SUITE ...]
A suite named on the command line whose results file is missing or empty
counts as a failure (it did not build or did not run)."""
import pathlib
import sys


def main():
    directory = pathlib.Path(sys.argv[1])
    results = sorted(directory.glob("*.txt")) if directory.is_dir() else []
    passed, failed = 0, []
    for suite in sys.argv[2:]:
        path = directory / f"{suite}.txt"
        if not path.exists() or not path.read_text().strip():
            failed.append(f"{suite}: produced no results (did it build? see the output above)")
    for path in results:
        for line in path.read_text().splitlines():
            if line.startswith("PASS "):
                passed += 1
            elif line.startswith("FAIL "):
                failed.append(line[5:])
    if not results:
        failed.append("no test results were produced")
    for name in failed:
        print(f"failed: {name}")
    print(f"{passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
