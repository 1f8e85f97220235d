#!/usr/bin/env python3
"""Writes the README's performance tables from the benchmark figures, so the
README says what `make bench` measured (make bench runs it last).

usage: bench_table.py BENCH_JSON README
The tables go between the README's two marker lines (BEGIN and END below),
replacing what was there; the rest of the README is left as it is.  A row
whose figure is missing from the JSON file is left out, not printed stale.

Adding a figure to the README is one line in TABLES: (key, label, anchor),
where key is a key of build/bench.json (or a tuple of keys, shown "a / b"),
label says what was measured, and anchor is the figure to compare with
(seL4's, measured in the same QEMU with the same flags: ../shared/REFERENCE.md)
or None.  An optional fourth field formats the figure ("{:.1f}").
"""
import json
import sys

BEGIN = "<!-- bench-table: make bench writes what follows, up to the end marker, from build/bench.json -->"
END = "<!-- bench-table end -->"

# seL4 (sel4bench, release, qemu-riscv-virt, QEMU 7.2 -icount shift=0): ../shared/REFERENCE.md
SEL4 = {
    "ipc_roundtrip_instructions": 708,
    "signal_wakeup_instructions": 739,
    "ipc_call_instructions": 335,
    "ipc_call_10_words_instructions": 1062,
    # seL4 on the HiFive Unleashed, IRQ to the user-level handler (cycles): REFERENCE.md
    "irq_to_handler_notification_instructions": 798,
    "irq_to_handler_token_instructions": 798,
}

# Each table: its column headings (with an anchor column when the last heading is given) and its rows.
TABLES = [
    (("operation", "instructions", "seL4"), [
        ("null_syscall_instructions", "null syscall, round trip", None),
        ("ipc_roundtrip_instructions",
         "Call + ReplyRecv round trip, two address spaces, one hart (fastpath)", SEL4["ipc_roundtrip_instructions"]),
        ("ipc_call_instructions",
         "Call one way, no words (client's ecall to the server's return)", SEL4["ipc_call_instructions"]),
        ("ipc_call_10_words_instructions",
         "Call one way, 10 words (6 through the IPC buffer: slow path)", SEL4["ipc_call_10_words_instructions"]),
        ("signal_wakeup_instructions",
         "Signal waking a higher-priority waiter in another address space", SEL4["signal_wakeup_instructions"]),
        ("ipc_roundtrip_cross_hart_instructions", "Call + ReplyRecv round trip across harts (both harts' work)", None),
        ("token_blocked_instructions", "token to handler, receiver blocked in Wait", None),
        ("token_descheduled_instructions", "token to handler, receiver ready (runs when the sender blocks)", None),
        ("token_running_instructions", "token to handler, receiver running on the other hart (both harts)", None),
        ("irq_to_handler_notification_instructions",
         "UART interrupt to its driver (another address space) waiting in Wait", SEL4["irq_to_handler_notification_instructions"]),
        ("irq_to_handler_token_instructions", "UART interrupt to its waiting driver's token handler",
         SEL4["irq_to_handler_token_instructions"]),
        (("ring_push_publish_instructions", "ring_pop_release_instructions"),
         "ring push + publish of one 16-byte message / pop + release", None),
        (("ring_push_batched_instructions", "ring_pop_batched_instructions"),
         "the same per message in batches of 16", None),
        (("trace_on_null_syscall_instructions", "trace_on_ipc_roundtrip_instructions"),
         "null syscall / fastpath round trip with tracing built in (make trace)", None),
        ("trace_event_instructions", "one kernel trace record (tracing built in)", None),
    ]),
    (("throughput, 64-byte messages to another address space on the other hart", "figure"), [
        ("ring_msgs_per_million_instructions", "ring (16384 entries): messages per million instructions", None),
        ("ring_kernel_entries_per_1000_msgs", "ring: kernel entries per 1000 messages", None),
        ("rpc_msgs_per_million_instructions", "Call/ReplyRecv: messages per million instructions", None),
        ("ring_vs_rpc_throughput_ratio", "ring / Call-ReplyRecv", None),
        ("rpc_same_hart_msgs_per_million_instructions", "(Call/ReplyRecv with the server on the same hart)", None),
    ]),
    (("system", "seconds"), [
        ("build_seconds_clean", "clean build of the default system (`make image` from nothing)", None, "{:.1f}"),
        ("boot_to_ready_seconds", "QEMU start to all components running (wall clock)", None, "{:.2f}"),
    ]),
]


def figure(row, metrics):
    """The row's figure as the table shows it, or None if the JSON file lacks any of its keys."""
    keys = row[0] if isinstance(row[0], tuple) else (row[0],)
    if any(k not in metrics for k in keys):
        return None
    fmt = row[3] if len(row) > 3 else "{}"
    return " / ".join(fmt.format(metrics[k]) for k in keys)


def tables(metrics):
    """The Markdown of every table, rows without figures left out (and tables left with no rows)."""
    out = []
    for headings, rows in TABLES:
        anchored = len(headings) == 3
        lines = []
        for row in rows:
            value = figure(row, metrics)
            if value is None:
                continue
            cells = [row[1], value]
            if anchored:
                cells.append(str(row[2]) if row[2] is not None else "–")
            lines.append(cells)
        if not lines:
            continue
        widths = [max(len(c) for c in column) for column in zip(headings, *lines)]
        widths[0] = max(widths[0], 64)

        def render(cells):
            first, *rest = cells
            return "| " + " | ".join([first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:])]) + " |"

        table = [render(headings), "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
                 + "|"]
        table += [render(cells) for cells in lines]
        out.append("\n".join(table))
    return "\n\n".join(out)


def rewrite(readme_text, metrics):
    """The README with the text between the markers replaced by the tables; ValueError if the markers are wrong."""
    if readme_text.count(BEGIN) != 1 or readme_text.count(END) != 1 or \
            readme_text.index(BEGIN) > readme_text.index(END):
        raise ValueError(f"the README must hold each of these marker lines once, in this order:\n  {BEGIN}\n  {END}")
    head, rest = readme_text.split(BEGIN)
    tail = rest.split(END)[1]
    return f"{head}{BEGIN}\n{tables(metrics)}\n{END}{tail}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    json_path, readme_path = sys.argv[1:]
    with open(json_path) as f:
        metrics = json.load(f)
    with open(readme_path, encoding="utf-8") as f:
        text = f.read()
    try:
        new = rewrite(text, metrics)
    except ValueError as e:
        sys.exit(f"bench_table: {readme_path}: {e}")
    if new != text:
        with open(readme_path, "w", encoding="utf-8") as f:
            f.write(new)
    print(f"bench_table: the performance tables of {readme_path} now show {json_path}")


if __name__ == "__main__":
    main()
