"""The Chrome / Perfetto JSON trace (ui.perfetto.dev, chrome://tracing).

Processes and tracks (thread ids are unique over the file):
  pid 0 "harts"            one track per hart: what it ran (a thread's user
                           code, the kernel and why, idle)
  pid n, one per component one track per thread: "running" slices while it
                           has a hart, with its kernel entries nested in
                           them; and a second track per thread for its event
                           loop: turns, with the tasks each ran
Flow arrows (ph s / f, one id each) go from where a message was sent (the
sender's kernel entry) to where its receiver next ran: IPC, signals and
tokens.  Counters (ph C) show each ring's occupancy.  ts and dur are
microseconds: one instruction is one nanosecond under -icount shift=0.

Every X slice nests in its track (slices are cut where they would cross),
every flow has both ends (messages never received have none), and the
output stops at max_events events, the earliest kept.
"""
import json

import model


def us(trace, time):
    return round((time - trace.start) / 1000, 3)


def dur(trace, start, end):
    """From the rounded ends, so that a slice inside another stays inside it."""
    return round(us(trace, end) - us(trace, start), 3)


class Tracks:
    def __init__(self, trace):
        self.trace = trace
        self.pid = {}
        self.tid = {}
        self.meta = [{"ph": "M", "pid": 0, "name": "process_name", "args": {"name": "harts"}},
                     {"ph": "M", "pid": 0, "name": "process_sort_index", "args": {"sort_index": 0}}]
        for h in range(len(trace.harts)):
            self.meta.append({"ph": "M", "pid": 0, "tid": h + 1, "name": "thread_name", "args": {"name": f"hart {h}"}})
        for i, (comp, threads) in enumerate(trace.components().items()):
            pid = i + 1
            self.meta.append({"ph": "M", "pid": pid, "name": "process_name", "args": {"name": comp}})
            self.meta.append({"ph": "M", "pid": pid, "name": "process_sort_index", "args": {"sort_index": pid}})
            for j, t in enumerate(threads):
                # Thread ids unique over the whole trace (viewers take a tid for one thread wherever it is).
                tid = 1000 * pid + 2 * j + 1
                self.pid[t.id] = pid
                self.tid[t.id] = tid
                self.meta.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": t.label}})
                self.meta.append({"ph": "M", "pid": pid, "tid": tid + 1, "name": "thread_name",
                                  "args": {"name": f"{t.label} loop"}})

    def thread(self, tid, loop=False):
        return {"pid": self.pid[tid], "tid": self.tid[tid] + (1 if loop else 0)}

    def hart(self, h):
        return {"pid": 0, "tid": h + 1}


def running_slices(trace):
    """Per thread: (start, end, [kernel or wfi segments inside]) while it had a hart."""
    out = []
    by_hart = {}
    for seg in trace.segments:
        by_hart.setdefault(seg.hart, []).append(seg)
    for segs in by_hart.values():
        segs.sort(key=lambda s: s.start)
        current = None
        for seg in segs:
            if seg.thread is None:
                if current:
                    out.append(current)
                    current = None
                continue
            if current and current[0] == seg.thread and current[2] == seg.start:
                current[2] = seg.end
            else:
                if current:
                    out.append(current)
                current = [seg.thread, seg.start, seg.end, []]
            if seg.mode != "user":
                current[3].append(seg)
        if current:
            out.append(current)
    return out


def hart_label(trace, seg):
    if seg.mode == "user":
        return trace.thread(seg.thread).label
    if seg.mode == "idle":
        return "idle" if seg.thread is None else f"wfi: {trace.thread(seg.thread).label}"
    who = f" ({trace.thread(seg.thread).label})" if seg.thread else ""
    return f"kernel: {seg.label}{who}"


def events(trace):
    tracks = Tracks(trace)
    ev = []
    for seg in trace.segments:
        ev.append({"ph": "X", **tracks.hart(seg.hart), "ts": us(trace, seg.start),
                   "dur": dur(trace, seg.start, seg.end), "name": hart_label(trace, seg),
                   "cat": seg.mode})
    for tid, start, end, inside in running_slices(trace):
        if tid not in tracks.pid:
            continue
        ev.append({"ph": "X", **tracks.thread(tid), "ts": us(trace, start), "dur": dur(trace, start, end),
                   "name": "running", "cat": "user"})
        for seg in inside:
            name = seg.label if seg.mode == "idle" else f"kernel: {seg.label}"
            ev.append({"ph": "X", **tracks.thread(tid), "ts": us(trace, seg.start),
                       "dur": dur(trace, seg.start, seg.end), "name": name, "cat": "kernel"})
    loop_by_thread = {}
    for s in trace.loop_slices:
        loop_by_thread.setdefault(s.thread, []).append(s)
    for tid, slices in loop_by_thread.items():
        if tid not in tracks.pid:
            continue
        for s in nest(slices):
            ev.append({"ph": "X", **tracks.thread(tid, loop=True), "ts": us(trace, s.start),
                       "dur": dur(trace, s.start, s.end), "name": s.name, "cat": "loop",
                       **({"args": s.args} if s.args else {})})
    for index, m in enumerate(trace.messages):
        if m.received is None or m.sent is None:
            continue
        src = tracks.thread(m.sender) if m.sender in tracks.pid else tracks.hart(m.hart)
        if m.receiver not in tracks.pid:
            continue
        dst = tracks.thread(m.receiver)
        name = trace.connection(m)
        cat = m.kind
        args = {"badge": f"{m.badge:#x}", "what": m.label}
        if m.flags & model.FASTPATH:
            args["fastpath"] = True
        if m.kind == "ipc":
            args["bytes"] = trace.message_bytes.get(index, 0)
        ev.append({"ph": "s", **src, "ts": us(trace, m.sent), "id": m.id, "name": name, "cat": cat, "args": args})
        ev.append({"ph": "f", "bp": "e", **dst, "ts": us(trace, m.received), "id": m.id, "name": name, "cat": cat})
    for i in trace.instants:
        where = tracks.thread(i.thread) if i.thread in tracks.pid else tracks.hart(i.hart) if i.hart is not None \
            else None
        if where is None:
            continue
        ev.append({"ph": "i", "s": "t", **where, "ts": us(trace, i.time), "name": i.name, "cat": "event",
                   "args": {k: (f"{v:#x}" if isinstance(v, int) and k in ("bits",) else v) for k, v in i.args.items()}})
    for c in trace.counters:
        if c.thread not in tracks.pid:
            continue
        ev.append({"ph": "C", "pid": tracks.pid[c.thread], "ts": us(trace, c.time), "name": f"ring {c.ring}",
                   "args": {"entries": c.value}})
    return tracks.meta, ev


def nest(slices):
    """The slices of one track, each cut to end inside the slice it starts in (so they nest)."""
    out = []
    stack = []
    for s in sorted(slices, key=lambda s: (s.start, -(s.end - s.start))):
        while stack and stack[-1].end <= s.start:
            stack.pop()
        if stack and s.end > stack[-1].end:
            s = s._replace(end=stack[-1].end)
        out.append(s)
        stack.append(s)
    return out


def write(trace, path, max_events=200000):
    meta, ev = events(trace)
    ev.sort(key=lambda e: (e["ts"], -e.get("dur", 0)))
    note = f"{len(ev)} events"
    dropped = 0
    if len(ev) > max_events:
        dropped = len(ev) - max_events
        ev = ev[:max_events]
        # A flow whose other end fell off would dangle: drop those halves too.
        starts = {e["id"] for e in ev if e["ph"] == "s"}
        ends = {e["id"] for e in ev if e["ph"] == "f"}
        ev = [e for e in ev if e["ph"] not in ("s", "f") or (e["id"] in starts and e["id"] in ends)]
        note = f"{len(ev)} events, the first of {len(ev) + dropped}"
    out = {"traceEvents": meta + ev, "displayTimeUnit": "ns",
           "otherData": {"clock": "instret under QEMU -icount shift=0: 1 instruction = 1 ns",
                         "kernel_records_lost": trace.lost_kernel(), "user_records_lost": trace.lost_user(),
                         "events_left_out": dropped, "stopped": trace.stopped}}
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    return note
