#!/usr/bin/env python3
"""Runs the cmocka host tests with TAP output and writes PASS/FAIL lines.

usage: run-host-tests.py RESULTS TEST_BINARY...
"""
import os
import re
import subprocess
import sys

TAP = re.compile(r"^(not ok|ok) \d+ - (\S+)")


def main():
    results_path, binaries = sys.argv[1], sys.argv[2:]
    lines = []
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for binary in binaries:
        suite = os.path.basename(binary)
        proc = subprocess.run([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120)
        seen = 0
        for line in proc.stdout.splitlines():
            m = TAP.match(line)
            if m:
                seen += 1
                verdict = "PASS" if m.group(1) == "ok" else "FAIL"
                lines.append(f"{verdict} host.{suite}.{m.group(2)}")
                if verdict == "FAIL":
                    print(f"FAIL host.{suite}.{m.group(2)}")
            elif line.startswith("#") and "ok" not in line:
                print(f"  {suite}: {line}")
        if proc.returncode != 0 and seen == 0:
            lines.append(f"FAIL host.{suite}.run: exited with status {proc.returncode}")
            print(proc.stdout)
        print(f"host: {suite}: {seen} cases")
    with open(results_path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
