"""Renders the generated files from the model and layout with the Jinja2
templates in codegen/templates/.  The C fragments that depend on types
(signatures, marshalling) are built here; the templates lay out the files.
"""
import json
import os

import jinja2

from . import machine as machine_mod
from .console import CLIENT_PORT
from .layout import ALL_RIGHTS, RPC_BADGE
from .system_info import LOADER_PORT

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
OBJECT_C = {"tcb": "SPEC_TCB", "endpoint": "SPEC_ENDPOINT", "notification": "SPEC_NOTIFICATION",
            "cnode": "SPEC_CNODE", "vspace": "SPEC_VSPACE", "frame": "SPEC_FRAME", "device_frame": "SPEC_DEVICE_FRAME",
            "user_interrupt": "SPEC_USER_INTERRUPT"}


def env():
    e = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                           trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    e.filters["hex"] = lambda v: f"{v:#x}"
    e.filters["cstr"] = lambda s: json.dumps(s)
    e.filters["upper_id"] = lambda s: s.upper().replace(".", "_").replace(" ", "_")
    return e


def write_if_changed(path, text):
    """Writes only when the content changes, so make rebuilds only what changed."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return True


# ---- C for interface types ---------------------------------------------------------

def ctype(t):
    return t.element.ctype if t.kind == "array" else t.ctype


def is_signed(t):
    return t.kind == "scalar" and t.name.startswith("int")


def decl(t, name):
    if t.kind == "array":
        return f"{t.element.ctype} {name}[{t.count}]"
    return f"{t.ctype} {name}"


def param_decls(proc):
    """The C parameter list, the same for the client's stub and the server's handler."""
    parts = []
    for p in proc.params:
        t = p.type
        if t.kind == "buffer":
            if p.dir == "in":
                parts.append(f"const void *{p.name}, size_t {p.name}_len")
            else:
                parts.append(f"void *{p.name}, size_t {p.name}_cap, size_t *{p.name}_len")
        elif t.kind == "array":
            parts.append(("const " if p.dir == "in" else "") + decl(t, p.name))
        elif p.dir == "in":
            parts.append(decl(t, p.name))
        else:
            parts.append(f"{t.ctype} *{p.name}")
    return ", ".join(parts) if parts else "void"


def returns_c(proc):
    return proc.returns.ctype if proc.returns else "void"


def _put(expr, t, by_pointer=False):
    """Statements that append a value to the message."""
    if t.kind in ("scalar", "enum"):
        value = f"*{expr}" if by_pointer else expr
        cast = "(sel_word_t)(int64_t)" if is_signed(t) else "(sel_word_t)"
        return [f"sel_set_mr(glue_mr++, {cast}({value}));"]
    if t.kind == "array":
        return [f"sel_glue_put(&glue_mr, {expr}, sizeof({t.element.ctype}) * {t.count});"]
    target = expr if by_pointer else f"&{expr}"
    return [f"sel_glue_put(&glue_mr, {target}, sizeof({t.ctype}));"]


def _get(target, t):
    """Statements that take a value from the message into target (an lvalue, or an array)."""
    if t.kind in ("scalar", "enum"):
        if t.ctype == "bool":
            return [f"{target} = sel_get_mr(glue_mr++) != 0;"]
        return [f"{target} = ({t.ctype})sel_get_mr(glue_mr++);"]
    if t.kind == "array":
        return [f"sel_glue_get(&glue_mr, {target}, sizeof({t.element.ctype}) * {t.count});"]
    return [f"sel_glue_get(&glue_mr, &{target}, sizeof({t.ctype}));"]


def client_body(port, proc, slot, buffer):
    """The client stub's statements."""
    lines = ["unsigned glue_mr = 0;"]
    if proc.uses_buffer:
        lines.append("size_t glue_offset = 0;")
    room = f"{buffer['size']}u - glue_offset"
    # In the order of the parameters, as the server decodes them (server_case).
    for p in proc.params:
        if p.type.kind == "buffer" and p.dir == "in":
            lines += [f"if ({p.name}_len > {room})",
                      f"    sel_glue_fatal(\"rpc {port}.{proc.name}: '{p.name}' is %lu bytes; the connection's buffer "
                      f"has %lu left\", (unsigned long){p.name}_len, (unsigned long)({room}));",
                      f"memcpy((char *){buffer['vaddr']:#x}ul + glue_offset, {p.name}, {p.name}_len);",
                      "sel_set_mr(glue_mr++, glue_offset);", f"sel_set_mr(glue_mr++, {p.name}_len);",
                      f"glue_offset += ({p.name}_len + 7) & ~(size_t)7;"]
        elif p.type.kind == "buffer":
            # out: room for the answer; inout: the bytes to send (*len of them), then the same room back.
            if p.dir == "inout":
                lines += [f"if (*{p.name}_len > {p.name}_cap || *{p.name}_len > {room})",
                          f"    sel_glue_fatal(\"rpc {port}.{proc.name}: '{p.name}' is %lu bytes, for %lu of room and "
                          f"%lu left in the connection's buffer\", (unsigned long)*{p.name}_len, "
                          f"(unsigned long){p.name}_cap, (unsigned long)({room}));"]
            lines += [f"size_t glue_{p.name}_offset = glue_offset;",
                      f"if ({p.name}_cap > {room})",
                      f"    {p.name}_cap = {room};"]
            if p.dir == "inout":
                lines += [f"memcpy((char *){buffer['vaddr']:#x}ul + glue_offset, {p.name}, *{p.name}_len);",
                          "sel_set_mr(glue_mr++, glue_offset);", f"sel_set_mr(glue_mr++, *{p.name}_len);"]
            else:
                lines.append("sel_set_mr(glue_mr++, glue_offset);")
            lines += [f"sel_set_mr(glue_mr++, {p.name}_cap);", f"glue_offset += ({p.name}_cap + 7) & ~(size_t)7;"]
        elif p.dir in ("in", "inout"):
            lines += _put(p.name, p.type, by_pointer=p.dir == "inout" and p.type.kind != "array")
    lines += [f"sel_msginfo_t glue_info = sel_call({slot}, sel_msginfo_new({proc.index + 1}, 0, 0, glue_mr));",
              "if (sel_msginfo_label(glue_info) != 0)",
              f"    sel_glue_fatal(\"rpc {port}.{proc.name}: the server refused the request (error %lu)\", "
              "(unsigned long)sel_msginfo_label(glue_info));",
              "glue_mr = 0;"]
    if proc.returns:
        lines.append(f"{proc.returns.ctype} glue_result;")
        lines += _get("glue_result", proc.returns)
    for p in proc.outs:
        if p.type.kind == "buffer":
            lines += [f"size_t glue_{p.name}_n = sel_get_mr(glue_mr++);",
                      f"if (glue_{p.name}_n > {p.name}_cap)",
                      f"    sel_glue_fatal(\"rpc {port}.{proc.name}: the server returned %lu bytes of '{p.name}' for "
                      f"%lu of room\", (unsigned long)glue_{p.name}_n, (unsigned long){p.name}_cap);",
                      f"memcpy({p.name}, (char *){buffer['vaddr']:#x}ul + glue_{p.name}_offset, glue_{p.name}_n);",
                      f"*{p.name}_len = glue_{p.name}_n;"]
        elif p.type.kind == "array":
            lines += _get(p.name, p.type)
        else:
            lines += _get(f"*{p.name}", p.type)
    if proc.returns:
        lines.append("return glue_result;")
    return lines


def server_case(port, proc, buffer_vaddr, buffer_size):
    """Statements that decode a request, call the handler and encode the reply; `return` gives the reply tag."""
    # A request of no words cannot be too short (and `length < 0` would not compile under -Werror).
    lines = [f"if (sel_msginfo_length(glue_info) < {proc.request_words()})",
             f"    return glue_bad_request(\"{port}.{proc.name}\", \"the message is too short\");",
             ] if proc.request_words() else []
    lines.append("unsigned glue_mr = 0;")
    args = []
    for p in proc.params:
        t = p.type
        if t.kind == "buffer":
            # As client_body sends them: in (offset, len); out (offset, cap); inout (offset, len, cap).
            if p.dir == "in":
                lines += [f"sel_word_t glue_{p.name}_offset = sel_get_mr(glue_mr++), {p.name}_len = sel_get_mr(glue_mr++);",
                          f"if (glue_{p.name}_offset > {buffer_size}u || {p.name}_len > {buffer_size}u - glue_{p.name}_offset)",
                          f"    return glue_bad_request(\"{port}.{proc.name}\", \"'{p.name}' lies outside the buffer\");"]
                args += [f"(const void *)({buffer_vaddr:#x}ul + glue_{p.name}_offset)", f"{p.name}_len"]
            else:
                sent = "sel_get_mr(glue_mr++)" if p.dir == "inout" else "0"
                lines += [f"sel_word_t glue_{p.name}_offset = sel_get_mr(glue_mr++);",
                          f"size_t {p.name}_len = {sent};",
                          f"sel_word_t {p.name}_cap = sel_get_mr(glue_mr++);",
                          f"if (glue_{p.name}_offset > {buffer_size}u || {p.name}_cap > {buffer_size}u - glue_{p.name}_offset)",
                          f"    return glue_bad_request(\"{port}.{proc.name}\", \"'{p.name}' lies outside the buffer\");"]
                if p.dir == "inout":
                    lines += [f"if ({p.name}_len > {p.name}_cap)",
                              f"    return glue_bad_request(\"{port}.{proc.name}\", \"'{p.name}' is longer than its room\");"]
                args += [f"(void *)({buffer_vaddr:#x}ul + glue_{p.name}_offset)", f"{p.name}_cap", f"&{p.name}_len"]
            continue
        if t.kind == "array":
            lines.append(f"{decl(t, p.name)};")
            if p.dir == "out":
                lines.append(f"memset({p.name}, 0, sizeof({p.name}));")
            else:
                lines += _get(p.name, t)
            args.append(p.name)
            continue
        lines.append(f"{t.ctype} {p.name};")
        if p.dir == "out":
            lines.append(f"memset(&{p.name}, 0, sizeof({p.name}));")
        else:
            lines += _get(p.name, t)
            if t.kind == "enum":
                lines += [f"if ((uint64_t){p.name} >= {len(t.values)})",
                          f"    return glue_bad_request(\"{port}.{proc.name}\", \"'{p.name}' is not a {t.name}\");"]
        args.append(p.name if p.dir == "in" else f"&{p.name}")
    call = f"{port}_{proc.name}({', '.join(args)})"
    if proc.returns:
        lines.append(f"{proc.returns.ctype} glue_result = {call};")
    else:
        lines.append(f"{call};")
    lines.append("glue_mr = 0;")
    if proc.returns:
        lines += _put("glue_result", proc.returns)
    for p in proc.outs:
        if p.type.kind == "buffer":
            lines += [f"if ({p.name}_len > {p.name}_cap)",
                      f"    {p.name}_len = {p.name}_cap;",
                      f"sel_set_mr(glue_mr++, {p.name}_len);"]
        else:
            lines += _put(p.name, p.type)
    lines.append("return sel_msginfo_new(0, 0, 0, glue_mr);")
    return lines


def type_decls(interfaces):
    """C declarations of the interfaces' enums and structs, each guarded so glue can include several."""
    out = []
    for iface in sorted(interfaces, key=lambda i: i.name):
        for t in iface.types.values():
            guard = f"GLUE_TYPE_{t.ctype.upper()}"
            out.append(f"#ifndef {guard}")
            out.append(f"#define {guard}")
            if t.kind == "enum":
                values = ", ".join(f"{iface.name.upper()}_{t.name.upper()}_{v.upper()}" for v in t.values)
                out.append(f"typedef enum {{ {values} }} {t.ctype};")
            else:
                out.append("typedef struct {")
                for fname, ftype, _ in t.fields:
                    out.append(f"    {decl(ftype, fname)};")
                out.append(f"}} {t.ctype};")
                out.append(f"_Static_assert(sizeof({t.ctype}) == {t.size}, \"{t.ctype} has the layout codegen "
                           "computed\");")
            out.append("#endif")
    return out


# ---- files -------------------------------------------------------------------------

def required_symbols(ctype_, provides, root_dir):
    """What the component's sources must define, each with the message the link gives if they do not
    (link.ld.j2 asserts them; the glue declares them weak, so the link gets that far): the handler of
    every procedure of a provided rpc port, and run() of a control component."""
    sources = ", ".join(os.path.relpath(s, root_dir) for s in ctype_.sources)
    required = []
    for port in provides:
        node = ctype_.ports[port["port"]].node
        for h in port["handlers"]:
            symbol = f"{port['port']}_{h['name']}"
            required.append((symbol, f"{ctype_.file}:{node.line}:{node.col}: component '{ctype_.name}' provides "
                                     f"port '{port['port']}' (interface {port['interface']}), but its sources "
                                     f"({sources}) do not define the handler of procedure '{h['name']}': write "
                                     f"{h['returns']} {symbol}({h['params']})"))
    if ctype_.control:
        required.append(("run", f"{ctype_.file}: component '{ctype_.name}' is a control component "
                                f"(control: true), but its sources ({sources}) do not define int run(void)"))
    return [] if ctype_.default_handlers else required


def component_context(spec, comp, system, root_dir):
    inst, ctype_ = comp.inst, comp.inst.type
    interfaces = {p.interface.name: p.interface for p in ctype_.ports.values() if p.interface}
    uses = []
    for entry in comp.glue["rpc_uses"]:
        buf = {"vaddr": entry["buffer"], "size": entry["buffer_size"]}
        procs = [{"name": p.name, "returns": returns_c(p), "params": param_decls(p),
                  "body": client_body(entry["port"], p, entry["slot"], buf)} for p in entry["interface"].procedures]
        uses.append({"port": entry["port"], "interface": entry["interface"].name, "procedures": procs})
    provides = {}
    for entry in comp.glue["rpc_provides"]:
        port = provides.setdefault(entry["port"], {"port": entry["port"], "interface": entry["interface"].name,
                                                   "index": entry["port_index"], "clients": [],
                                                   "procedures": entry["interface"].procedures})
        port["clients"].append(entry)
    # Provided ports with no clients still need their handlers declared.
    for p in ctype_.ports.values():
        if p.kind == "provides" and p.interface and p.interface.kind == "rpc" and p.name not in provides:
            names = sorted(q.name for q in ctype_.ports.values() if q.kind == "provides")
            provides[p.name] = {"port": p.name, "interface": p.interface.name, "index": names.index(p.name),
                                "clients": [], "procedures": p.interface.procedures}
    for port in provides.values():
        port["handlers"] = [{"name": pr.name, "returns": returns_c(pr), "params": param_decls(pr)}
                            for pr in port["procedures"]]
        port["cases"] = []
        for client in port["clients"]:
            port["cases"].append({
                "client": client["client"], "client_name": client["client_name"],
                "procedures": [{"index": pr.index, "name": pr.name,
                                "body": server_case(port["port"], pr, client["buffer"] or 0, client["buffer_size"])}
                               for pr in port["procedures"]]})
    consumed = {}
    for port in ctype_.ports.values():
        if port.kind == "consumes":
            events = port.interface.events if port.interface else [None]
            bits = {e: comp.notification_bits.get(f"event {port.name}" + (f".{e}" if e else "")) for e in events}
            consumed[port.name] = {"port": port.name, "bits": bits, "events": events,
                                   "connected": any(b is not None for b in bits.values())}
    emits = {}
    for entry in comp.glue["emits"]:
        emits.setdefault(entry["port"], {"port": entry["port"], "events": entry["events"], "targets": []})
        emits[entry["port"]]["targets"].append(entry)
    for port in ctype_.ports.values():
        if port.kind == "emits" and port.name not in emits:
            events = port.interface.events if port.interface else [None]
            emits[port.name] = {"port": port.name, "events": events, "targets": []}
    rings = []
    for r in comp.glue["rings"]:
        iface = r["interface"]
        rings.append(dict(r, request=iface.ring_request.ctype, response=iface.ring_response.ctype,
                          request_size=iface.ring_request.size, response_size=iface.ring_response.size))
    connected_uses = {u["port"] for u in uses}
    optional = [{"port": name, "connected": name in connected_uses,
                 "procedures": [{"name": p.name, "returns": returns_c(p), "params": param_decls(p)}
                                for p in ctype_.ports[name].interface.procedures]}
                for name in sorted(ctype_.optional)]
    console_ring = next((r for r in comp.glue["rings"] if r["port"] == CLIENT_PORT and r["role"] == "client"), None)
    console_client = {"drop": inst.console_drop, "entries": console_ring["entries"]} if console_ring else None
    return {
        "console_client": console_client,
        "optional": optional,
        "required": required_symbols(ctype_, provides.values(), root_dir),
        "system": system, "comp": comp, "inst": inst, "ctype": ctype_, "slots": comp.slots,
        "control": ctype_.control, "dispatch": comp.dispatch, "has_endpoint": comp.endpoint is not None,
        "has_server_thread": len(comp.threads) > 1, "runs_loop": comp.runs_loop, "alarm_bit": comp.alarm_bit,
        "type_decls": type_decls(interfaces.values()), "uses": uses, "provides": list(provides.values()),
        "consumes": list(consumed.values()), "emits": list(emits.values()), "dataports": comp.glue["dataports"],
        "rings": rings, "devices": comp.glue["devices"], "dma": comp.glue["dma"], "rpc_badge": RPC_BADGE,
        "notification_bits": comp.notification_bits, "default_handlers": ctype_.default_handlers,
    }


def emit_loader_rpc(system, spec, emit, rel_system):
    """The loader's side of its rpc port (system_info.py), always: with no clients it refuses every badge."""
    iface = system.loader.type.ports[LOADER_PORT].interface if system.loader else None
    if iface is None:
        emit("loader/loader_rpc.h", "loader_rpc.h.j2", source=rel_system, port=LOADER_PORT,
             interface=type("NoInterface", (), {"name": "none"}), clients=[], type_decls=[], handlers=[])
        emit("loader/loader_rpc.c", "loader_rpc.c.j2", source=rel_system, port=LOADER_PORT, clients=[],
             procedures=[])
        return
    handlers = [{"name": p.name, "returns": returns_c(p), "params": param_decls(p)} for p in iface.procedures]
    procedures = [{"index": p.index, "name": p.name, "body": server_case(LOADER_PORT, p, 0, 0)}
                  for p in iface.procedures]
    emit("loader/loader_rpc.h", "loader_rpc.h.j2", source=rel_system, port=LOADER_PORT, interface=iface,
         clients=spec.loader_clients, type_decls=type_decls([iface]), handlers=handlers)
    emit("loader/loader_rpc.c", "loader_rpc.c.j2", source=rel_system, port=LOADER_PORT,
         clients=spec.loader_clients, procedures=procedures)


def generate(system, spec, out_dir, root_dir, system_path):
    e = env()
    written = []
    rel_system = os.path.relpath(system_path, root_dir)

    def emit(rel, template, **ctx):
        text = e.get_template(template).render(**ctx)
        path = os.path.join(out_dir, rel)
        if write_if_changed(path, text):
            written.append(path)

    for comp in spec.components:
        ctx = component_context(spec, comp, system, root_dir)
        ctx["source"] = rel_system
        emit(f"components/{comp.name}/component.h", "component.h.j2", **ctx)
        emit(f"components/{comp.name}/component.c", "component.c.j2", **ctx)
        emit(f"components/{comp.name}/link.ld", "link.ld.j2", **ctx)

    emit_loader_rpc(system, spec, emit, rel_system)

    objects = [{"type": OBJECT_C[o.type], "size_bits": o.size_bits, "paddr": o.paddr, "name": o.name}
               for o in spec.objects]
    component_index = {c.name: c.index for c in spec.components}
    threads, first = [], {}
    for comp in spec.components:
        first[comp.name] = len(threads)
        threads.extend(comp.threads)
    emit("spec.c", "spec.c.j2", spec=spec, objects=objects, threads=threads, first_thread=first,
         component_index=component_index, source=rel_system, all_rights=ALL_RIGHTS)
    spec_json = json.dumps(spec.json(), indent=1, sort_keys=False) + "\n"
    if write_if_changed(os.path.join(out_dir, "spec.json"), spec_json):
        written.append(os.path.join(out_dir, "spec.json"))
    args = machine_mod.qemu_args(system.machine, out_dir, root_dir)
    if write_if_changed(os.path.join(out_dir, "qemu-args"), "".join(a + "\n" for a in args)):
        written.append(os.path.join(out_dir, "qemu-args"))
    sources = {comp.name: [os.path.relpath(s, root_dir) for s in comp.inst.type.sources]
               for comp in spec.components}
    disk = system.machine.get("disk")
    folder_disk = None
    if disk and "folder" in disk:
        folder_disk = {"folder": os.path.relpath(disk["folder"], root_dir), "size": disk["size"]}
    emit("generated.mk", "generated.mk.j2", spec=spec, sources=sources, out=os.path.relpath(out_dir, root_dir),
         source=rel_system, system=system, folder_disk=folder_disk)
    return written
