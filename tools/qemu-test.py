#!/usr/bin/env python3
"""Runs a test image in QEMU and collects its results.

The image prints one line per test case, "PASS <name>" or "FAIL <name>: <why>"
(behind "driver: " for the component-test driver),
and "ALL TESTS DONE" at the end, then powers off.  Everything QEMU prints is
shown and saved to the log.  The results file gets one "PASS name" or
"FAIL name: why" line per case, plus a failure for the run itself if QEMU timed
out, exited with an error, or the image never said it was done.

With --expect FILE the cases come from FILE instead: lines "name: regex",
each passing if some line of the output matches.  A system runs for good, so
once every line has matched, and the system has run on for a settle time
(--settle) without a fault, QEMU is stopped and the run counts as finished.
A fault or error line (see FAULT below) that no expected line matches fails
the run's "no_faults" case; so does QEMU exiting, since a system does not.

Typing: with --typing FILE, or lines "typing: regex => text" in the
--expect file, text is typed on the console (QEMU's stdin, which -nographic
connects to the UART) once a line of output, or the unfinished line a
prompt leaves, matches regex; each rule once, in the file's order.  In text,
\r is Enter (what a terminal sends), \n a newline, \t a tab.
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
RESULT = re.compile(r"^(?:driver: )?(PASS|FAIL) ([^\s:]+)(?::\s*(.*))?")

# What a booted system prints when something goes wrong.  The kernel prints its boot lines
# (kernel/core/boot.c), and after them only on trouble: a kernel trap ("kernel: BUG: ..."), a thread
# faulting with no handler, a hart that did not start, a halt.  So every "kernel: " line but the boot
# lines is one.  The loader says "loader: component '...' faulted: ..." and "cannot start system"
# (loader/main.c); the glue says "<name>: exited with status N", "ring port ... is broken", "rejected a
# request" (codegen/templates/component.c.j2); libsel's tasks "task '...': misuse" (libsel/src/task.c).
KERNEL_BOOT_LINE = re.compile(r"^kernel: (booting on hart |memory: |timebase |reserved |root task )")
FAULT = re.compile(r"^kernel: |faulted|\bpanic|^loader: cannot |^loader: a fault |: exited with status [1-9]"
                   r"|: ring port .* is broken|: rejected a request |(?:^|: )task '")


def is_fault(line):
    return bool(FAULT.search(line)) and not KERNEL_BOOT_LINE.match(line)


def typing_rule(line, where):
    """'regex => text' as (compiled regex, bytes to type)."""
    pattern, sep, text = line.partition(" => ")
    if not sep:
        sys.exit(f"{where}: expected 'regex => text'")
    text = text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")
    return [re.compile(pattern), text.encode(), False]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--log", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--quiet", action="store_true", help="show only results and failures")
    ap.add_argument("--expect", help="a file of 'name: regex' lines the output must match")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="with --expect: seconds to keep watching for faults after the last expected line")
    ap.add_argument("--typing", help="a file of 'regex => text' lines: type text once output matches regex")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command

    expectations, typing = [], []
    if args.expect:
        with open(args.expect) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, sep, pattern = line.partition(": ")
                if not sep:
                    sys.exit(f"{args.expect}:{number}: expected 'name: regex'")
                if name == "typing":
                    typing.append(typing_rule(pattern, f"{args.expect}:{number}"))
                    continue
                expectations.append([name, re.compile(pattern), False])
    if args.typing:
        with open(args.typing) as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if line.strip() and not line.startswith("#"):
                    typing.append(typing_rule(line, f"{args.typing}:{number}"))
    results, done, problem = [], False, None
    start = time.monotonic()
    with open(args.log, "w") as log:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if typing else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)

        def type_on(text):
            """Types what the next rule says once text (a line, or the unfinished last one) matches it."""
            rule = next((r for r in typing if not r[2]), None)
            if rule and rule[0].search(text):
                rule[2] = True
                try:
                    proc.stdin.write(rule[1])
                    proc.stdin.flush()
                except OSError:
                    pass   # QEMU has gone: the run's end says why
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        # Watching ends a settle time after every expected line has matched, or after a fault line.
        settle_from = None
        faults = []
        while True:
            if settle_from is not None and time.monotonic() - settle_from > args.settle:
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
                    results.append((m.group(1), m.group(2) + (f": {m.group(3)}" if m.group(3) else "")))
                expected = False
                for e in expectations:
                    if e[1].search(line):
                        e[2] = expected = True
                if expectations and not expected and is_fault(line):
                    faults.append(line)
                    if settle_from is None:
                        settle_from = time.monotonic()
                if expectations and settle_from is None and all(e[2] for e in expectations):
                    settle_from = time.monotonic()
                if "ALL TESTS DONE" in line:
                    done = True
                if not args.quiet or m or "FAIL" in line or "kernel:" in line:
                    print(line, flush=True)
                if typing:
                    type_on(line)
            if typing and buf:
                type_on(buf.decode("utf-8", "replace"))
        status = proc.wait()
        if buf:
            log.write(buf.decode("utf-8", "replace"))
    if expectations:
        results = [("PASS" if seen else "FAIL", name) for name, _, seen in expectations]
        for name, pattern, seen in expectations:
            if not seen:
                print(f"{args.name}: nothing printed matches {name}: {pattern.pattern}", file=sys.stderr)
        if faults:
            results.append(("FAIL", f"no_faults: {faults[0]}" + (f" (and {len(faults) - 1} more fault lines)"
                                                                 if len(faults) > 1 else "")))
            for line in faults:
                print(f"{args.name}: a fault or error no expected line matches: {line}", file=sys.stderr)
        else:
            results.append(("PASS", "no_faults"))
        if not done and problem is None:
            everything = all(seen for _, _, seen in expectations)
            problem = (f"QEMU exited{f' with status {status}' if status else ''} "
                       f"{'after' if everything else 'before'} everything expected was printed (a system runs for good)")
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
