#!/usr/bin/env python3
"""Measures what a user waits for: building the default system from a clean
tree, and booting it until every component runs.  Merges the figures into
the benchmark JSON file as build_seconds_clean and boot_to_ready_seconds.

usage: bench-system.py --json FILE --build DIR --qemu QEMU
The system boots on the machine it describes (make qemu-args), as with make run.
"""
import argparse
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time

READY = re.compile(r"^loader: all (\d+) components running \((\d+) ms after power-on")


def build(build_dir):
    shutil.rmtree(build_dir, ignore_errors=True)
    start = time.monotonic()
    proc = subprocess.run(["make", "--no-print-directory", f"BUILD={build_dir}", "image"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:])
        sys.exit("bench-system: the clean build failed")
    return elapsed


def boot(command, timeout=60):
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf, found = b"", None
    try:
        while time.monotonic() - start < timeout and not found:
            if not sel.select(timeout=0.5):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            for line in buf.decode("utf-8", "replace").splitlines():
                m = READY.match(line.strip())
                if m:
                    found = (time.monotonic() - start, int(m.group(1)), int(m.group(2)))
                    break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if not found:
        print(buf.decode("utf-8", "replace")[-3000:])
        sys.exit("bench-system: the system never said its components were running")
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--qemu", required=True, help="the QEMU command")
    args = ap.parse_args()

    seconds = build(args.build)
    # The default system's QEMU arguments (its machine, its image in the build folder) as make knows them.
    qemu_args = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={args.build}", "qemu-args"],
                               stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    boots = [boot([args.qemu] + qemu_args) for _ in range(3)]
    wall = sorted(b[0] for b in boots)[1]
    components, virtual_ms = boots[0][1], boots[0][2]

    print(f"{'system':64} {'seconds':>12}")
    print(f"{'clean build of the default system (make image from nothing)':64} {seconds:>12.1f}")
    print(f"{'QEMU start to all ' + str(components) + ' components running (wall, median of 3)':64} {wall:>12.2f}")
    print(f"{'  the same in guest time (rdtime at the loader)':64} {virtual_ms / 1000:>12.3f}")

    data = {}
    if os.path.exists(args.json):
        with open(args.json) as f:
            data = json.load(f)
    data.update({"build_seconds_clean": round(seconds, 2), "boot_to_ready_seconds": round(wall, 3),
                 "boot_to_ready_virtual_seconds": virtual_ms / 1000})
    with open(args.json, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
