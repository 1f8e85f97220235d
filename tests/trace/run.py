#!/usr/bin/env python3
"""Tests of tracing (docs/trace.md): the record layout, the converter on made-up records, and tracing
builds booted for real: the trace suite's system (tracetest.yaml), the default system through make
trace and make run TRACE=1, the kernel test suite built with tracing.  Each case prints and records
"PASS trace.<case>" or "FAIL trace.<case>: why".

usage: tests/trace/run.py BUILD RESULTS_FILE [WORD...]   (WORDs: only the cases whose names hold one)
Run from the project root.  It builds under BUILD/trace (a tracing build: make TRACE=1) and writes
what its runs record under BUILD/trace-tests.
"""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "trace"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_check     # noqa: E402
import chrome_schema   # noqa: E402
import layout          # noqa: E402
import model           # noqa: E402
import report          # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TRACE_BUILD = os.path.join(BUILD, "trace")
SCRATCH = os.path.join(BUILD, "trace-tests")
SYSTEM = "tests/trace/tracetest.yaml"
TRACE_TOOL = "tools/trace/trace"
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Failed(Exception):
    pass


def check(condition, why):
    if not condition:
        raise Failed(why)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def run(command, timeout=300):
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, env=clean_env())
    except subprocess.TimeoutExpired as e:
        raise Failed(f"{' '.join(command)} did not finish within {timeout} s: {(e.stdout or b'')[-500:]!r}")
    return proc.returncode, proc.stdout


def make_ok(*args, timeout=600):
    status, out = run(["make", "--no-print-directory", *args], timeout=timeout)
    check(status == 0, f"make {' '.join(args)} failed (status {status}): {out[-1500:]}")
    return out


_qemu = {}


def traced_system(system=SYSTEM):
    """Builds system with tracing; returns (its folder, QEMU's command booting it)."""
    if system not in _qemu:
        args = [f"BUILD={TRACE_BUILD}", "TRACE=1", f"SYSTEM={system}"]
        make_ok("-j2", *args, "image")
        folder = make_ok("-s", *args, "sys-out").strip()
        qemu = ["qemu-system-riscv64"] + make_ok("-s", *args, "qemu-args").split()
        _qemu[system] = (folder, qemu)
    return _qemu[system]


def record(name, until, *extra, system=SYSTEM):
    """Records a run of system with tracing into SCRATCH/name; returns (the Trace, its console, the folder)."""
    folder, qemu = traced_system(system)
    out = os.path.join(SCRATCH, name)
    status, text = run([sys.executable, TRACE_TOOL, "record", "--system-out", folder, "--outputs", out,
                        "--until", until, "--seconds", "120", *extra, "--", *qemu], timeout=300)
    check(status == 0, f"trace record failed (status {status}): {text[-1500:]}")
    check(f"stopped (the line {until!r} appeared)" in text, f"the run did not reach {until!r}: {text[-1500:]}")
    trace = model.Trace.load(os.path.join(out, "trace-run"), ".")
    console = open(os.path.join(out, "trace-run", "console.log"), errors="replace").read().splitlines()
    return trace, console, out


def spec_badge(trace, component, purpose):
    caps = [c for c in trace.spec["caps"] if c["component"] == component and c["purpose"] == purpose]
    check(len(caps) == 1, f"{component} holds {len(caps)} caps for {purpose!r} in spec.json")
    return caps[0]["badge"]


# ---- the layout ------------------------------------------------------------------------------

@case
def tools_layout_is_the_c_headers():
    exe = os.path.join(SCRATCH, "layout")
    status, out = run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Ilibsel/include", "-o", exe,
                       "tests/trace/layout.c"])
    check(status == 0, f"tests/trace/layout.c did not build: {out}")
    c = dict(line.split() for line in run([exe])[1].splitlines())
    c = {k: int(v) for k, v in c.items()}
    fields = ["time", "kind", "flags", "info", "thread", "b", "a", "value"]
    offsets = [0, 8, 9, 10, 12, 16, 20, 24]
    check([c[f"sel_trace_record_t.{f}"] for f in fields] == offsets and c["record_size"] == layout.RECORD.size,
          f"the record's fields lie at {[c[f'sel_trace_record_t.{f}'] for f in fields]}, layout.py reads {offsets}")
    check(layout.RECORD.size == layout.RECORD_SIZE == 32, "layout.py's record is not 32 bytes")
    expect = {
        "control_size": layout.CONTROL_SIZE, "hart_size": layout.HART.size, "ring_entry_size": layout.RING_ENTRY.size,
        "ring_header_size": layout.RING_HEADER.size, "sel_trace_control_t.harts": layout.CONTROL_HEADER.size,
        "sel_trace_control_t.rings": layout.CONTROL_HEADER.size + layout.MAX_HARTS * layout.HART.size,
        "sel_trace_control_t.num_harts": 16, "sel_trace_control_t.num_rings": 20,
        "sel_trace_control_t.rings_refused": 24, "sel_trace_hart_t.cursor": 8, "sel_trace_hart_t.end": 16,
        "sel_trace_hart_t.lost": 24, "sel_trace_ring_entry_t.vaddr": 8, "sel_trace_ring_entry_t.page": 16,
        "sel_trace_ring_t.capacity": 4, "sel_trace_ring_t.next": 8, "control_magic": layout.CONTROL_MAGIC,
        "ring_magic": layout.RING_MAGIC, "version": layout.VERSION, "max_harts": layout.MAX_HARTS,
        "max_rings": layout.MAX_RINGS, "ring_max_pages": layout.RING_MAX_PAGES,
        "flag.IPC_CALL": layout.IPC_CALL, "flag.IPC_REPLY": layout.IPC_REPLY, "flag.IPC_FAULT": layout.IPC_FAULT,
        "flag.IPC_QUEUED": layout.IPC_QUEUED, "flag.IPC_DROPPED": layout.IPC_DROPPED,
        "flag.SIGNAL_WOKE_WAITER": layout.SIGNAL_WOKE_WAITER, "flag.SIGNAL_WOKE_BOUND": layout.SIGNAL_WOKE_BOUND,
        "flag.SIGNAL_STORED": layout.SIGNAL_STORED, "flag.TOKEN_ALREADY_PENDING": layout.TOKEN_ALREADY_PENDING,
        "flag.IRQ_NOTIFICATION": layout.IRQ_NOTIFICATION, "flag.IRQ_USER_INTERRUPT": layout.IRQ_USER_INTERRUPT,
        "flag.FAULT_UNHANDLED": layout.FAULT_UNHANDLED, "flag.IDLE_USER_WFI": layout.IDLE_USER_WFI,
        "flag.TURN_RAN": layout.TURN_RAN, "flag.PREEMPTED": layout.PREEMPTED,
        "flag.CAUSE_SYSCALL": layout.CAUSE_SYSCALL, "flag.CAUSE_EXCEPTION": layout.CAUSE_EXCEPTION,
        "flag.CAUSE_INTERRUPT": layout.CAUSE_INTERRUPT,
    }
    for name, number in layout.KIND.items():
        expect[f"kind.{name.upper()}"] = number
    wrong = [f"{k}: C {c.get(k)}, layout.py {v}" for k, v in expect.items() if c.get(k) != v]
    check(not wrong, "; ".join(wrong))
    kinds = {k for k in c if k.startswith("kind.")}
    check(len(kinds) == len(layout.KIND), f"the header has kinds {sorted(kinds)}, layout.py {sorted(layout.KIND)}")


# ---- the stripper make bench's check relies on -----------------------------------------------

@case
def bench_check_deletes_trace_statements_and_nothing_else():
    text = ("#define TRACE_X(a) ((void)0)\n"
            "void f(int a)\n{\n"
            "    TRACE_KERNEL_ENTER(h, t, (a + (1)));\n"
            "    x = TRACE_NOT_A_STATEMENT(a) + 1;\n"
            "    SEL_TRACE(\"a ) name\", a);\n"
            "    SEL_TRACE_RING(SEL_TRACE_RING_PUBLISH, p,\n"
            "                   p->head - p->head_published, 3);\n"
            "    TRACE_FASTPATH_START(start);\n"
            "    g(); // TRACE_IRQ(1, 2);\n"
            "}\n")
    out, count = bench_check.strip(text)
    check(count == 4, f"deleted {count} trace points, not 4:\n{out}")
    check(out.count("\n") == text.count("\n"), "the line count changed")
    for kept in ("#define TRACE_X(a) ((void)0)", "x = TRACE_NOT_A_STATEMENT(a) + 1;", "g(); // TRACE_IRQ(1, 2);"):
        check(kept in out, f"{kept!r} was deleted:\n{out}")
    for gone in ("TRACE_KERNEL_ENTER", "SEL_TRACE(", "SEL_TRACE_RING(", "head_published", "TRACE_FASTPATH_START"):
        check(gone not in out, f"{gone!r} is still there:\n{out}")


# ---- the converter on made-up records --------------------------------------------------------

K = layout.KIND
A, B, C = 0xf0200001, 0xf0200002, 0xf0200003      # three threads


def fake_run(records, harts=1, lost=0, capacity=1000, rings=()):
    """A run folder holding records (tuples: time, kind, flags, info, thread, b, a, value, hart)."""
    folder = tempfile.mkdtemp(dir=SCRATCH)
    run_json = {"harts": [], "rings": [], "rings_refused": 0, "stopped": "made up", "system_out": None}
    for h in range(harts):
        data = b"".join(layout.RECORD.pack(*r[:8]) for r in records if r[8] == h)
        with open(os.path.join(folder, f"hart{h}.bin"), "wb") as f:
            f.write(data)
        run_json["harts"].append({"file": f"hart{h}.bin", "records": len(data) // 32, "capacity": capacity,
                                  "lost": lost if h == 0 else 0})
    for i, (thread, ring_records, nxt) in enumerate(rings):
        data = layout.RING_HEADER.pack(layout.RING_MAGIC, 4, nxt) + \
            b"".join(layout.RECORD.pack(*r[:8]) for r in ring_records)
        with open(os.path.join(folder, f"ring{i}.bin"), "wb") as f:
            f.write(data.ljust(4096, b"\0"))
        run_json["rings"].append({"file": f"ring{i}.bin", "thread": thread, "vaddr": 0x1000, "pages": 1})
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump(run_json, f)
    return model.Trace.load(folder, ".")


def name_record(time, thread, name, hart=0):
    raw = name.encode().ljust(16, b"\0")
    word = int.from_bytes(raw[:8], "little")
    return (time, K["thread_name"], 0, 0, thread, word & 0xffffffff, word >> 32, int.from_bytes(raw[8:], "little"),
            hart)


def summary(trace):
    return [(m.kind, m.label, trace.thread(m.sender).label if m.sender else None,
             trace.thread(m.receiver).label if m.receiver else None, m.received is not None) for m in trace.messages]


@case
def converter_pairs_queued_sends_stored_signals_and_coalesced_tokens():
    S = layout.CAUSE_SYSCALL
    recs = [name_record(1, A, "alpha"), name_record(2, B, "beta.rpc"), name_record(3, C, "gamma"),
            (10, K["kernel_exit"], 0, 0, A, 0, 0, 0, 0),
            (20, K["kernel_enter"], 0, S | 3, A, 0, 0, 0, 0),                   # A: Send
            (25, K["ipc_send"], layout.IPC_QUEUED, 1, A, 0x77, 0, 5, 0),        # nobody waits: A is queued
            (30, K["kernel_exit"], 2, 0, B, 0, A, 0, 0),                        # to B; A blocked in Send
            (40, K["kernel_enter"], 0, S | 5, B, 0, 0, 0, 0),                   # B: Recv
            (45, K["ipc_recv"], 0, 1, B, 0x77, A, 5, 0),                        # takes A's message
            (60, K["kernel_exit"], 0, 0, B, 0, B, 0, 0),                        # B returns with it
            (65, K["kernel_enter"], 0, S | 3, B, 0, 0, 0, 0),                   # B: Send (a signal), ...
            (66, K["signal"], layout.SIGNAL_STORED, 0, B, 0x99, 0, 2, 0),       # nobody waits: stored
            (67, K["token_raise"], 0, 0, B, 0x55, C, 4, 0),                     # ... and two tokens for C,
            (68, K["token_raise"], layout.TOKEN_ALREADY_PENDING, 0, B, 0x55, C, 4, 0),   # the second coalesced
            (70, K["kernel_exit"], 1, 0, C, 0, B, 0, 0),                        # to C; B preempted
            (72, K["kernel_enter"], 0, S | 5, C, 0, 0, 0, 0),
            (74, K["signal_taken"], 0, 0, C, 0x99, 0, 2, 0),                    # C takes the bits
            (76, K["token_deliver"], 0, 0, C, 0x55, 0, 4, 0),                   # one delivery for both tokens
            (80, K["kernel_exit"], 0, 0, C, 0, C, 0, 0),
            (90, K["fastpath"], layout.IPC_CALL, 8, C, 2, A, 0x40, 0),          # C calls A through the fastpath
            (130, K["idle_enter"], 0, 0, 0, 0, 0, 0, 0)]
    trace = fake_run(recs)
    got = summary(trace)
    want = [("ipc", "send", "alpha", "beta.rpc", True), ("signal", "signal", "beta.rpc", "gamma", True),
            ("token", "token", "beta.rpc", "gamma", True), ("token", "token", "beta.rpc", "gamma", True),
            ("ipc", "call", "gamma", "alpha", True)]
    check(got == want, f"messages {got}, not {want}")
    ms = trace.messages
    check([m.received for m in ms] == [60, 80, 80, 80, 98], f"received at {[m.received for m in ms]}: each ends "
          "where its receiver next returns to user mode")
    check(len({m.id for m in ms}) == len(ms), "flow ids repeat")
    check(trace.thread(B).component == "beta", "a thread's component is its name up to the first '.'")
    seg = [(s.start, s.end, s.mode, trace.thread(s.thread).label if s.thread else None) for s in trace.segments]
    check((90, 98, "kernel", "gamma") in seg and (98, 130, "user", "alpha") in seg,
          f"the fastpath's kernel time and the switch it makes are not in the segments: {seg}")
    usage = report.cpu(trace)
    check(usage[A]["user"] == 10 + 32 and usage[A]["kernel"] == 10 and usage[B]["user"] == 10 + 5 and
          usage[B]["kernel"] == 20 + 5 and usage[C]["user"] == 2 + 10 and usage[C]["kernel"] == 8 + 8,
          f"instructions per thread: {dict(usage)}")
    meta, events = __import__("chrome").events(trace)
    problems = chrome_schema.problems({"traceEvents": meta + events})
    check(not problems, "; ".join(problems[:5]))
    flows = [e for e in events if e["ph"] in ("s", "f")]
    check(len(flows) == 2 * len(ms), f"{len(flows)} flow events for {len(ms)} messages")


@case
def converter_counts_lost_records_and_reads_user_rings():
    recs = [name_record(1, A, "alpha"), (10, K["kernel_exit"], 0, 0, A, 0, 0, 0, 0)]
    user = [(20, K["ring_publish"], 0, 24, 0, 3, 5, 0x1000, None), (30, K["loop_turn"], 1, 0, 0, 0, 7, 15, None),
            (40, K["ring_release"], 0, 24, 0, 0, 5, 0x1000, None), (50, K["user"], 0, 0, 0, 0x1234, 0, 42, None)]
    trace = fake_run(recs, lost=17, rings=[(A, user, 6)])
    check(trace.lost_kernel() == 17, f"lost kernel records: {trace.lost_kernel()}")
    check(trace.lost_user() == 2, f"lost user records: {trace.lost_user()} (the ring's next 6 passes its capacity 4)")
    text = report.table(trace)
    check("Lost 17 kernel records" in text and "Lost 2 user records" in text, f"the profile does not say so:\n{text}")
    traffic = list(trace.ring_traffic.values())
    check(len(traffic) == 1 and traffic[0]["published"] == 5 and traffic[0]["releases"] == 1,
          f"ring traffic {traffic}")
    check([c.value for c in trace.counters] == [3, 0], f"occupancy {[c.value for c in trace.counters]}")
    check(any(s.name == "turn" and (s.start, s.end) == (15, 30) for s in trace.loop_slices), "the loop turn")
    check(any(i.name == "0x1234" and i.args["value"] == 42 for i in trace.instants), "the SEL_TRACE point")


@case
def schema_check_finds_what_is_wrong():
    good = [{"ph": "X", "name": "a", "cat": "c", "ts": 0, "dur": 10, "pid": 1, "tid": 1},
            {"ph": "X", "name": "b", "cat": "c", "ts": 2, "dur": 3, "pid": 1, "tid": 1},
            {"ph": "X", "name": "r", "cat": "c", "ts": 0, "dur": 10, "pid": 1, "tid": 2},
            {"ph": "s", "name": "m", "cat": "ipc", "ts": 3, "pid": 1, "tid": 1, "id": 1},
            {"ph": "f", "bp": "e", "name": "m", "cat": "ipc", "ts": 4, "pid": 1, "tid": 2, "id": 1}]
    check(chrome_schema.problems(good) == [], f"{chrome_schema.problems(good)}")
    crossing = good + [{"ph": "X", "name": "x", "cat": "c", "ts": 8, "dur": 5, "pid": 1, "tid": 1}]
    check(any("crosses" in p for p in chrome_schema.problems(crossing)), "a slice crossing its parent's end")
    no_end = good + [{"ph": "s", "name": "m", "cat": "ipc", "ts": 3, "pid": 1, "tid": 1, "id": 2}]
    check(any("flow 2" in p for p in chrome_schema.problems(no_end)), "a flow without its end")
    no_dur = [dict(good[0])]
    del no_dur[0]["dur"]
    check(any("no dur" in p for p in chrome_schema.problems(no_dur)), "an X without dur")
    outside = good[:3] + [dict(good[3], ts=20), dict(good[4], ts=21)]
    check(any("in no slice" in p for p in chrome_schema.problems(outside)), "a flow end outside every slice")


# ---- the trace suite's system, booted with tracing -------------------------------------------

def expected_messages(trace, console):
    """What the components printed, as the messages it means, in order (the checks of docs/trace.md)."""
    rpc = spec_badge(trace, "pinger", "rpc echo")
    poke = spec_badge(trace, "pinger", "event poke -> ponger.poke")
    token = spec_badge(trace, "pinger", "ring jobs notify token")
    caller_rpc = spec_badge(trace, "caller", "rpc echo")
    knock = spec_badge(trace, "caller", "event knock -> callee.knock")
    want, tokens_before = [], 0
    for line in console:
        if re.match(r"^pinger: call \d+$", line):
            want += [("ipc", "call", "pinger", "ponger", rpc), ("ipc", "reply", "ponger", "pinger", 0)]
        elif re.match(r"^caller: call \d+$", line):
            want += [("ipc", "call", "caller", "callee", caller_rpc), ("ipc", "reply", "callee", "caller", 0)]
        elif line == "caller: knock":
            want.append(("signal", "signal", "caller", "callee", knock))
        elif re.match(r"^pinger: poke \d+$", line):
            want.append(("signal", "signal", "pinger", "ponger", poke))
        elif line == "pinger: waiting for completions":
            want.append(("signal", "signal", "ponger", "pinger",
                         spec_badge(trace, "ponger", "ring jobs notify pinger")))
        elif m := re.match(r"^ponger: batch \d+: \d+ jobs, token interrupts so far (\d+)$", line):
            # The pinger's flush after its batch line raised them; the ponger counted them before this line.
            want += [("token", "token", "pinger", "ponger", token)] * (int(m.group(1)) - tokens_before)
            tokens_before = int(m.group(1))
        elif re.match(r"^loader: component 'faulter' \(thread faulter\) faulted", line):
            want.append(("ipc", "fault", "faulter", "loader", None))
    return want


@case
def tracetest_trace_holds_exactly_what_the_components_did_in_order():
    trace, console, out = record("tracetest", "faulted")
    check("pinger: done" in console, "the pinger did not finish")
    check(sum(1 for line in console if re.match(r"^ponger: answered call \d+$", line)) == 5 and
          sum(1 for line in console if re.match(r"^ponger: poked \d+$", line)) == 3,
          "the ponger did not see 5 calls and 3 pokes")
    want = expected_messages(trace, console)
    ours = {"pinger", "ponger", "faulter", "caller", "callee"}
    got = [(m.kind, m.label, trace.thread(m.sender).label if m.sender else None,
            trace.thread(m.receiver).label if m.receiver else None, None if m.label == "fault" else m.badge)
           for m in trace.messages if (m.sender and trace.thread(m.sender).label in ours)
           or (m.receiver and trace.thread(m.receiver).label in ours)]
    check(got == want, "the trace's messages differ from what the components printed:\n" +
          "\n".join(f"{'  ' if g == w else '≠ '}{g} / {w}" for g, w in zip(got + [None] * len(want),
                                                                            want + [None] * len(got))
                    if g or w))
    ms = [m for m in trace.messages if m.sender and trace.thread(m.sender).label in ours]
    check(all(m.received is not None and m.received >= m.sent for m in ms), "a message without its receipt")
    check(sum(1 for line in console if line == "callee: knocked") == 1 and "caller: done: 42" in console,
          "the callee did not take the knock and the call")
    pinger = [m for m in ms if trace.thread(m.sender).label in ("pinger", "ponger")]
    check(all(m.flags & model.FASTPATH for m in pinger if m.label in ("call", "reply")),
          "the pinger's calls and the ponger's replies did not all take the fastpath")
    # The caller's call found nobody receiving: queued, on the slow path, until the callee's loop took it.
    queued = [m for m in ms if trace.thread(m.sender).label == "caller" and m.label == "call"]
    check(len(queued) == 1 and queued[0].flags & layout.IPC_QUEUED and not queued[0].flags & model.FASTPATH,
          f"the caller's call was not queued on the slow path: {queued}")
    # The tokens the ponger counted are the deliveries the kernel recorded.
    deliveries = [i for i in trace.instants if i.name == "user interrupt" and trace.thread(i.thread).label == "ponger"]
    check(len(deliveries) == sum(1 for w in want if w[0] == "token"),
          f"{len(deliveries)} token deliveries, the ponger counted {sum(1 for w in want if w[0] == 'token')}")
    # The JSON: one arrow per message, from its sender's track to its receiver's, with the message's id.
    doc = json.load(open(os.path.join(out, "trace.json")))
    problems = chrome_schema.problems(doc)
    check(not problems, "the JSON fails the schema check: " + "; ".join(problems[:5]))
    names = {(e["pid"], e.get("tid")): e["args"]["name"] for e in doc["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    flows = {}
    for e in doc["traceEvents"]:
        if e["ph"] in ("s", "f"):
            flows.setdefault(e["id"], {})[e["ph"]] = names.get((e["pid"], e["tid"]))
    for m in ms:
        check(flows.get(m.id) == {"s": trace.thread(m.sender).label, "f": trace.thread(m.receiver).label},
              f"message {m.id} ({m.label} {trace.thread(m.sender).label} -> {trace.thread(m.receiver).label}) "
              f"has the arrow {flows.get(m.id)}")
    # The pinger's SEL_TRACE points, one per call, with the count as value.
    marks = [i.args["value"] for i in trace.instants if i.name == "calls made"]
    check(marks == [1, 2, 3, 4, 5], f"SEL_TRACE(\"calls made\", i) gave {marks}")
    # The ring's batches: two of four jobs each way.
    rings = {k: v for k, v in trace.ring_traffic.items() if k.startswith("pinger.jobs -> ponger.jobs")}
    check(sorted((v["publishes"], v["published"]) for v in rings.values()) == [(2, 8), (2, 8)],
          f"ring batches: {rings}")
    faults = [i for i in trace.instants if i.name == "fault"]
    check(len(faults) == 1 and trace.thread(faults[0].thread).label == "faulter", f"faults: {faults}")


@case
def tracetest_profile_adds_up_and_names_the_connections():
    trace, console, out = record("profile", "faulted")
    text = open(os.path.join(out, "trace-profile.txt")).read()
    m = re.search(r"These add up to (\d+) instructions; the harts were busy \(not idle\) for (\d+)", text)
    check(m, f"no total in the profile:\n{text}")
    total, busy = int(m.group(1)), int(m.group(2))
    check(busy > 0 and abs(total - busy) <= busy / 100, f"components {total}, busy {busy}: more than 1% apart")
    for row in ("pinger: rpc echo -> ponger", "pinger: event poke -> ponger.poke", "pinger: ring jobs notify token",
                "faulter faults -> loader", "pinger.jobs -> ponger.jobs", "Untyped Retype"):
        check(row in text, f"the profile has no row {row!r}:\n{text}")
    pinger = next(line for line in text.splitlines() if line.startswith("pinger "))
    check("Call (fastpath) 5" in pinger, f"the pinger's kernel entries: {pinger}")


@case
def tracetest_picture_shows_lanes_arrows_and_an_axis():
    trace, console, out = record("picture", "faulted")
    svg = open(os.path.join(out, "trace.svg")).read()
    for label in ("hart 0", "pinger", "ponger", "faulter", " µs</text>", "instructions</text>"):
        check(f">{label}" in svg or label in svg, f"the picture has no {label!r}")
    arrows = svg.count('marker-end="url(#a-')
    check(arrows >= 15, f"{arrows} arrows in the picture; the run sent 16 messages")
    png = open(os.path.join(out, "trace.png"), "rb").read()
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "trace.png is not a PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    check(width >= 1000 and 200 <= height <= 2000, f"the PNG is {width} x {height}")


@case
def a_full_buffer_loses_records_and_stops_nothing():
    trace, console, out = record("full", "faulted", "--buffer-bits", "12")
    check("pinger: done" in console, "the system did not run to its end with a full buffer")
    kept = [h["records"] for h in trace.harts]
    check(trace.harts[0]["capacity"] == 128 and kept[0] == 128 and trace.harts[0]["lost"] > 0,
          f"hart 0 kept {kept[0]} of its 128 records, lost {trace.harts[0]['lost']}")
    text = open(os.path.join(out, "trace-profile.txt")).read()
    check(f"Lost {trace.lost_kernel()} kernel records" in text, f"the profile does not say what was lost:\n{text[:800]}")
    doc = json.load(open(os.path.join(out, "trace.json")))
    check(doc["otherData"]["kernel_records_lost"] == trace.lost_kernel(), "the JSON does not say what was lost")
    problems = chrome_schema.problems(doc)
    check(not problems, "; ".join(problems[:5]))


@case
def recording_an_image_without_tracing_says_so():
    make_ok("-j2", f"BUILD={BUILD}", f"SYSTEM={SYSTEM}", "image")
    folder = make_ok("-s", f"BUILD={BUILD}", f"SYSTEM={SYSTEM}", "sys-out").strip()
    qemu = ["qemu-system-riscv64"] + make_ok("-s", f"BUILD={BUILD}", f"SYSTEM={SYSTEM}", "qemu-args").split()
    status, text = run([sys.executable, TRACE_TOOL, "record", "--outputs", os.path.join(SCRATCH, "plain"),
                        "--seconds", "5", "--", *qemu])
    check(status != 0 and "has no symbol trace_control: is it a tracing build" in text, f"status {status}: {text}")


# ---- the kernel test suite, built with tracing -----------------------------------------------

@case
def kernel_suite_passes_with_tracing_built_in():
    make_ok("-j2", f"BUILD={TRACE_BUILD}", "TRACE=1", f"{TRACE_BUILD}/images/kerneltest.bin")
    results = os.path.join(SCRATCH, "kernel-traced.txt")
    status, text = run([sys.executable, "tools/qemu-test.py", "--name", "kernel-traced", "--timeout", "300",
                        "--log", os.path.join(SCRATCH, "kernel-traced.log"), "--results", results, "--",
                        "qemu-system-riscv64", "-machine", "virt", "-smp", "2", "-m", "256M", "-nographic", "-bios",
                        "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin", "-kernel",
                        f"{TRACE_BUILD}/images/kerneltest.bin"], timeout=400)
    lines = open(results).read().splitlines()
    failed = [line for line in lines if line.startswith("FAIL ")]
    check(not failed, f"{len(failed)} cases failed with tracing built in: {' | '.join(failed[:5])}")
    traced = [line for line in lines if line.startswith("PASS kernel-traced.trace_")]
    check(len(traced) >= 4, f"the tracing kernel's DebugTrace cases did not run: {traced}")


# ---- make trace and make run TRACE=1 ---------------------------------------------------------

@case
def make_trace_on_the_default_system_writes_the_three_outputs():
    out = os.path.join(SCRATCH, "demo")
    text = make_ok(f"BUILD={BUILD}", "trace", f"TRACE_OUTPUTS={out}", "UNTIL=every connection kind works")
    for name in ("trace.json", "trace.svg", "trace.png", "trace-profile.txt"):
        check(os.path.getsize(os.path.join(out, name)) > 0, f"make trace wrote no {name}")
    check("client: rpc echo -> server" in text, f"make trace printed no profile:\n{text[-1500:]}")
    doc = json.load(open(os.path.join(out, "trace.json")))
    problems = chrome_schema.problems(doc)
    check(not problems, "; ".join(problems[:5]))
    processes = {e["args"]["name"] for e in doc["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name"}
    check({"harts", "loader", "client", "server", "logger"} <= processes, f"JSON processes {processes}")
    svg = open(os.path.join(out, "trace.svg")).read()
    for lane in ("client", "server", "logger"):
        check(f">{lane}</text>" in svg, f"the picture has no lane {lane}")
    check(svg.count('marker-end="url(#a-call)"') >= 5, "the picture has fewer than the demo's 5 rpc calls")


@case
def make_run_trace_records_until_ctrl_a_x():
    out = os.path.join(SCRATCH, "interactive")
    shutil.rmtree(out, ignore_errors=True)
    traced_system()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("make", ["make", "--no-print-directory", f"BUILD={TRACE_BUILD}", "TRACE=1",
                            f"SYSTEM={SYSTEM}", f"TRACE_OUTPUTS={out}", "run"], clean_env())
    seen, sent, deadline = b"", False, time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not sent and b"faulted" in seen:
            time.sleep(0.2)
            os.write(fd, b"\x01x")
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = seen.decode("utf-8", "replace")
    check(sent, f"the system never printed its fault line: {text[-800:]}")
    check(os.waitstatus_to_exitcode(status) == 0 and "stopped (Ctrl-A X was pressed)" in text,
          f"make run TRACE=1 did not stop at Ctrl-A X and record: {text[-800:]}")
    check(os.path.exists(os.path.join(out, "trace.json")) and os.path.exists(os.path.join(out, "trace.png")),
          "no outputs")


def main():
    results_path = sys.argv[2]
    os.makedirs(os.path.dirname(results_path) or ".", exist_ok=True)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    start = time.monotonic()
    lines = []
    only = sys.argv[3:]
    for fn in CASES:
        if only and not any(word in fn.__name__ for word in only):
            continue
        t = time.monotonic()
        try:
            fn()
            line = f"PASS trace.{fn.__name__}"
        except Failed as e:
            line = f"FAIL trace.{fn.__name__}: {' '.join(str(e).split())[:800]}"
        except Exception:
            traceback.print_exc()
            line = f"FAIL trace.{fn.__name__}: {traceback.format_exc().strip().splitlines()[-1]}"
        print(f"{line} ({time.monotonic() - t:.1f} s)", flush=True)
        lines.append(line)
        with open(results_path, "w") as f:
            f.write("\n".join(lines) + "\n")
    passed = sum(1 for line in lines if line.startswith("PASS "))
    print(f"trace: {passed} of {len(lines)} cases passed in {time.monotonic() - start:.1f} s")
    return 0 if passed == len(lines) else 1


if __name__ == "__main__":
    sys.exit(main())
