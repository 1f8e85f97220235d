"""The system model: system.yaml, the components' component.yaml files and the
interfaces in idl/, loaded, validated (structure by JSON Schema, meaning by
the checks here) and linked together.  Every problem is reported with its
place; nothing is generated unless there are none.
"""
import difflib
import glob
import os
import re

from . import schema as schema_mod
from . import yamlpos
from .errors import Collector
from .yamlpos import Map, Seq

DEFAULT_STACK = 16 * 1024
DEFAULT_HEAP = 64 * 1024
DEFAULT_DATAPORT = 4096
DEFAULT_RPC_BUFFER = 4096
DEFAULT_MACHINE = {"harts": 2, "memory": 256 << 20}
MAX_COMPONENTS = 1000          # address-space layout limit (see layout.py), not a table size
MAX_MESSAGE_WORDS = 120
NOTIFICATION_BITS = 62         # badge bits 0..61 of a component's notification

SCALARS = {
    "int8": ("int8_t", 1), "int16": ("int16_t", 2), "int32": ("int32_t", 4), "int64": ("int64_t", 8),
    "uint8": ("uint8_t", 1), "uint16": ("uint16_t", 2), "uint32": ("uint32_t", 4), "uint64": ("uint64_t", 8),
    "bool": ("bool", 1),
}
KERNEL_DEVICES = ("plic", "clint", "memory", "cpus", "cpu")
MAX_NAME = 40                  # component names travel in the boot archive (48 bytes with room to spare)
MIN_MEMORY = 64 << 20          # the kernel, the loader and a few components
C_RESERVED = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false", "main", "init", "run", "exit", "printf", "malloc", "free",
}


def parse_size(value):
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"([0-9]+)([KMG]?)", value)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def suggest(name, known):
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def article(kind):
    """'a' or 'an' before a kind of connection or interface (an rpc, an event, a ring)."""
    return "an" if kind in ("rpc", "event", "empty") else "a"


def known_list(names):
    names = sorted(names)
    return ", ".join(names) if names else "none"


def load_valid(path, display, schema, problems):
    """The file's YAML tree if it loads and its schema accepts it; else None, with the problems reported."""
    before = len(problems.problems)
    root = yamlpos.load(path, display, problems)
    if root is not None:
        schema_mod.validate(root, schema, problems)
    return root if root is not None and len(problems.problems) == before else None


# ---- interfaces ------------------------------------------------------------------

class Type:
    """A type usable in an interface: a scalar, an enum, a struct, an array of those, or buffer."""

    def __init__(self, name, kind, ctype, size, align, fields=None, values=None, element=None, count=None):
        self.name, self.kind, self.ctype, self.size, self.align = name, kind, ctype, size, align
        self.fields, self.values, self.element, self.count = fields or [], values or [], element, count

    @property
    def words(self):
        return (self.size + 7) // 8


class Param:
    def __init__(self, name, type, direction, node):
        self.name, self.type, self.dir, self.node = name, type, direction, node


class Procedure:
    def __init__(self, name, params, returns, index, node):
        self.name, self.params, self.returns, self.index, self.node = name, params, returns, index, node

    @property
    def ins(self):
        return [p for p in self.params if p.dir in ("in", "inout")]

    @property
    def outs(self):
        return [p for p in self.params if p.dir in ("out", "inout")]

    @property
    def uses_buffer(self):
        return any(p.type.kind == "buffer" for p in self.params)

    def request_words(self):
        return sum(2 if p.type.kind == "buffer" else p.type.words for p in self.ins)

    def reply_words(self):
        ret = self.returns.words if self.returns else 0
        return ret + sum(1 if p.type.kind == "buffer" else p.type.words for p in self.outs)


class Interface:
    def __init__(self, name, file):
        self.name, self.file = name, file
        self.types, self.procedures, self.events = {}, [], []
        self.ring_request = self.ring_response = None

    @property
    def kind(self):
        if self.procedures:
            return "rpc"
        if self.ring_request:
            return "ring"
        if self.events:
            return "event"
        return "empty"

    @property
    def uses_buffer(self):
        return any(p.uses_buffer for p in self.procedures)


class Interfaces:
    """Loads idl/<name>.yaml on first use."""

    def __init__(self, idl_dir, problems, display_root):
        self.idl_dir, self.problems, self.display_root = idl_dir, problems, display_root
        self.loaded = {}
        self.schema = schema_mod.load_schema("interface.schema.json")

    def available(self):
        try:
            return sorted(f[:-5] for f in os.listdir(self.idl_dir) if f.endswith(".yaml"))
        except OSError:
            return []

    def get(self, name, where):
        if name in self.loaded:
            return self.loaded[name]
        path = os.path.join(self.idl_dir, name + ".yaml")
        display = os.path.relpath(path, self.display_root)
        if not os.path.exists(path):
            self.problems.add(where, f"interface '{name}' is not in {os.path.relpath(self.idl_dir, self.display_root)}/ "
                                     f"(interfaces: {known_list(self.available())}){suggest(name, self.available())}")
            self.loaded[name] = None
            return None
        root = load_valid(path, display, self.schema, self.problems)
        if root is None:
            self.loaded[name] = None
            return None
        before = len(self.problems.problems)
        iface = self._build(root, name, display)
        # An interface with problems is not used: what it would say about ports and connections is not true.
        self.loaded[name] = iface if len(self.problems.problems) == before else None
        return self.loaded[name]

    def _build(self, root, name, display):
        p = self.problems
        iface = Interface(root.value("interface"), display)
        if iface.name != name:
            p.add(root.get("interface"), f"the interface is called '{iface.name}', but its file is {display}; "
                                         f"they must agree")
        # Types in order, each may use only scalars and earlier types.
        types = {n: Type(n, "scalar", c, s, s) for n, (c, s) in SCALARS.items()}
        types["buffer"] = Type("buffer", "buffer", None, 0, 8)
        for tnode in root.get("types", Seq(display, 0, 0, [])):
            tname = tnode.value("name")
            if tname in types:
                first = iface.types.get(tname)
                p.add(tnode.get("name"), f"type '{tname}' is defined twice" +
                      (f" (first at line {self._line_of(root, tname)})" if first else " (it is a built-in type)"))
                continue
            has_struct, has_enum = "struct" in tnode, "enum" in tnode
            if has_struct == has_enum:
                p.add(tnode, f"type '{tname}' must have exactly one of 'struct' or 'enum'")
                continue
            if has_enum:
                values = tnode.value("enum")
                for i, v in enumerate(values):
                    if v in values[:i]:
                        p.add(tnode.get("enum").items[i], f"enum '{tname}' lists '{v}' twice")
                t = Type(tname, "enum", f"{iface.name}_{tname}_t", 4, 4, values=values)
            else:
                fields, offset, align, seen = [], 0, 1, set()
                for fnode in tnode.get("struct"):
                    fname = fnode.value("name")
                    if fname in seen:
                        p.add(fnode.get("name"), f"struct '{tname}' has two fields called '{fname}'")
                        continue
                    seen.add(fname)
                    ftype = self._resolve(fnode.get("type"), types, f"field '{fname}' of struct '{tname}'")
                    if ftype is None:
                        continue
                    if ftype.kind == "buffer":
                        p.add(fnode.get("type"), f"field '{fname}' of struct '{tname}' cannot be a buffer "
                                                 "(buffers are parameters)")
                        continue
                    offset = (offset + ftype.align - 1) // ftype.align * ftype.align
                    fields.append((fname, ftype, offset))
                    offset += ftype.size
                    align = max(align, ftype.align)
                size = (offset + align - 1) // align * align
                t = Type(tname, "struct", f"{iface.name}_{tname}_t", size, align, fields=fields)
            types[tname] = t
            iface.types[tname] = t

        seen = {}
        for index, pnode in enumerate(root.get("procedures", Seq(display, 0, 0, []))):
            pname = pnode.value("name")
            if pname in seen:
                p.add(pnode.get("name"), f"procedure '{pname}' is defined twice (first at line {seen[pname]})")
                continue
            seen[pname] = pnode.line
            params, names = [], set()
            for anode in pnode.get("params", Seq(display, 0, 0, [])):
                aname = anode.value("name")
                if aname in names:
                    p.add(anode.get("name"), f"procedure '{pname}' has two parameters called '{aname}'")
                    continue
                names.add(aname)
                atype = self._resolve(anode.get("type"), types, f"parameter '{aname}' of procedure '{pname}'")
                if atype is not None:
                    params.append(Param(aname, atype, anode.value("dir", "in"), anode))
            returns = None
            if "returns" in pnode:
                returns = self._resolve(pnode.get("returns"), types, f"the result of procedure '{pname}'")
                if returns is not None and returns.kind == "buffer":
                    p.add(pnode.get("returns"), f"procedure '{pname}' cannot return a buffer (use an out parameter)")
                    returns = None
            proc = Procedure(pname, params, returns, index, pnode)
            for words, what in ((proc.request_words(), "its arguments need"), (proc.reply_words(), "its results need")):
                if words > MAX_MESSAGE_WORDS:
                    p.add(pnode, f"procedure '{pname}' does not fit in one message: {what} {words} words, "
                                 f"at most {MAX_MESSAGE_WORDS}")
            iface.procedures.append(proc)

        iface.events = root.value("events", [])
        for i, e in enumerate(iface.events):
            if e in iface.events[:i]:
                p.add(root.get("events").items[i], f"event '{e}' is listed twice")

        if "ring" in root:
            ring = root.get("ring")
            if iface.procedures:
                p.add(ring, f"interface '{iface.name}' has both procedures and a ring; it must be one or the other")
            for role in ("request", "response"):
                tname = ring.value(role)
                t = types.get(tname)
                if t is None or t.kind != "struct":
                    p.add(ring.get(role), f"the ring's {role} type '{tname}' must be a struct of this interface "
                                          f"(structs: {known_list(n for n, x in iface.types.items() if x.kind == 'struct')})")
                    continue
                setattr(iface, f"ring_{role}", t)
        if iface.events and (iface.procedures or "ring" in root):
            p.add(root.get("events"), f"interface '{iface.name}' mixes events with procedures or a ring; "
                                      "events need an interface of their own")
        return iface

    @staticmethod
    def _line_of(root, tname):
        for t in root.get("types", []):
            if t.value("name") == tname:
                return t.line
        return "?"

    def _resolve(self, node, types, what):
        text = node.value
        m = re.fullmatch(r"([a-z_][a-z0-9_]*)(?:\[([0-9]+)\])?", text)
        base, count = m.group(1), m.group(2)
        t = types.get(base)
        if t is None:
            self.problems.add(node, f"{what} has unknown type '{base}' (known: {known_list(types)}){suggest(base, types)}")
            return None
        if count is None:
            return t
        count = int(count)
        if t.kind == "buffer":
            self.problems.add(node, f"{what}: there are no arrays of buffers")
            return None
        if not 1 <= count <= 4096:
            self.problems.add(node, f"{what}: an array needs 1 to 4096 elements, not {count}")
            return None
        return Type(text, "array", t.ctype, t.size * count, t.align, element=t, count=count)


# ---- components ------------------------------------------------------------------

PORT_KINDS = ("provides", "uses", "emits", "consumes", "dataports")


class Port:
    def __init__(self, name, kind, interface, node):
        self.name, self.kind, self.interface, self.node = name, kind, interface, node
        self.connections = []

    def connections_of(self, inst):
        """The connections at this port of instance inst (every instance of a component shares its Port objects)."""
        return [c for c in self.connections
                if (c.from_inst is inst and c.from_port is self) or (c.to_inst is inst and c.to_port is self)]

    @property
    def role(self):
        return {"provides": "provides", "uses": "uses", "emits": "emits", "consumes": "consumes",
                "dataports": "dataport"}[self.kind]

    def describe(self):
        if self.kind in ("provides", "uses"):
            return f"{self.kind} {self.interface.name if self.interface else '?'}"
        if self.kind == "dataports":
            return "a dataport"
        return f"{self.kind} an event" + (f" of {self.interface.name}" if self.interface else "")


def generated_names(port):
    """The C identifiers the glue defines for a port (see codegen/templates/component.h.j2)."""
    n = port.name
    if port.kind == "dataports":
        return [n, f"{n}_size", f"{n}_paddr"]
    if port.kind == "emits":
        events = port.interface.events if port.interface else []
        return [f"{n}_emit_{e}" for e in events] if events else [f"{n}_emit"]
    if port.kind == "consumes":
        return [f"{n}_wait", f"{n}_poll", f"{n}_callback"]
    if port.interface is None:
        return []
    if port.interface.kind == "ring":
        role = ["submit", "completion"] if port.kind == "uses" else ["request", "complete"]
        return [f"{n}_{r}" for r in role + ["notify", "wait", "poll", "callback"]]
    names = [f"{n}_{proc.name}" for proc in port.interface.procedures]
    return names + ([f"{n}_client", f"{n}_client_name"] if port.kind == "provides" else [])


class ComponentType:
    def __init__(self, name, folder, file, control):
        self.name, self.folder, self.file, self.control = name, folder, file, control
        self.ports = {}
        self.sources = []            # C files: the folder's, and any listed under 'sources'
        self.default_handlers = False


class Components:
    """Loads <source>/component.yaml on first use."""

    def __init__(self, root_dir, interfaces, problems):
        self.root_dir, self.interfaces, self.problems = root_dir, interfaces, problems
        self.loaded = {}
        self.schema = schema_mod.load_schema("component.schema.json")

    def get(self, source, where):
        folder = os.path.normpath(os.path.join(self.root_dir, source))
        if folder in self.loaded:
            return self.loaded[folder]
        self.loaded[folder] = None
        if os.path.isfile(folder):
            self.problems.add(where, f"source '{source}' is a file; give the component's folder "
                                     f"('{os.path.relpath(os.path.dirname(folder), self.root_dir)}')")
            return None
        if not os.path.isdir(folder):
            parent = os.path.dirname(folder)
            try:
                here = sorted(os.path.relpath(os.path.join(parent, d), self.root_dir) for d in os.listdir(parent)
                              if os.path.isdir(os.path.join(parent, d)))
            except OSError:
                here = []
            self.problems.add(where, f"source folder '{source}' does not exist "
                                     f"(folders there: {known_list(here)}){suggest(source, here)}")
            return None
        path = os.path.join(folder, "component.yaml")
        display = os.path.relpath(path, self.root_dir)
        if not os.path.exists(path):
            self.problems.add(where, f"'{source}' has no component.yaml describing its ports")
            return None
        root = load_valid(path, display, self.schema, self.problems)
        if root is None:
            return None
        before = len(self.problems.problems)
        ctype = self._build(root, folder, display)
        # A component with problems of its own would only cause more messages about its connections.
        self.loaded[folder] = ctype if len(self.problems.problems) == before else None
        return self.loaded[folder]

    def _build(self, root, folder, display):
        p = self.problems
        ctype = ComponentType(root.value("component"), folder, display, root.value("control", False))
        ctype.default_handlers = root.value("default_handlers", False)
        ctype.sources = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".c"))
        for snode in root.get("sources", []):
            matches = sorted(glob.glob(os.path.join(self.root_dir, snode.value)))
            if not matches:
                p.add(snode, f"source '{snode.value}' matches no file")
            ctype.sources += [m for m in matches if m not in ctype.sources]
        if not ctype.sources:
            p.add(root.get("component"), f"component '{ctype.name}' has no C sources (no .c file in "
                                         f"{os.path.relpath(folder, self.root_dir)})")
        folder_name = os.path.basename(folder)
        if ctype.name != folder_name:
            p.add(root.get("component"), f"this component is called '{ctype.name}', but its folder is "
                                         f"'{folder_name}'; they must agree")
        for kind in PORT_KINDS:
            section = root.get(kind)
            if section is None:
                continue
            if isinstance(section, Seq):
                entries = [(item.value, None, item) for item in section]
            else:
                entries = [(k, v, section.keys[k]) for k, v in section.items()]
            for name, iface_node, node in entries:
                if name in ctype.ports:
                    first = ctype.ports[name]
                    p.add(node, f"port '{name}' is declared twice (as {first.kind} at line {first.node.line} "
                                f"and as {kind})")
                    continue
                iface = None
                if iface_node is not None:
                    iface = self.interfaces.get(iface_node.value, iface_node)
                    if iface is not None:
                        if kind in ("provides", "uses") and iface.kind not in ("rpc", "ring"):
                            p.add(iface_node, f"port '{name}' {kind} interface '{iface.name}', which has neither "
                                              "procedures nor a ring")
                        for proc in iface.procedures if kind == "provides" else []:
                            if proc.name in ("client", "client_name"):
                                p.add(iface_node, f"procedure '{proc.name}' of interface '{iface.name}' would clash "
                                                  f"with the generated {name}_{proc.name}() of provided port "
                                                  f"'{name}'; rename the procedure")
                        if kind in ("emits", "consumes") and iface.kind != "event":
                            p.add(iface_node, f"event port '{name}' names interface '{iface.name}', which has no "
                                              "events")
                ctype.ports[name] = Port(name, kind, iface, node)
        self._check_generated_names(ctype)
        return ctype

    def _check_generated_names(self, ctype):
        """The C names the glue will define for each port must not clash with each other or with C."""
        owner = {}
        for port in ctype.ports.values():
            if port.name in C_RESERVED:
                self.problems.add(port.node, f"port name '{port.name}' is reserved in C or by the glue; "
                                             "choose another")
                continue
            for ident in generated_names(port):
                if ident in owner and owner[ident] is not port:
                    other = owner[ident]
                    self.problems.add(port.node, f"port '{port.name}' would define {ident}, which port "
                                                 f"'{other.name}' (line {other.node.line}) defines too; "
                                                 "rename one of them")
                    break
                owner[ident] = port


# ---- the system ------------------------------------------------------------------

class Device:
    def __init__(self, name, dt_device, node):
        self.name, self.dt, self.node = name, dt_device, node
        self.irq_bits = {}


class Instance:
    def __init__(self, name, ctype, node, index):
        self.name, self.type, self.node, self.index = name, ctype, node, index
        self.priority = node.value("priority")
        self.hart = node.value("hart", 0)
        self.stack = parse_size(node.value("stack", DEFAULT_STACK))
        self.heap = parse_size(node.value("heap", DEFAULT_HEAP))
        self.restart = node.value("restart", "never")
        self.source = node.value("source")
        self.devices = []
        self.group = None


class Connection:
    def __init__(self, kind, node, index):
        self.kind, self.node, self.index = kind, node, index
        self.from_inst = self.from_port = self.to_inst = self.to_port = None
        self.size = self.entries = self.buffer = None
        self.wake = "notification"
        self.interface = None

    @property
    def label(self):
        return f"{self.node.value('from')} -> {self.node.value('to')}"


class Group:
    def __init__(self, name, members, node):
        self.name, self.members, self.node = name, members, node


class System:
    def __init__(self, name, file, machine):
        self.name, self.file, self.machine = name, file, machine
        self.instances, self.connections, self.groups = [], [], []
        self.interfaces = {}

    def instance(self, name):
        return next((i for i in self.instances if i.name == name), None)


def load_system(path, root_dir, idl_dir, device_tree_for, display=None):
    """Loads and validates a system.  device_tree_for(harts, memory) returns the platform's
    DeviceTree.  Returns a System, or raises errors.Problems with every problem found."""
    problems = Collector()
    display = display or os.path.relpath(path, root_dir)
    root = yamlpos.load(path, display, problems)
    problems.stop()
    schema_mod.validate(root, schema_mod.load_schema("system.schema.json"), problems)
    problems.stop()

    name = root.value("name") or re.sub(r"[^a-z0-9_]", "_", os.path.splitext(os.path.basename(path))[0].lower())
    machine = dict(DEFAULT_MACHINE)
    if "machine" in root:
        m = root.get("machine")
        machine["harts"] = m.value("harts", machine["harts"])
        machine["memory"] = parse_size(m.value("memory", machine["memory"]))
        if machine["memory"] % (1 << 20):
            # QEMU's -m (and the device tree dumped with it) counts whole megabytes.
            problems.add(m.get("memory"), f"'memory' of 'machine' must be a whole number of megabytes, "
                                          f"not {m.value('memory')}")
            machine["memory"] = DEFAULT_MACHINE["memory"]
        elif machine["memory"] < MIN_MEMORY:
            problems.add(m.get("memory"), f"'memory' of 'machine' is {m.value('memory')}; the kernel, the loader "
                                          f"and the components need at least {MIN_MEMORY >> 20}M")
    system = System(name, display, machine)
    system.components_line = f"{root.get('components').line}:{root.get('components').col}"
    interfaces = Interfaces(idl_dir, problems, root_dir)
    components = Components(root_dir, interfaces, problems)

    # Components: names, sources, harts.
    by_name = {}
    for index, node in enumerate(root.get("components")):
        iname = node.value("name")
        if iname in by_name:
            problems.add(node.get("name"), f"component name '{iname}' is used twice (first at line "
                                           f"{by_name[iname].node.line})")
            continue
        if len(iname) > MAX_NAME:
            problems.add(node.get("name"), f"component name '{iname}' is {len(iname)} characters; at most "
                                           f"{MAX_NAME}")
        if iname == "loader":
            problems.add(node.get("name"), "component name 'loader' is taken: the boot archive holds the loader "
                                           "under that name; choose another")
        ctype = components.get(node.value("source"), node.get("source"))
        inst = Instance(iname, ctype, node, len(system.instances))
        by_name[iname] = inst
        system.instances.append(inst)
        if inst.hart >= machine["harts"]:
            problems.add(node.get("hart"), f"'hart' of component '{iname}' is {inst.hart}, but the machine has "
                                           f"{machine['harts']} hart{'s' if machine['harts'] > 1 else ''} "
                                           f"(0..{machine['harts'] - 1})")
        for ps in ("stack", "heap"):
            size = getattr(inst, ps)
            if size % 4096 or size == 0 or size > (64 << 20):
                problems.add(node.get(ps), f"'{ps}' of component '{iname}' must be a multiple of 4K between 4K "
                                           f"and 64M, not {node.value(ps)}")
    if len(system.instances) > MAX_COMPONENTS:
        problems.add(root.get("components"), f"{len(system.instances)} components; this layout has room for "
                                             f"{MAX_COMPONENTS}")

    # Devices, from the platform's device tree.
    claimed = {}
    tree = None
    if any("devices" in i.node for i in system.instances):
        try:
            tree = device_tree_for(machine["harts"], machine["memory"])
        except Exception as e:  # the device tree could not be read: say why, once
            problems.add(display, str(e))
    for inst in system.instances:
        if tree is None or "devices" not in inst.node:
            continue
        names = {}
        for dnode in inst.node.get("devices"):
            node_name = dnode.value if isinstance(dnode, yamlpos.Scalar) else dnode.value("node")
            where = dnode if isinstance(dnode, yamlpos.Scalar) else dnode.get("node")
            dt = tree.device(node_name)
            if dt is None:
                known = [n for n in tree.device_names() if n.split("@")[0] not in KERNEL_DEVICES]
                problems.add(where, f"device '{node_name}' of component '{inst.name}' is not in the device tree "
                                    f"(devices there: {known_list(known)}){suggest(node_name, known)}")
                continue
            if dt.base_name in KERNEL_DEVICES:
                problems.add(where, f"device '{node_name}' belongs to the kernel and cannot be given to a component")
                continue
            if not dt.regs:
                problems.add(where, f"device '{node_name}' has no registers to map")
                continue
            if node_name in claimed:
                other, other_where = claimed[node_name]
                problems.add(where, f"device '{node_name}' is claimed twice: by '{other.name}' (line "
                                    f"{other_where.line}) and by '{inst.name}'")
                continue
            claimed[node_name] = (inst, where)
            gname = dnode.value("as") if isinstance(dnode, Map) and "as" in dnode else \
                re.sub(r"[^a-z0-9_]", "_", dt.base_name.lower())
            if gname in names:
                problems.add(where, f"component '{inst.name}' has two devices called '{gname}'; name them with "
                                    f"'as:' (for example {{node: {node_name}, as: {gname}2}})")
                continue
            if inst.type and gname in inst.type.ports:
                problems.add(where, f"device name '{gname}' of component '{inst.name}' is also one of its ports; "
                                    "name the device with 'as:'")
                continue
            names[gname] = True
            inst.devices.append(Device(gname, dt, where))
    # Registers of different devices must not share a page: each page goes to one component.
    pages = {}
    for node_name, (inst, where) in claimed.items():
        dt = tree.device(node_name)
        for base, size in dt.regs:
            for page in range(base >> 12, (base + max(size, 1) + 4095) >> 12):
                if page in pages and pages[page][0] != node_name:
                    other = pages[page][0]
                    problems.add(where, f"device '{node_name}' ({base:#x}-{base + size - 1:#x}) overlaps device "
                                        f"'{other}' in page {page << 12:#x}; a page can go to one device only")
                    break
                pages[page] = (node_name, inst)

    # Connections.
    seen_uses = {}
    named = set()       # ports some connection names, even one rejected: they are not 'unconnected'
    for index, cnode in enumerate(root.get("connections", Seq(display, 0, 0, []))):
        conn = Connection(cnode.value("kind"), cnode, index)
        ok = True
        for end in ("from", "to"):
            iname, pname = cnode.value(end).split(".")
            inst = by_name.get(iname)
            if inst is None:
                problems.add(cnode.get(end), f"connection '{conn.label}' names unknown component '{iname}' "
                                             f"(known: {known_list(by_name)}){suggest(iname, by_name)}")
                ok = False
                continue
            if inst.type is None:
                ok = False
                continue
            port = inst.type.ports.get(pname)
            if port is None:
                problems.add(cnode.get(end), f"component '{iname}' ({inst.type.file}) has no port '{pname}' "
                                             f"(its ports: {known_list(inst.type.ports)}){suggest(pname, inst.type.ports)}")
                ok = False
                continue
            setattr(conn, f"{end}_inst", inst)
            setattr(conn, f"{end}_port", port)
            named.add((iname, pname))
        extras = {"size": "dataport", "entries": "ring", "wake": "ring", "buffer": "rpc"}
        for key, kind in extras.items():
            if key in cnode and conn.kind != kind:
                problems.add(cnode.keys[key], f"'{key}' applies to {kind} connections, not to {conn.kind} ones")
        if not ok:
            continue
        if conn.from_inst is conn.to_inst:
            problems.add(cnode, f"connection '{conn.label}' joins component '{conn.from_inst.name}' to itself")
            continue
        f, t = conn.from_port, conn.to_port
        expect = {"rpc": ("uses", "provides"), "ring": ("uses", "provides"), "event": ("emits", "consumes"),
                  "dataport": ("dataports", "dataports")}[conn.kind]
        bad = False
        if conn.kind != "dataport" and (f.kind, t.kind) == (expect[1], expect[0]):
            sides = ("emitting", "consuming") if conn.kind == "event" else ("using", "providing")
            problems.add(cnode.get("from"), f"{conn.kind} connection '{conn.label}' runs the wrong way: 'from' must be "
                                            f"the {sides[0]} side and 'to' the {sides[1]} side; swap them")
            continue
        for end, port, want in (("from", f, expect[0]), ("to", t, expect[1])):
            if port.kind != want:
                side = "using" if end == "from" else "providing"
                if conn.kind == "event":
                    side = "emitting" if end == "from" else "consuming"
                if conn.kind == "dataport":
                    problems.add(cnode.get(end), f"connection '{conn.label}' is a dataport connection, but "
                                                 f"'{cnode.value(end)}' {port.describe()}")
                else:
                    problems.add(cnode.get(end), f"the '{end}' end of {conn.kind} connection '{conn.label}' must be "
                                                 f"a port that {want} ({side} side); '{cnode.value(end)}' "
                                                 f"{'is ' if port.kind == 'dataports' else ''}{port.describe()}")
                bad = True
        if bad:
            continue
        if conn.kind in ("rpc", "ring", "event"):
            fi, ti = f.interface, t.interface
            if conn.kind == "event":
                if (fi is None) != (ti is None) or (fi and ti and fi.name != ti.name):
                    problems.add(cnode, f"connection '{conn.label}' joins events of "
                                        f"{f'interface {fi.name!r}' if fi else 'no interface'} to "
                                        f"{f'interface {ti.name!r}' if ti else 'no interface'}")
                    continue
            else:
                if fi is None or ti is None:
                    continue
                if fi.name != ti.name:
                    problems.add(cnode, f"connection '{conn.label}' joins interface '{fi.name}' "
                                        f"({cnode.value('from')}) to interface '{ti.name}' ({cnode.value('to')})")
                    continue
                if fi.kind != conn.kind:
                    problems.add(cnode.get("kind"), f"connection '{conn.label}' is {article(conn.kind)} {conn.kind} "
                                                    f"connection, but interface '{fi.name}' is {article(fi.kind)} "
                                                    f"{fi.kind} interface")
                    continue
            conn.interface = fi
        if conn.kind == "dataport":
            conn.size = parse_size(cnode.value("size", DEFAULT_DATAPORT))
            if conn.size > (1 << 30):
                problems.add(cnode.get("size"), f"dataport '{conn.label}' is {cnode.value('size')}; at most 1G")
                continue
        if conn.kind == "ring":
            conn.wake = cnode.value("wake", "notification")
            conn.entries = cnode.value("entries", 64)
            if conn.entries & (conn.entries - 1):
                lower = 1 << (conn.entries.bit_length() - 1)
                problems.add(cnode.get("entries"), f"ring '{conn.label}' has {conn.entries} entries; the number must "
                                                   f"be a power of two (such as {lower} or {lower * 2})")
                continue
        if conn.kind == "rpc" and "buffer" in cnode and not conn.interface.uses_buffer:
            problems.add(cnode.keys["buffer"], f"connection '{conn.label}' has a 'buffer', but interface "
                                               f"'{conn.interface.name}' has no buffer parameters to pass through it")
            continue
        if conn.kind == "rpc":
            conn.buffer = parse_size(cnode.value("buffer", DEFAULT_RPC_BUFFER)) if conn.interface.uses_buffer else 0
            if conn.buffer > (1 << 30):
                problems.add(cnode.get("buffer"), f"the buffer of rpc connection '{conn.label}' is "
                                                  f"{cnode.value('buffer')}; at most 1G")
                continue
        # A using port talks to one provider; a dataport or a ring joins exactly two components.
        for end, port in (("from", f), ("to", t)):
            if port.kind in ("uses", "dataports") or conn.kind == "ring":
                key = (getattr(conn, f"{end}_inst").name, port.name)
                if key in seen_uses:
                    why = {"dataport": "a dataport joins two components", "ring": "a ring joins two components"}.get(
                        conn.kind, "a using port connects to one provider")
                    problems.add(cnode.get(end), f"port '{cnode.value(end)}' is connected twice (lines "
                                                 f"{seen_uses[key]} and {cnode.get(end).line}); {why}")
                    bad = True
                else:
                    seen_uses[key] = cnode.get(end).line
        if bad:
            continue
        f.connections.append(conn)
        t.connections.append(conn)
        system.connections.append(conn)

    for inst in system.instances:
        if inst.type is None:
            continue
        for port in inst.type.ports.values():
            if port.kind in ("uses", "dataports") and (inst.name, port.name) not in named:
                problems.add(inst.node.get("name"), f"port '{inst.name}.{port.name}' ({port.describe()}) is not "
                                                    "connected; add a connection for it")

    # Groups.
    in_group = {}
    for gi, gnode in enumerate(root.get("groups", Seq(display, 0, 0, []))):
        members_node = gnode if isinstance(gnode, Seq) else gnode.get("members")
        gname = gnode.value("name") if isinstance(gnode, Map) and "name" in gnode else f"group{gi + 1}"
        members = []
        for mnode in members_node:
            inst = by_name.get(mnode.value)
            if inst is None:
                problems.add(mnode, f"group '{gname}' names unknown component '{mnode.value}' "
                                    f"(known: {known_list(by_name)}){suggest(mnode.value, by_name)}")
                continue
            if inst in members:
                problems.add(mnode, f"group '{gname}' lists component '{inst.name}' twice")
                continue
            if inst.name in in_group:
                problems.add(mnode, f"component '{inst.name}' is in two groups ('{in_group[inst.name]}' and "
                                    f"'{gname}'); a component has one address space")
                continue
            in_group[inst.name] = gname
            members.append(inst)
        group = Group(gname, members, gnode)
        for inst in members:
            inst.group = group
        system.groups.append(group)

    # Calls that come back round at one priority deadlock: every server is single-threaded.
    calls = {}
    for conn in system.connections:
        if conn.kind == "rpc":
            calls.setdefault(conn.from_inst.name, set()).add(conn.to_inst.name)
    reported = set()
    for start in sorted(calls):
        cycle = _find_cycle(start, calls)
        if cycle and frozenset(cycle) not in reported:
            members = [by_name[n] for n in cycle]
            if len({m.priority for m in members}) == 1:
                reported.add(frozenset(cycle))
                problems.add(members[0].node, f"rpc calls form a cycle among components of equal priority "
                                              f"{members[0].priority}: {' -> '.join(cycle + [cycle[0]])}; "
                                              "it would deadlock")

    # Each component's notification has 62 badge bits for events, interrupts and rings.
    for inst in system.instances:
        if inst.type is None:
            continue
        bits = sum(len(d.dt.irqs) for d in inst.devices)
        for port in inst.type.ports.values():
            if port.kind == "consumes":
                bits += len(port.interface.events) if port.interface else 1
            if port.kind in ("provides", "uses") and port.interface and port.interface.kind == "ring":
                bits += len(port.connections_of(inst))
        if bits > NOTIFICATION_BITS:
            problems.add(inst.node.get("name"), f"component '{inst.name}' receives {bits} events, interrupts and "
                                                f"ring wake-ups; at most {NOTIFICATION_BITS} fit its notification")

    problems.stop()
    system.interfaces = {n: i for n, i in interfaces.loaded.items() if i is not None}
    return system


def _find_cycle(start, graph):
    """A cycle through start in graph (name -> set of names), as a list of names, or None."""
    stack, on_path = [(start, iter(sorted(graph.get(start, ()))))], [start]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.pop()
            continue
        if child == start:
            return list(on_path)
        if child not in on_path:
            stack.append((child, iter(sorted(graph.get(child, ())))))
            on_path.append(child)
    return None
