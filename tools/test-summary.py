#!/usr/bin/env python3
"""Adds up the results files of every suite; prints the failures and one last
line "N passed, N failed"; exits non-zero if anything failed or no results came."""
import pathlib
import sys


def main():
    results = sorted(pathlib.Path(sys.argv[1]).glob("*.txt")) if pathlib.Path(sys.argv[1]).is_dir() else []
    passed, failed = 0, []
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
