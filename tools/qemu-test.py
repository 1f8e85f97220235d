#!/usr/bin/env python3
"""Runs a test image in QEMU and collects its results.

The image prints one line per test case, "PASS <name>" or "FAIL <name>: <why>"
(behind "driver: " for the component-test driver),
and "ALL TESTS DONE" at the end, then powers off.  Everything QEMU prints is
shown and saved to the log.  The results file gets one "PASS name" or
"FAIL name" line per case, plus a failure for the run itself if QEMU timed
out, exited with an error, or the image never said it was done.

With --expect FILE the cases come from FILE instead: lines "name: regex",
each passing if some line of the output matches.  A system runs for good, so
once every line has matched (and a second more has passed, to catch what
follows) QEMU is stopped and the run counts as finished.
"""
import argparse
import os
import re
import selectors
import signal
import subprocess
import sys
import time

# The component-test driver's lines come behind its name, as every component's do (docs/kernel.md).
RESULT = re.compile(r"^(?:driver: )?(PASS|FAIL) (\S+)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--log", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--quiet", action="store_true", help="show only results and failures")
    ap.add_argument("--expect", help="a file of 'name: regex' lines the output must match")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command

    expectations = []
    if args.expect:
        with open(args.expect) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, sep, pattern = line.partition(": ")
                if not sep:
                    sys.exit(f"{args.expect}:{number}: expected 'name: regex'")
                expectations.append([name, re.compile(pattern), False])
    results, done, problem = [], False, None
    start = time.monotonic()
    with open(args.log, "w") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        all_seen_at = None
        while True:
            if all_seen_at and time.monotonic() - all_seen_at > 1.0:
                os.killpg(proc.pid, signal.SIGKILL)
                done = True
                break
            left = args.timeout - (time.monotonic() - start)
            if left <= 0:
                problem = f"timed out after {args.timeout:.0f} s"
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if not sel.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                log.write(line + "\n")
                m = RESULT.match(line) if not expectations else None
                if m:
                    results.append((m.group(1), m.group(2)))
                for e in expectations:
                    if not e[2] and e[1].search(line):
                        e[2] = True
                if expectations and all_seen_at is None and all(e[2] for e in expectations):
                    all_seen_at = time.monotonic()
                if "ALL TESTS DONE" in line:
                    done = True
                if not args.quiet or m or "FAIL" in line or "kernel:" in line:
                    print(line, flush=True)
        status = proc.wait()
        if buf:
            log.write(buf.decode("utf-8", "replace"))
    if expectations:
        results = [("PASS" if seen else "FAIL", name) for name, _, seen in expectations]
        for name, pattern, seen in expectations:
            if not seen:
                print(f"{args.name}: nothing printed matches {name}: {pattern.pattern}", file=sys.stderr)
        if not done and problem is None:
            problem = (f"QEMU exited with status {status} before everything expected was printed"
                       if status else "QEMU exited before everything expected was printed")
    # A finished run reports its failures case by case; its exit status only repeats them.
    if problem is None and not done:
        problem = (f"QEMU exited with status {status} before the image said ALL TESTS DONE" if status
                   else "the image stopped before saying ALL TESTS DONE")

    with open(args.results, "w") as out:
        for verdict, name in results:
            out.write(f"{verdict} {args.name}.{name}\n")
        if problem:
            out.write(f"FAIL {args.name}.run: {problem}\n")
            print(f"{args.name}: {problem} (log: {args.log})", file=sys.stderr)
    elapsed = time.monotonic() - start
    passed = sum(1 for v, _ in results if v == "PASS")
    print(f"{args.name}: {passed} of {len(results)} cases passed in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
