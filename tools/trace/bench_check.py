#!/usr/bin/env python3
"""make bench's check that tracing costs nothing when it is not built in, and what it costs when it is.

usage: bench_check.py --json BENCH_JSON --build BUILD [--jobs N] -- QEMU ARGS...   (the image's -kernel is added)

1. Copies the kernel, libsel and the benchmark into BUILD/trace-check/tree with every trace point deleted
   (each TRACE_*(...); and SEL_TRACE*(...); statement; the lines stay, empty, so line numbers do not
   move), builds the benchmark image there, and compares it with BUILD/images/bench.bin, the image
   make bench just measured (a build without tracing): they must be the same, byte for byte.
2. Boots the image without trace points and records its figures as trace_off_<key> (they must equal
   make bench's: the figure of the tree without any trace point, against the one with them compiled out).
3. Builds the benchmark with tracing (TRACE=1, under BUILD/trace) and records trace_on_<key> for the
   null syscall and the fastpath round trip, and trace_event_instructions (one kernel record).
Fails if 1 or 2 does not hold; says so if the traced round trip is more than 15% above the plain one.

We chose the tree without trace points over recorded figures: the kernel's figures move as the kernel
does, and this check keeps holding while they do.
"""
import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collect   # noqa: E402

TRACE_POINT = re.compile(r"^[ \t]*(?:TRACE_[A-Z0-9_]+|SEL_TRACE(?:_[A-Z0-9_]+)?)[ \t]*\(", re.M)
# What the benchmark image is built from (the Makefile builds it with these alone).
TREE = ["Makefile", "tools/mk", "tools/mkarchive.py", "tools/bench", "tools/install-deps.sh", "kernel", "libsel"]
# The figures the two untraced images must share (every exact one-hart count, and the cross-hart ones).
COMPARED = re.compile(r"_instructions$")
TRACED = ["null_syscall_instructions", "ipc_roundtrip_instructions"]


def strip(text):
    """text with every trace-point statement deleted (its newlines kept); and how many there were."""
    out, pos, count = [], 0, 0
    for m in TRACE_POINT.finditer(text):
        if m.start() < pos:
            continue
        depth, j, quote = 0, m.end() - 1, None
        while j < len(text):
            c = text[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        k = j + 1
        while k < len(text) and text[k] in " \t":
            k += 1
        if k >= len(text) or text[k] != ";":
            continue            # not a statement of its own
        out.append(text[pos:m.start()])
        out.append("\n" * text.count("\n", m.start(), k + 1))
        pos = k + 1
        count += 1
    out.append(text[pos:])
    return "".join(out), count


def stripped_tree(root, dest):
    shutil.rmtree(dest, ignore_errors=True)
    points, files = 0, 0
    for part in TREE:
        src = os.path.join(root, part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, part))
        else:
            os.makedirs(os.path.dirname(os.path.join(dest, part)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, part))
    for folder, _, names in os.walk(dest):
        for name in names:
            if not name.endswith((".c", ".h", ".S")):
                continue
            path = os.path.join(folder, name)
            text, n = strip(open(path).read())
            if n:
                with open(path, "w") as f:
                    f.write(text)
                points += n
                files += 1
    return points, files


def make(args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        print(proc.stdout[-3000:])
        sys.exit(f"bench_check: make {' '.join(args)} failed")


def run_bench(qemu, image, buffer_bits=None, timeout=300):
    """The BENCH figures of one benchmark image, booted by the command qemu (make bench's)."""
    scratch = os.path.dirname(image)
    if buffer_bits:
        image = collect.patched_image(image, os.path.splitext(image)[0] + ".elf", buffer_bits, scratch)
    command = [*qemu, "-kernel", image]
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout)
        output = proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode("utf-8", "replace")
    figures = {}
    for line in output.splitlines():
        m = re.match(r"^BENCH (\w+) (\d+(?:\.\d+)?)$", line.strip())
        if m:
            figures[m.group(1)] = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
    if "BENCH DONE" not in output:
        print(output[-2000:])
        sys.exit(f"bench_check: {image} did not finish")
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    args.qemu = args.qemu[1:] if args.qemu[:1] == ["--"] else args.qemu
    root = os.getcwd()
    metrics = json.load(open(args.json))
    failures = []

    tree = os.path.join(args.build, "trace-check", "tree")
    points, files = stripped_tree(root, tree)
    make([f"-j{args.jobs}", "BUILD=build", "build/images/bench.bin"], cwd=tree)
    plain = os.path.join(args.build, "images", "bench.bin")
    bare = os.path.join(tree, "build", "images", "bench.bin")
    same = filecmp.cmp(plain, bare, shallow=False)
    print(f"bench_check: {points} trace points deleted from {files} files; the image without them is "
          f"{'the same, byte for byte, as' if same else 'NOT the same as'} {plain}")
    if not same:
        failures.append(f"{bare} differs from {plain}: a trace point leaves code behind when tracing is off")

    off = run_bench(args.qemu, bare)
    for key, value in sorted(off.items()):
        if not COMPARED.search(key):
            continue
        metrics[f"trace_off_{key}"] = value
        if key in metrics and metrics[key] != value:
            failures.append(f"{key}: {metrics[key]} with trace points compiled out, {value} without any")
    print(f"bench_check: without trace points: null syscall {off.get('null_syscall_instructions')}, round trip "
          f"{off.get('ipc_roundtrip_instructions')} (make bench: {metrics.get('null_syscall_instructions')}, "
          f"{metrics.get('ipc_roundtrip_instructions')})")

    traced_build = os.path.join(args.build, "trace")
    make([f"-j{args.jobs}", "TRACE=1", f"BUILD={traced_build}", f"{traced_build}/images/bench.bin"])
    # Buffers of 16 MiB a hart, so that no figure below is taken with a full one (which costs less).
    on = run_bench(args.qemu, os.path.join(traced_build, "images", "bench.bin"), buffer_bits=24)
    for key in TRACED:
        if key in on:
            metrics[f"trace_on_{key}"] = on[key]
    if "trace_event_instructions" in on:
        metrics["trace_event_instructions"] = on["trace_event_instructions"]
    plain_rt, traced_rt = metrics.get("ipc_roundtrip_instructions"), on.get("ipc_roundtrip_instructions")
    if plain_rt and traced_rt:
        over = 100.0 * (traced_rt - plain_rt) / plain_rt
        print(f"bench_check: with tracing: null syscall {on.get('null_syscall_instructions')}, round trip {traced_rt} "
              f"({over:+.1f}%{'' if over <= 15 else ': above the 15% goal'}), one kernel record "
              f"{on.get('trace_event_instructions')}")

    with open(args.json, "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write("\n")
    for failure in failures:
        print(f"bench_check: FAILED: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
