#!/usr/bin/env python3
"""Runs the cmocka host tests with TAP output and writes PASS/FAIL lines.

usage: run-host-tests.py RESULTS TEST_BINARY...
"""
import os
import re
import subprocess
import sys

TAP = re.compile(r"^(not ok|ok) \d+ - (\S+)")
PLAN = re.compile(r"^1\.\.(\d+)")


def main():
    results_path, binaries = sys.argv[1], sys.argv[2:]
    lines = []
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for binary in binaries:
        suite = os.path.basename(binary)
        try:
            proc = subprocess.run([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=120)
        except subprocess.TimeoutExpired:
            lines.append(f"FAIL host.{suite}.run: no result within 120 s")
            print(f"FAIL host.{suite}.run: no result within 120 s")
            continue
        seen, failed, planned = 0, 0, None
        for line in proc.stdout.splitlines():
            m = TAP.match(line)
            if m:
                seen += 1
                verdict = "PASS" if m.group(1) == "ok" else "FAIL"
                lines.append(f"{verdict} host.{suite}.{m.group(2)}")
                if verdict == "FAIL":
                    failed += 1
                    print(f"FAIL host.{suite}.{m.group(2)}")
            elif PLAN.match(line):
                planned = int(PLAN.match(line).group(1))
            elif line.startswith("#") and "ok" not in line:
                print(f"  {suite}: {line}")
        # A sanitizer report or a crash ends the program in the middle of a case: the cases
        # after it never report, so the run itself must count as a failure.
        if (planned is None or seen < planned) or (proc.returncode != 0 and failed == 0):
            where = f"after {seen} of {planned} cases" if planned is not None else "before any case"
            lines.append(f"FAIL host.{suite}.run: exited with status {proc.returncode} {where}")
            print(f"FAIL host.{suite}.run: exited with status {proc.returncode} {where}")
            print(proc.stdout)
        print(f"host: {suite}: {seen} cases")
    with open(results_path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
