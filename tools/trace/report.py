"""The per-component profile: a few plain-text tables (printed, and kept in trace-profile.txt).

Instructions are the instret clock's (one hart's work between two of its
records); a component's are its threads', user mode and the kernel's work
for them (syscalls, faults, and interrupts that arrived while they ran),
as the kernel's own CPU accounting charges them (DebugCpuTime).
"""
import collections

import layout
import model


def render(headings, rows, right=None):
    """A table: headings, then rows; columns in right are right-aligned (numbers)."""
    right = set(range(1, len(headings))) if right is None else set(right)
    cells = [[str(c) for c in headings]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headings))]

    def line(row):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out) + "\n"


def busy_by_hart(trace):
    """Each hart's instructions not spent waiting, from its own records (not from the segments): the check."""
    busy = {}
    # From its first record that says what it does (a name, say, may come before: boot writes one).
    states = {layout.KIND[k] for k in ("kernel_enter", "kernel_exit", "fastpath", "idle_enter", "idle_exit")}
    for h in range(len(trace.harts)):
        recs = [r for r in trace.records if r.hart == h]
        while recs and recs[0].kind not in states:
            recs.pop(0)
        if not recs:
            continue
        end = trace.end if not trace.harts[h]["lost"] else recs[-1].time
        idle, since = 0, None
        for r in recs:
            if r.kind == layout.KIND["idle_enter"]:
                since = r.time
            elif r.kind == layout.KIND["idle_exit"] and since is not None:
                idle += r.time - since
                since = None
        if since is not None:
            idle += end - since
        # Before a hart's first record the trace knows nothing of it.
        busy[h] = end - recs[0].time - idle
    return busy


def cpu(trace):
    """thread id (None: the kernel for nobody) -> {user, kernel, wfi} instructions."""
    out = collections.defaultdict(collections.Counter)
    for seg in trace.segments:
        if seg.mode == "idle":
            if seg.thread:
                out[seg.thread]["wfi"] += seg.end - seg.start
            continue
        out[seg.thread][seg.mode] += seg.end - seg.start
    return out


def seconds(instructions):
    """Machine time, at 1 ns an instruction, in the unit that reads best."""
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if instructions >= size:
            return f"{instructions / size:.3g} {unit}"
    return f"{instructions} ns"


def summary_of_entries(counter, limit=6):
    parts = [f"{name} {n}" for name, n in counter.most_common(limit)]
    if len(counter) > limit:
        parts.append(f"+{sum(counter.values()) - sum(n for _, n in counter.most_common(limit))} more")
    return ", ".join(parts) or "-"


def table(trace):
    if not trace.records:
        return "trace: no records (was the image built with tracing?)\n"
    out = []
    span = trace.end - trace.start
    out.append(f"Trace: {seconds(span)} of machine time ({span:,} instructions, 1 ns each) on {len(trace.harts)} "
               f"harts; stopped when {trace.stopped}.\n")
    lost = trace.lost_kernel()
    if lost:
        full = [f"hart {h}" for h, x in enumerate(trace.harts) if x["lost"]]
        out.append(f"Lost {lost} kernel records: the buffer of {', '.join(full)} filled "
                   f"({trace.harts[0]['capacity']} records per hart); what came after is missing there.\n")
    if trace.lost_user():
        out.append(f"Lost {trace.lost_user()} user records (rings full: "
                   + ", ".join(f"{t.label} {t.ring_lost}" for t in trace.threads.values() if t.ring_lost) + ").\n")
    out.append("\n")

    usage = cpu(trace)
    comps = trace.components()
    rows = []
    total = 0
    for comp, threads in comps.items():
        user = sum(usage[t.id]["user"] for t in threads)
        kern = sum(usage[t.id]["kernel"] for t in threads)
        wfi = sum(usage[t.id]["wfi"] for t in threads)
        entries = collections.Counter()
        for t in threads:
            entries.update(trace.entries.get(t.id, {}))
        total += user + kern
        rows.append([comp, user, kern, wfi or "", sum(entries.values()), summary_of_entries(entries)])
    nobody = usage[None]["kernel"]
    rows.append(["(kernel, for no thread)", "", nobody, "", "", "on the way into and out of idle"])
    total += nobody
    out.append(render(["component", "user instr", "kernel instr", "wfi", "entries", "kernel entries by kind"], rows,
                      right=[1, 2, 3, 4]))
    busy = busy_by_hart(trace)
    busy_total = sum(busy.values())
    share = 100.0 * total / busy_total if busy_total else 100.0
    out.append(f"These add up to {total} instructions; the harts were busy (not idle) for {busy_total} "
               f"({share:.2f}%).\n\n")

    # Messages per connection.
    traffic = collections.OrderedDict()
    for index, m in enumerate(trace.messages):
        key = (m.kind, trace.connection(m))
        t = traffic.setdefault(key, {"count": 0, "bytes": 0, "fast": 0, "received": 0})
        t["count"] += 1
        t["bytes"] += trace.message_bytes.get(index, 0)
        t["fast"] += 1 if m.flags & model.FASTPATH else 0
        t["received"] += 1 if m.received is not None else 0
    rows = []
    for (kind, name), t in traffic.items():
        rows.append([name, kind, t["count"], t["bytes"] if kind == "ipc" else "", t["fast"] if kind == "ipc" else "",
                     t["count"] - t["received"] or ""])
    if rows:
        out.append(render(["connection", "kind", "messages", "bytes", "fastpath", "not received"], rows,
                          right=[2, 3, 4, 5]))
        out.append("\n")

    rows = []
    for ring, t in sorted(trace.ring_traffic.items()):
        payload = max(t["slot"] - 8, 0)
        mean_pub = t["published"] / t["publishes"] if t["publishes"] else 0
        mean_rel = t["released"] / t["releases"] if t["releases"] else 0
        rows.append([ring, t.get("producer", "?"), t["publishes"], t["published"], f"{mean_pub:.2f}",
                     t["published"] * payload, t.get("consumer", "?"), t["releases"], f"{mean_rel:.2f}"])
    if rows:
        out.append(render(["ring", "producer", "batches", "entries", "mean batch", "bytes", "consumer", "releases",
                           "mean batch"], rows, right=[2, 3, 4, 5, 7, 8]))
        out.append("\n")

    rows = []
    for comp, threads in comps.items():
        ids = {t.id for t in threads}
        sent = collections.Counter(m.kind for m in trace.messages if m.sender in ids)
        got = collections.Counter(m.kind for m in trace.messages if m.receiver in ids and m.received is not None)
        faults = sum(1 for i in trace.instants if i.name == "fault" and i.thread in ids)
        handler_entries = sum(1 for i in trace.instants if i.name == "user interrupt" and i.thread in ids)
        rows.append([comp, sent["ipc"], got["ipc"], sent["signal"], got["signal"], sent["token"], got["token"],
                     handler_entries, faults])
    out.append(render(["component", "IPC sent", "received", "signals sent", "received", "tokens sent", "received",
                       "handler entries", "faults"], rows))
    out.append("\n")

    costs = collections.defaultdict(lambda: [0, 0, 0])
    for thread, cap_type, label, start, end, err in trace.invocations:
        c = costs[model.invocation_name(cap_type, label, trace.labels)]
        c[0] += 1
        c[1] += end - start
        c[2] = max(c[2], end - start)
    rows = [[name, n, tot, tot // n, most] for name, (n, tot, most) in
            sorted(costs.items(), key=lambda kv: -kv[1][1])[:10]]
    if rows:
        out.append("The 10 invocations that cost the most in all (instructions from the invocation's decoding to its "
                   "end):\n")
        out.append(render(["invocation", "count", "total", "mean", "longest"], rows))
    return "".join(out)
