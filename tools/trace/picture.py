"""The timeline as a self-contained picture (SVG, and PNG through rsvg-convert).

One lane per thread, grouped by component, and one per hart above them.
A lane is coloured where its thread runs: its component's colour for user
code, dark for the kernel working for it; a hart lane shows what the hart
ran (idle left blank).  Arrows go from where a message was sent to where
its receiver next ran: IPC calls blue, replies teal, signals orange,
tokens red; small marks show ring publishes and releases (purple), faults
(red crosses) and SEL_TRACE points (black diamonds).  The time axis is in
microseconds of machine time and in instructions (1 ns each under
-icount shift=0), from the window's start.

The window is where the system is busy: from the first time a component
(not the loader) runs to its last message or user event, unless given.
"""
import html
import shutil
import subprocess

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#e15759",
           "#bab0ac"]
KERNEL = "#2f3542"
ARROWS = {"call": "#1f5fbf", "reply": "#138d90", "send": "#1f5fbf", "fault": "#c0392b", "signal": "#e67e22",
          "token": "#d62728"}
WIDTH = 1500
LABELS = 170
LANE = 24
GAP = 6


def window_of(trace):
    comps = {t.id for t in trace.threads.values() if t.component != "loader" and t.name}
    starts = [s.start for s in trace.segments if s.thread in comps and s.mode == "user"]
    if not starts:
        return trace.start, trace.end
    start = min(starts)
    last = [m.received or m.sent for m in trace.messages if m.sender in comps or m.receiver in comps]
    last += [i.time for i in trace.instants if i.thread in comps and i.hart is None]
    last += [s.end for s in trace.loop_slices if s.thread in comps and s.name != "turn (nothing to do)"]
    end = max(last) if last else trace.end
    pad = max((end - start) // 40, 200)
    return max(trace.start, start - pad), min(trace.end, end + pad)


def nice_step(span, target=10):
    raw = span / target
    step = 1
    while step * 10 <= raw:
        step *= 10
    for m in (1, 2, 5, 10):
        if step * m >= raw:
            return step * m
    return step * 10


def write(trace, path, window=None):
    if window:
        w0, w1 = trace.start + int(window[0] * 1000), trace.start + int(window[1] * 1000)
    else:
        w0, w1 = window_of(trace)
    span = max(w1 - w0, 1)
    plot = WIDTH - LABELS - 20

    def x(t):
        return LABELS + (min(max(t, w0), w1) - w0) * plot / span

    lanes = []   # (key, label, colour)
    for h in range(len(trace.harts)):
        lanes.append((("hart", h), f"hart {h}", None))
    comps = trace.components()
    colour = {}
    for i, (comp, threads) in enumerate(comps.items()):
        colour[comp] = PALETTE[i % len(PALETTE)]
        for t in threads:
            lanes.append((("thread", t.id), t.label if len(threads) > 1 or t.label == comp else f"{comp}: {t.label}",
                          colour[comp]))
    y = {}
    top = 58
    for i, (key, _, _) in enumerate(lanes):
        y[key] = top + i * (LANE + GAP) + (12 if key[0] == "thread" else 0)
    height = top + len(lanes) * (LANE + GAP) + 12 + 90

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           '<defs>']
    for name, c in ARROWS.items():
        out.append(f'<marker id="a-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
                   f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>')
    out.append('</defs><rect width="100%" height="100%" fill="white"/>')
    title = (f"{trace.spec['system'] if trace.spec else 'trace'}: {span / 1000:.1f} µs of machine time "
             f"({span:,} instructions, 1 ns each), from {(w0 - trace.start) / 1e6:.3f} ms into the trace")
    out.append(f'<text x="10" y="22" font-size="16" font-weight="bold">{html.escape(title)}</text>')

    # lane backgrounds and labels
    for key, label, c in lanes:
        yy = y[key]
        out.append(f'<rect x="{LABELS}" y="{yy}" width="{plot}" height="{LANE}" fill="#f4f5f7"/>')
        out.append(f'<text x="{LABELS - 8}" y="{yy + LANE / 2 + 4}" text-anchor="end">{html.escape(label)}</text>')

    def bar(key, start, end, fill, inset=0):
        if end < w0 or start > w1:
            return
        x0, x1 = x(start), x(end)
        width = max(x1 - x0, 0.6)
        out.append(f'<rect x="{x0:.2f}" y="{y[key] + inset}" width="{width:.2f}" height="{LANE - 2 * inset}" '
                   f'fill="{fill}"/>')

    # what each hart ran, and each thread's running time (user in its colour, kernel dark)
    for seg in trace.segments:
        if seg.end < w0 or seg.start > w1:
            continue
        if seg.mode == "idle" and seg.thread is None:
            continue
        comp = trace.thread(seg.thread).component if seg.thread else None
        fill = KERNEL if seg.mode == "kernel" else ("#c8ccd2" if seg.mode == "idle" else colour.get(comp, "#999"))
        bar(("hart", seg.hart), seg.start, seg.end, fill, inset=3)
        if seg.thread and ("thread", seg.thread) in y:
            bar(("thread", seg.thread), seg.start, seg.end, fill)

    # loop turns that ran something: a thin band along the bottom of the lane
    for s in trace.loop_slices:
        key = ("thread", s.thread)
        if key in y and s.name != "turn (nothing to do)" and s.end >= w0 and s.start <= w1:
            x0, x1 = x(s.start), x(s.end)
            out.append(f'<rect x="{x0:.2f}" y="{y[key] + LANE - 3}" width="{max(x1 - x0, 0.6):.2f}" height="3" '
                       f'fill="#111" fill-opacity="0.55"/>')

    # marks
    for i in trace.instants:
        if not (w0 <= i.time <= w1):
            continue
        key = ("thread", i.thread)
        if key not in y:
            continue
        xx, yy = x(i.time), y[key]
        if i.name.startswith("ring "):
            up = i.name == "ring publish"
            tip, base = (yy + 2, yy + 9) if up else (yy + LANE - 2, yy + LANE - 9)
            out.append(f'<path d="M{xx:.2f},{tip} L{xx - 4:.2f},{base} L{xx + 4:.2f},{base} z" fill="#8e44ad"/>')
        elif i.name == "fault":
            out.append(f'<path d="M{xx - 5:.2f},{yy + 7} l10,10 m0,-10 l-10,10" stroke="#c0392b" stroke-width="2.5"/>')
        elif i.hart is None and not i.name.startswith("ring"):
            out.append(f'<path d="M{xx:.2f},{yy + 4} l5,8 l-5,8 l-5,-8 z" fill="black"><title>'
                       f'{html.escape(str(i.name))} = {i.args.get("value")}</title></path>')

    # arrows
    for m in trace.messages:
        if m.received is None or not (w0 <= m.sent <= w1 or w0 <= m.received <= w1):
            continue
        src = ("thread", m.sender) if ("thread", m.sender) in y else ("hart", m.hart)
        dst = ("thread", m.receiver)
        if dst not in y or src not in y:
            continue
        kind = m.kind if m.kind != "ipc" else m.label
        c = ARROWS.get(kind, "#1f5fbf")
        x0, x1 = x(m.sent), x(m.received)
        y0 = y[src] + LANE / 2
        y1 = y[dst] + (2 if y[dst] > y[src] else LANE - 2)
        dash = ' stroke-dasharray="4,3"' if m.kind != "ipc" else ""
        out.append(f'<path d="M{x0:.2f},{y0:.1f} L{max(x1, x0 + 1):.2f},{y1:.1f}" stroke="{c}" stroke-width="1.6" '
                   f'fill="none"{dash} marker-end="url(#a-{kind if kind in ARROWS else "call"})">'
                   f'<title>{html.escape(trace.connection(m))}</title></path>')

    # time axis: microseconds above, instructions below
    axis = top + len(lanes) * (LANE + GAP) + 18
    out.append(f'<line x1="{LABELS}" y1="{axis}" x2="{LABELS + plot}" y2="{axis}" stroke="black"/>')
    step = nice_step(span)
    t = 0
    while t <= span:
        xx = LABELS + t * plot / span
        out.append(f'<line x1="{xx:.2f}" y1="{axis}" x2="{xx:.2f}" y2="{axis + 5}" stroke="black"/>')
        out.append(f'<text x="{xx:.2f}" y="{axis + 18}" text-anchor="middle">{t / 1000:g} µs</text>')
        out.append(f'<text x="{xx:.2f}" y="{axis + 32}" text-anchor="middle" fill="#666" font-size="10">'
                   f'{t:,}</text>')
        t += step
    out.append(f'<text x="{LABELS - 24}" y="{axis + 18}" text-anchor="end">time</text>')
    out.append(f'<text x="{LABELS - 24}" y="{axis + 32}" text-anchor="end" fill="#666" font-size="10">'
               f'instructions</text>')

    # legend
    ly = axis + 52
    items = [("box", KERNEL, "kernel"), ("box", "#c8ccd2", "wfi")] + \
            [("box", colour[c], f"{c} (user)") for c in comps] + \
            [("line", ARROWS["call"], "IPC call"), ("line", ARROWS["reply"], "reply"),
             ("dash", ARROWS["signal"], "signal"), ("dash", ARROWS["token"], "token"),
             ("cross", ARROWS["fault"], "fault, and its message"),
             ("tri", "#8e44ad", "ring publish / release"), ("diamond", "black", "SEL_TRACE"),
             ("bar", "#555", "loop turn")]
    lx = LABELS
    for shape, c, label in items:
        if shape == "box":
            out.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="12" fill="{c}"/>')
        elif shape in ("line", "dash"):
            dash = ' stroke-dasharray="4,3"' if shape == "dash" else ""
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" y2="{ly - 4}" stroke="{c}" stroke-width="2"'
                       f'{dash}/>')
        elif shape == "tri":
            out.append(f'<path d="M{lx + 7},{ly - 11} l-5,8 l10,0 z" fill="{c}"/>')
        elif shape == "diamond":
            out.append(f'<path d="M{lx + 7},{ly - 12} l5,7 l-5,7 l-5,-7 z" fill="{c}"/>')
        elif shape == "cross":
            out.append(f'<path d="M{lx + 3},{ly - 11} l10,10 m0,-10 l-10,10" stroke="{c}" stroke-width="2.5"/>')
        elif shape == "bar":
            out.append(f'<rect x="{lx}" y="{ly - 6}" width="16" height="3" fill="{c}"/>')
        out.append(f'<text x="{lx + 20}" y="{ly}">{html.escape(label)}</text>')
        lx += 28 + 7 * len(label)
        if lx > WIDTH - 150:
            lx = LABELS
            ly += 18
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def to_png(svg, png):
    """The PNG beside the SVG, through rsvg-convert (librsvg2-bin); None if it is not installed."""
    tool = shutil.which("rsvg-convert")
    if not tool:
        return None
    subprocess.run([tool, "-o", png, svg], check=True)
    return png
