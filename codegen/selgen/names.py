"""The C names a component's glue defines (templates/kinds/), and the checks
that they clash neither with each other nor with C (cnames.py).

The glue's names live in three namespaces:

    public    what component.h declares and the author calls or defines:
              jobs_submit, echo_double, shared, serial_regs, echo_point_t
    internal  what component.c keeps to itself, all 'glue_' + a port's name
              and a suffix: glue_jobs_out, glue_echo_client
    macros    upper case: EVENT_MASK_TICK, PONG_DONE, ECHO_COLOR_RED

A name of one port may equal a name of another port only if it is the same
name in the same namespace; then one of them must be renamed.  Public names
must also not be C keywords, the C library's, or the glue's own; macros not
the library's.  Parameters and struct fields are checked where they are
defined (check_interface): keywords and object-like macros break them, and
a parameter must not take the name the glue gives to another's length.
"""
from . import cnames

# Defined by the author (init, run) or by the glue for every component.
ENTRY_POINTS = {
    "init": "the component's entry point init()", "run": "the component's entry point run()",
    "main": "the program's main()", "component_loop": "component_loop(), which the glue defines",
}
FIXED_MACROS = ("COMPONENT_H", "COMPONENT_NAME", "COMPONENT_PRIORITY", "COMPONENT_HART", "SLOT_NOTIFICATION",
                "SLOT_ENDPOINT", "SLOT_SERVER_GATE", "RPC_BADGE")
# The glue's own internal names (without 'glue_'); a port's are glue_<port>_<suffix>.
FIXED_INTERNAL = ("role", "pending", "take", "take_all", "wait_bits", "poll_bits", "park", "bad_request", "rpc",
                  "ring_broken", "notified", "loop_rpc", "loop", "on_bits", "bits_handler", "on_tokens",
                  "tokens_handler", "loop_setup", "serve_rpc")
RING_INTERNAL = ("out", "in", "reported", "full", "init", "wake", "check", "push", "pop", "flush_one", "arm",
                 "disarm", "ready", "ready_one", "run", "arm_one", "loop_arm", "loop_disarm", "source", "names",
                 "notify", "by_token", "current", "next", "data", "data_size", "data_paddr")
# What the glue defines for a ring port, by side (whether a connection has a data region is the system's
# business, so the data names are always taken).
RING_CLIENT = ("submit", "completion", "flush", "wait", "poll", "callback", "rings", "broken", "entries", "data",
               "data_size")
RING_SERVER = ("request", "complete", "flush", "wait", "poll", "callback", "rings", "client_name", "request_from",
               "complete_to", "client", "broken", "broken_of", "entries_of", "data_of", "data_size_of",
               "data_paddr_of", "rings_of")


def upper(name):
    return name.upper()


def port_names(port):
    """(namespace, name) of everything the glue defines for a port."""
    n, iface = port.name, port.interface
    if port.kind == "dataports":
        return [("public", n), ("public", f"{n}_size"), ("public", f"{n}_paddr")]
    if port.kind == "emits":
        events = iface.events if iface else []
        return [("public", f"{n}_emit_{e}") for e in events] if events else [("public", f"{n}_emit")]
    if port.kind == "consumes":
        names = [("public", f"{n}_wait"), ("public", f"{n}_poll"), ("public", f"{n}_callback"),
                 ("macro", f"EVENT_MASK_{upper(n)}")]
        if iface:
            names += [("internal", f"{n}_events")] + [("macro", upper(f"{n}_{e}")) for e in iface.events]
        return names
    if iface is None:
        return []
    if iface.kind == "ring":
        public = RING_CLIENT if port.kind == "uses" else RING_SERVER
        macros = [] if port.kind == "uses" else [("macro", f"{upper(n)}_CLIENTS")]
        return [("public", f"{n}_{r}") for r in public] + macros + [("internal", f"{n}_{s}") for s in RING_INTERNAL]
    names = [("public", f"{n}_{proc.name}") for proc in iface.procedures]
    if port.kind == "uses" and getattr(port, "optional", False):
        names.append(("public", f"{n}_connected"))
    if port.kind == "provides":
        names += [("public", f"{n}_client"), ("public", f"{n}_client_name"), ("internal", f"{n}_client"),
                  ("internal", f"{n}_client_names")]
    return names


def dma_names(name):
    """(namespace, name) of what the glue defines for a private DMA region."""
    return [("public", name), ("public", f"{name}_size"), ("public", f"{name}_paddr")]


def device_names(device, regs):
    """(namespace, name) of everything the glue defines for a device with regs register ranges."""
    d = device.name
    names = [("public", f"{d}_node")]
    for i in range(regs):
        base = f"{d}_regs" if i == 0 else f"{d}_regs_{i}"
        names += [("public", base), ("public", f"{base}_size"), ("public", f"{base}_paddr")]
    if device.dt.irqs:
        names += [("public", f"{d}_irq"), ("public", f"{d}_irq_ack"), ("public", f"{d}_irq_wait"),
                  ("public", f"{d}_irq_poll"), ("macro", f"IRQ_MASK_{upper(d)}"), ("internal", f"{d}_on_token"),
                  ("internal", f"{d}_token_handler")]
    if getattr(device, "kernel_console", False):
        names.append(("public", f"{d}_read"))
    return names


def type_names(iface):
    """(namespace, name, type) of the C types and enum constants of an interface."""
    names = []
    for t in iface.types.values():
        names.append(("public", t.ctype, t))
        names += [("macro", upper(f"{iface.name}_{t.name}_{v}"), t) for v in t.values]
    return names


def fixed_problem(namespace, name):
    """Why the glue cannot define name for a port, whoever else defines it: it is C's, the library's or
    the glue's own.  None if it is free."""
    if namespace == "public":
        if name in ENTRY_POINTS:
            return f"is {ENTRY_POINTS[name]}"
        return cnames.file_scope_problem(name)
    if namespace == "macro":
        if name in FIXED_MACROS:
            return "is a macro the glue defines for every component"
        return cnames.macro_problem(name)
    if name in FIXED_INTERNAL:
        return "is a name the glue uses for itself"
    return None


def shown(namespace, name):
    return f"glue_{name} (inside the glue)" if namespace == "internal" else name


class Names:
    """The names one component's glue defines so far, with who defines each."""

    def __init__(self, problems):
        self.problems, self.owner = problems, {}

    def add(self, namespace, name, owner, node, describe, rename, place=None):
        """Records name for owner (a port, device or type) defined at node, or reports why it cannot be
        there: describe names the owner in a message ("port 'x'"), rename says what to rename, place says
        where the owner is if not at node's line.  Returns whether the name was free."""
        why = fixed_problem(namespace, name)
        if why:
            self.problems.add(node, f"{describe} would define {shown(namespace, name)}, which {why}; {rename}")
            return False
        other = self.owner.get((namespace, name))
        if other and other[0] is not owner:
            _, other_node, other_describe, other_place = other
            if other_place is None:
                other_place = f"line {other_node.line}" if other_node.file == node.file else \
                    f"{other_node.file}:{other_node.line}"
            self.problems.add(node, f"{describe} would define {shown(namespace, name)}, which {other_describe} "
                                    f"({other_place}) defines too; rename one of them")
            return False
        self.owner[(namespace, name)] = (owner, node, describe, place)
        return True


def check_component(ctype, problems):
    """The names of every port of a component type, and of the interface types it declares."""
    names = Names(problems)
    for port in ctype.ports.values():
        for namespace, name in port_names(port):
            if not names.add(namespace, name, port, port.node, f"port '{port.name}'", "rename the port"):
                break
    for name, node in ctype.dma_nodes.items():
        for namespace, symbol in dma_names(name):
            if not names.add(namespace, symbol, ("dma", name), node, f"DMA region '{name}'", "rename the region"):
                break
    declared = {}
    for port in ctype.ports.values():
        if port.interface and port.interface.name not in declared:
            declared[port.interface.name] = port
            for namespace, name, t in type_names(port.interface):
                names.add(namespace, name, t, port.node, f"type '{t.name}' of interface '{port.interface.name}'",
                          "rename one of them", place=f"{port.interface.file}:{t.node.line}")
    for port in ctype.ports.values():
        if port.kind == "provides" and port.interface:
            for proc in port.interface.procedures:
                for param in proc.params:
                    if param.name == f"{port.name}_{proc.name}":
                        problems.add(port.node, f"parameter '{param.name}' of procedure '{proc.name}' "
                                                f"({port.interface.file}) would hide its handler "
                                                f"{param.name}() in the glue of port '{port.name}'; rename "
                                                "the parameter")
    ctype.names = names
    return names


def check_devices(inst, problems):
    """The names of a component instance's devices, beside its ports' names."""
    names = Names(problems)
    if inst.type is not None and getattr(inst.type, "names", None):
        names.owner = dict(inst.type.names.owner)
    for device in inst.devices:
        for namespace, name in device_names(device, len(device.dt.regs)):
            if not names.add(namespace, name, device, device.node, f"device '{device.name}' of component "
                                                                   f"'{inst.name}'",
                             "name the device with 'as:'"):
                return False
    return True


def check_interface(iface, problems):
    """Parameters and fields that C would misread, and types and enum constants that C already has or
    that two of the interface's types would both define."""
    for t in iface.types.values():
        for fname, _, _ in t.fields:
            why = cnames.member_problem(fname)
            if why:
                node = next(f for f in t.node.get("struct") if f.value("name") == fname)
                problems.add(node.get("name"), f"field '{fname}' of struct '{t.name}' {why}; rename it")
    for proc in iface.procedures:
        derived = {}
        for param in proc.params:
            if param.type.kind == "buffer":
                extra = ["len"] if param.dir == "in" else ["cap", "len"]
                for suffix in extra:
                    derived[f"{param.name}_{suffix}"] = (param, suffix)
        ctypes = {t.ctype for t in iface.types.values()}
        for param in proc.params:
            why = cnames.local_problem(param.name) or \
                (f"is a type of interface '{iface.name}', which the glue declares beside it"
                 if param.name in ctypes else None)
            if why:
                problems.add(param.node.get("name"), f"parameter '{param.name}' of procedure '{proc.name}' {why}; "
                                                     "rename it")
            elif param.name in derived:
                buf, suffix = derived[param.name]
                what = {"len": "length", "cap": "room"}[suffix]
                problems.add(param.node.get("name"), f"parameter '{param.name}' of procedure '{proc.name}' would "
                                                     f"clash with {param.name}, the {what} codegen adds for buffer "
                                                     f"parameter '{buf.name}'; rename one of them")
    seen = {}
    for namespace, name, t in type_names(iface):
        why = fixed_problem(namespace, name)
        kind = "constant" if namespace == "macro" else "type"
        if why:
            problems.add(t.node.get("name"), f"type '{t.name}' would define the {kind} {name}, which {why}; "
                                             "rename the type (or the interface)")
        elif name in seen and seen[name] is not t:
            other = seen[name]
            problems.add(t.node.get("name"), f"type '{t.name}' would define the {kind} {name}, which type "
                                             f"'{other.name}' (line {other.node.line}) defines too; rename one of them")
        seen[name] = t
