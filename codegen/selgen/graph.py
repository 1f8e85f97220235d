"""The system as a Graphviz graph: components as boxes, connections as labelled arrows by kind."""
import os
import shutil
import subprocess

from .generate import write_if_changed

STYLE = {
    "rpc": 'color="#1f5fa8", fontcolor="#1f5fa8"',
    "event": 'color="#b35900", fontcolor="#b35900", style=dashed',
    "dataport": 'color="#2d7a2d", fontcolor="#2d7a2d", dir=both, arrowhead=none, arrowtail=none, penwidth=2',
    "ring": 'color="#7a2d7a", fontcolor="#7a2d7a", penwidth=2',
}


def dot(system):
    lines = [f'digraph "{system.name}" {{', '    rankdir=LR;',
             '    node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica"];',
             '    edge [fontname="Helvetica", fontsize=10];']
    grouped = set()
    for i, group in enumerate(system.groups):
        lines.append(f'    subgraph cluster_{i} {{ label="group {group.name} (one address space)"; style=dashed;')
        for inst in group.members:
            lines.append(f'        "{inst.name}";')
            grouped.add(inst.name)
        lines.append("    }")
    for inst in system.instances:
        devices = "".join(f"\\n[{d.dt.name}]" for d in inst.devices)
        lines.append(f'    "{inst.name}" [label="{inst.name}\\n{inst.type.name if inst.type else "?"} · '
                     f'prio {inst.priority} · hart {inst.hart}{devices}"];')
    for conn in system.connections:
        label = conn.kind
        if conn.interface:
            label += f" {conn.interface.name}"
        if conn.kind == "dataport":
            label += f" {conn.size} B"
        if conn.kind == "ring":
            label += f" ×{conn.entries}"
        label += f"\\n{conn.from_port.name} → {conn.to_port.name}"
        lines.append(f'    "{conn.from_inst.name}" -> "{conn.to_inst.name}" [label="{label}", {STYLE[conn.kind]}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(system, out_dir):
    path = os.path.join(out_dir, f"{system.name}.dot")
    write_if_changed(path, dot(system))
    written = [path]
    if shutil.which("dot"):
        for fmt in ("svg", "png"):
            target = os.path.join(out_dir, f"{system.name}.{fmt}")
            subprocess.run(["dot", f"-T{fmt}", path, "-o", target], check=True)
            written.append(target)
    else:
        print("codegen: Graphviz is not installed (apt-get install graphviz); wrote only the DOT file")
    return written
