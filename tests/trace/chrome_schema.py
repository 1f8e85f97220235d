"""A schema check of a Chrome / Perfetto JSON trace, as tools/trace writes it (../shared/REFERENCE.md, "Tracing").

problems(trace) returns a list of sentences, empty if the trace holds:
  * every event has the fields its phase requires, of the right types;
  * X slices nest on each track (pid, tid): each lies inside the one it starts in, or after it;
  * every flow start (s) has exactly one end (f) with its id and category, no earlier than it, and both
    lie in a slice of their track (which is what the viewer draws the arrow between);
  * counters carry numbers; metadata names processes and threads.
"""

REQUIRED = {
    "X": {"name": str, "cat": str, "ts": (int, float), "dur": (int, float), "pid": int, "tid": int},
    "i": {"name": str, "ts": (int, float), "pid": int, "tid": int, "s": str},
    "C": {"name": str, "ts": (int, float), "pid": int, "args": dict},
    "s": {"name": str, "cat": str, "ts": (int, float), "pid": int, "tid": int, "id": int},
    "f": {"name": str, "cat": str, "ts": (int, float), "pid": int, "tid": int, "id": int},
    "M": {"name": str, "pid": int, "args": dict},
}
METADATA = {"process_name", "thread_name", "process_sort_index", "thread_sort_index"}
EPSILON = 1e-6


def problems(trace):
    out = []
    events = trace.get("traceEvents") if isinstance(trace, dict) else trace
    if not isinstance(events, list):
        return ["the trace is neither an array of events nor an object with traceEvents"]
    slices = {}
    flows = {}
    for n, e in enumerate(events):
        ph = e.get("ph")
        if ph not in REQUIRED:
            out.append(f"event {n}: phase {ph!r} is not one this trace uses")
            continue
        valid = True
        for field, kind in REQUIRED[ph].items():
            if field not in e:
                out.append(f"event {n} ({ph} {e.get('name')!r}): no {field}")
                valid = False
            elif not isinstance(e[field], kind) or isinstance(e[field], bool):
                out.append(f"event {n} ({ph} {e.get('name')!r}): {field} is {e[field]!r}")
                valid = False
        if not valid:
            continue
        if ph == "X" and isinstance(e.get("dur"), (int, float)) and e["dur"] < 0:
            out.append(f"event {n} (X {e.get('name')!r}): negative dur {e['dur']}")
        if ph == "i" and e.get("s") not in ("t", "p", "g"):
            out.append(f"event {n} (i {e.get('name')!r}): scope {e.get('s')!r}")
        if ph == "C" and isinstance(e.get("args"), dict):
            if not e["args"] or not all(isinstance(v, (int, float)) for v in e["args"].values()):
                out.append(f"event {n} (C {e.get('name')!r}): args {e['args']!r} are not numbers")
        if ph == "M" and e.get("name") not in METADATA:
            out.append(f"event {n}: metadata {e.get('name')!r}")
        if ph == "M" and e.get("name") in ("process_name", "thread_name") and \
                not isinstance(e.get("args", {}).get("name"), str):
            out.append(f"event {n}: {e.get('name')} without a name")
        if ph == "X":
            slices.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
        if ph in ("s", "f") and isinstance(e.get("id"), int):
            flows.setdefault(e["id"], []).append(e)
    for track, spans in slices.items():
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        stack = []
        for start, end, name in spans:
            while stack and stack[-1][1] <= start + EPSILON:
                stack.pop()
            if stack and end > stack[-1][1] + EPSILON:
                out.append(f"track {track}: {name!r} [{start}, {end}] crosses the end of {stack[-1][2]!r} "
                           f"[{stack[-1][0]}, {stack[-1][1]}]")
                continue
            stack.append((start, end, name))

    def inside(e):
        return any(s - EPSILON <= e["ts"] <= t + EPSILON for s, t, _ in slices.get((e["pid"], e["tid"]), []))
    for fid, pair in flows.items():
        phases = sorted(e["ph"] for e in pair)
        if phases != ["f", "s"]:
            out.append(f"flow {fid}: {phases} (a start needs exactly one end)")
            continue
        start = next(e for e in pair if e["ph"] == "s")
        end = next(e for e in pair if e["ph"] == "f")
        if start.get("cat") != end.get("cat"):
            out.append(f"flow {fid}: its ends are of categories {start.get('cat')!r} and {end.get('cat')!r}")
        if end["ts"] + EPSILON < start["ts"]:
            out.append(f"flow {fid}: it ends at {end['ts']}, before it starts at {start['ts']}")
        for e in (start, end):
            if not inside(e):
                out.append(f"flow {fid}: its {e['ph']} at {e['ts']} on track ({e['pid']}, {e['tid']}) is in no slice")
    return out
