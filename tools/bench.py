#!/usr/bin/env python3
"""Runs the benchmark image in QEMU (under -icount shift=0, so instruction
counts are exact), prints a table beside seL4's figures measured in the same
QEMU with the same flags, and merges the metrics into a JSON file.

The image prints "BENCH <metric> <value>" lines and "BENCH DONE".
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

from bench_table import SEL4   # seL4's figures, which the README's table shows too (tools/bench_table.py)

LABELS = {
    "null_syscall_instructions": "null syscall, round trip",
    "ipc_roundtrip_instructions": "Call + ReplyRecv round trip, 2 address spaces, 1 hart",
    "signal_wakeup_instructions": "Signal -> higher-priority waiter wakes (other address space)",
    "ipc_call_instructions": "Call one way, 0 words (client's ecall to server's return)",
    "ipc_call_10_words_instructions": "Call one way, 10 words (4 in registers, 6 in the IPC buffer)",
    "ipc_roundtrip_cross_hart_instructions": "Call + ReplyRecv round trip across harts (both harts' work)",
    "token_blocked_instructions": "token -> handler, receiver blocked in Wait (higher priority)",
    "token_descheduled_instructions": "token -> handler, receiver ready (send + sender blocks)",
    "token_running_instructions": "token -> handler, receiver running on the other hart (both)",
    "irq_to_handler_notification_instructions": "UART IRQ -> driver (other address space) after its Wait",
    "irq_to_handler_token_instructions": "UART IRQ -> driver's user-interrupt handler (token)",
    "ring_push_publish_instructions": "ring: push + publish of one message (no wake-up)",
    "ring_pop_release_instructions": "ring: pop of one message, with its release (no wake-up)",
    "ring_push_batched_instructions": "ring: push, per message of a batch of 16 (one publish)",
    "ring_pop_batched_instructions": "ring: pop, per message of a batch of 16 (one release)",
    "task_switch_instructions": "task switch: a yield to another task of the same priority (user mode)",
    "ring_msgs_per_million_instructions": "ring, 64-byte messages across harts: messages per 10^6 instr.",
    "ring_kernel_entries_per_1000_msgs": "ring, the same: kernel entries per 1000 messages",
    "rpc_msgs_per_million_instructions": "Call/ReplyRecv, 64-byte messages across harts: msgs per 10^6",
    "rpc_same_hart_msgs_per_million_instructions": "Call/ReplyRecv, the same on one hart: msgs per 10^6",
    "ring_vs_rpc_throughput_ratio": "ring / Call-ReplyRecv messages per instruction (across harts)",
    "ring_msgs_per_wall_second": "ring, the same: messages per second of wall time (QEMU, noisy)",
    "rpc_msgs_per_wall_second": "Call/ReplyRecv, the same: messages per second of wall time",
}
WALL = re.compile(r"^WALL (begin|end) (\w+)$")
THROUGHPUT_MESSAGES = 131072   # tools/bench/main.c
LINE = re.compile(r"^BENCH (\w+) (\d+(?:\.\d+)?)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    start = time.monotonic()
    # Read as QEMU writes, timing the "WALL begin/end <phase>" lines: wall time is a secondary figure.
    lines, begun, wall = [], {}, {}
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    watchdog = threading.Timer(args.timeout, proc.kill)   # a silent hang ends too
    watchdog.start()
    try:
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            m = WALL.match(line.strip())
            if m and m.group(1) == "begin":
                begun[m.group(2)] = time.monotonic()
            elif m and m.group(2) in begun:
                wall[m.group(2)] = time.monotonic() - begun[m.group(2)]
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()
    if time.monotonic() - start >= args.timeout:
        print(f"bench: QEMU did not finish within {args.timeout:.0f} s", file=sys.stderr)
    output = "".join(lines)
    elapsed = time.monotonic() - start
    with open(args.log, "w") as f:
        f.write(output)

    metrics = {}
    for line in output.splitlines():
        m = LINE.match(line.strip())
        if m:
            value = m.group(2)
            metrics[m.group(1)] = float(value) if "." in value else int(value)
    if "BENCH DONE" not in output or not metrics:
        print(output[-3000:])
        sys.exit(f"bench: the benchmark did not complete (log: {args.log})")

    if metrics.get("rpc_msgs_per_million_instructions") and "ring_msgs_per_million_instructions" in metrics:
        metrics["ring_vs_rpc_throughput_ratio"] = round(
            metrics["ring_msgs_per_million_instructions"] / metrics["rpc_msgs_per_million_instructions"], 1)

    for phase, key in (("rpc", "rpc_msgs_per_wall_second"), ("ring_16384", "ring_msgs_per_wall_second")):
        if wall.get(phase):
            metrics[key] = int(THROUGHPUT_MESSAGES / wall[phase])

    print(f"{'benchmark':64} {'figure':>12} {'seL4':>6} {'ratio':>6}")
    for key, value in metrics.items():
        ref = SEL4.get(key)
        ratio = f"{value / ref:.2f}" if ref else ""
        print(f"{LABELS.get(key, key):64} {value:>12} {ref if ref else '':>6} {ratio:>6}")
    print(f"(exact retired-instruction counts under -icount shift=0,sleep=off: medians of {257} rounds, or totals of both harts"
          f" for throughput; QEMU ran {elapsed:.1f} s)")

    existing = {}
    if os.path.exists(args.json):
        try:
            with open(args.json) as f:
                existing = json.load(f)
        except (OSError, ValueError):
            existing = {}
    existing.update(metrics)
    with open(args.json, "w") as f:
        json.dump(existing, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
