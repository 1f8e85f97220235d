"""The generator's picture of a system: interfaces with their types, component
types with their ports, instances, connections and groups, plus what each
connection's test does (calls, lengths, events, requests).  It mirrors what
codegen computes (codegen/selgen/model.py): type sizes and alignment, message
words, generated C names, notification bits, so the generator can keep every
system inside the rules.
"""

SCALARS = {
    "int8": ("int8_t", 1), "int16": ("int16_t", 2), "int32": ("int32_t", 4), "int64": ("int64_t", 8),
    "uint8": ("uint8_t", 1), "uint16": ("uint16_t", 2), "uint32": ("uint32_t", 4), "uint64": ("uint64_t", 8),
    "bool": ("bool", 1),
}
MAX_MESSAGE_WORDS = 120
NOTIFICATION_BITS = 62
MAX_NAME = 40
PAGE = 4096
LARGE_PAGE = 2 << 20
# codegen's reserved port names (model.C_RESERVED).
C_RESERVED = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false", "main", "init", "run", "exit", "printf", "malloc", "free",
}


def page_round(n, page=PAGE):
    return (n + page - 1) // page * page


def frames_bytes(size):
    """What codegen maps for size bytes (layout.Spec.frames): 2 MiB pages when a multiple of 2 MiB, else 4 KiB."""
    if size % LARGE_PAGE == 0:
        return size
    return page_round(size)


class Type:
    """A type of an interface, laid out as codegen lays it out."""
    _next_uid = 0

    def __init__(self, name, kind, ctype, size, align, fields=None, values=None, element=None, count=None,
                 iface=None):
        self.name, self.kind, self.ctype, self.size, self.align = name, kind, ctype, size, align
        self.fields, self.values, self.element, self.count = fields or [], values or [], element, count
        self.iface = iface
        Type._next_uid += 1
        self.uid = Type._next_uid

    @property
    def words(self):
        return (self.size + 7) // 8

    def decl(self, name):
        if self.kind == "array":
            return f"{self.element.ctype} {name}[{self.count}]"
        return f"{self.ctype} {name}"

    def depends(self):
        """The non-scalar types this one is made of (for ordering helper functions)."""
        if self.kind == "struct":
            return [t for _, t in self.fields]
        if self.kind == "array":
            return [self.element]
        return []


def scalar(name):
    ctype, size = SCALARS[name]
    return Type(name, "scalar", ctype, size, size)


BUFFER = Type("buffer", "buffer", None, 0, 8)


def array_of(element, count):
    return Type(f"{element.name}[{count}]", "array", element.ctype, element.size * count, element.align,
                element=element, count=count)


def struct_type(iface_name, name, fields):
    offset, align = 0, 1
    for _, t in fields:
        offset = (offset + t.align - 1) // t.align * t.align + t.size
        align = max(align, t.align)
    size = (offset + align - 1) // align * align
    return Type(name, "struct", f"{iface_name}_{name}_t", size, align, fields=fields, iface=iface_name)


def enum_type(iface_name, name, values):
    return Type(name, "enum", f"{iface_name}_{name}_t", 4, 4, values=values, iface=iface_name)


class Param:
    def __init__(self, name, type, direction):
        self.name, self.type, self.dir = name, type, direction


class Procedure:
    def __init__(self, name, params, returns, index):
        self.name, self.params, self.returns, self.index = name, params, returns, index

    @property
    def ins(self):
        return [p for p in self.params if p.dir in ("in", "inout")]

    @property
    def outs(self):
        return [p for p in self.params if p.dir in ("out", "inout")]

    @property
    def buffers(self):
        return [p for p in self.params if p.type.kind == "buffer"]

    def request_words(self):
        return sum(2 if p.type.kind == "buffer" else p.type.words for p in self.ins)

    def reply_words(self):
        ret = self.returns.words if self.returns else 0
        return ret + sum(1 if p.type.kind == "buffer" else p.type.words for p in self.outs)


class Interface:
    def __init__(self, name, kind):
        self.name, self.kind = name, kind      # kind: rpc | ring | event
        self.types = []                        # named types (structs, enums) in order
        self.procedures = []
        self.events = []
        self.ring_request = self.ring_response = None

    @property
    def uses_buffer(self):
        return any(p.buffers for p in self.procedures)

    def all_types(self):
        """Every type the interface's C needs helpers for: named ones, array types in fields and params."""
        seen, out = set(), []

        def add(t):
            if t.kind in ("scalar", "buffer") or t.uid in seen:
                return
            for d in t.depends():
                add(d)
            seen.add(t.uid)
            out.append(t)
        for t in self.types:
            add(t)
        for proc in self.procedures:
            for p in proc.params:
                add(p.type)
            if proc.returns:
                add(proc.returns)
        return out


class Port:
    def __init__(self, name, kind, iface=None):
        self.name, self.kind, self.iface = name, kind, iface   # kind: provides uses emits consumes dataports
        self.conns = []           # of every instance of the component type

    def conns_of(self, inst):
        """The connections at this port of one instance (instances of a type share their ports)."""
        return [c for c in self.conns
                if (c.src is inst and c.src_port is self) or (c.dst is inst and c.dst_port is self)]

    def generated_names(self):
        """The C names codegen's glue defines for the port (model.generated_names)."""
        n = self.name
        if self.kind == "dataports":
            return [n, f"{n}_size", f"{n}_paddr"]
        if self.kind == "emits":
            return [f"{n}_emit_{e}" for e in self.iface.events] if self.iface else [f"{n}_emit"]
        if self.kind == "consumes":
            return [f"{n}_wait", f"{n}_poll", f"{n}_callback"]
        if self.iface.kind == "ring":
            role = ["submit", "completion"] if self.kind == "uses" else ["request", "complete"]
            return [f"{n}_{r}" for r in role + ["notify", "wait", "poll", "callback"]]
        names = [f"{n}_{proc.name}" for proc in self.iface.procedures]
        return names + ([f"{n}_client", f"{n}_client_name"] if self.kind == "provides" else [])


class ComponentType:
    def __init__(self, name, control):
        self.name, self.control = name, control
        self.ports = {}

    def can_add(self, port):
        if port.name in self.ports or port.name in C_RESERVED:
            return False
        taken = set(self.ports)
        for p in self.ports.values():
            taken.update(p.generated_names())
        new = port.generated_names()
        return not (set(new) & taken) and port.name not in taken and len(set(new)) == len(new)


class Device:
    """A device-tree node given to an instance, and what its test does."""

    def __init__(self, node, kind, name, as_name, irqs, regs):
        self.node, self.kind, self.name, self.as_name, self.irqs, self.regs = node, kind, name, as_name, irqs, regs


class Instance:
    def __init__(self, name, ctype, priority, hart, rank):
        self.name, self.type, self.priority, self.hart, self.rank = name, ctype, priority, hart, rank
        self.stack = self.heap = None          # bytes, or None for the default
        self.restart = None
        self.devices = []
        self.group = None

    @property
    def provides_rpc(self):
        return any(p.kind == "provides" and p.iface.kind == "rpc" for p in self.type.ports.values())

    @property
    def dispatch(self):
        """codegen's layout: the component has something to dispatch (layout.build)."""
        ports = self.type.ports.values()
        return (self.provides_rpc or any(p.kind == "consumes" for p in ports) or bool(self.devices)
                or any(p.kind in ("provides", "uses") and p.iface.kind == "ring" for p in ports))

    @property
    def runs_loop(self):
        return self.dispatch and not self.type.control

    @property
    def threads(self):
        return 2 if self.type.control and self.provides_rpc else 1

    def notification_bits(self):
        bits = sum(len(d.irqs) for d in self.devices)
        for port in self.type.ports.values():
            if port.kind == "consumes":
                bits += len(port.iface.events) if port.iface else 1
            if port.kind in ("provides", "uses") and port.iface.kind == "ring":
                bits += len(port.conns_of(self))
        return bits


class Connection:
    def __init__(self, kind, src, src_port, dst, dst_port):
        self.kind = kind
        self.src, self.src_port, self.dst, self.dst_port = src, src_port, dst, dst_port
        self.index = None
        self.size = None          # dataport bytes (None: the default 4K)
        self.entries = None       # ring entries (None: the default 64)
        self.wake = None          # ring wake (None: the default)
        self.buffer = None        # rpc buffer bytes (None: the default 4K when the interface has buffers)
        self.seed = 0
        # rpc: calls as (procedure index, [per buffer parameter (a, b, c)]) -- see generate.plan_rpc
        self.calls = []
        self.client_index = 0     # rpc: the client's index among the server port's clients
        # ring: requests to send, most outstanding at once, the tag salt
        self.requests = self.outstanding = 0
        self.salt = 0
        # dataport: which side writes first, the two handshake event connections
        self.writer = None
        self.go = self.back = None
        self.unit = None          # the dataport a handshake event belongs to
        self.forward = None       # rpc: made from inside the handlers of this provided port of the client
        self.forward_base = None  # its planned calls, reused round-robin (edit.fix_forwards)

    @property
    def label(self):
        return f"{self.src.name}.{self.src_port.name} -> {self.dst.name}.{self.dst_port.name}"

    def usable_buffer(self):
        return frames_bytes(self.buffer if self.buffer is not None else 4096)


class Group:
    def __init__(self, name, members):
        self.name, self.members = name, members


class System:
    def __init__(self, name, seed):
        self.name, self.seed = name, seed
        self.harts = 2
        self.memory = None        # bytes, or None for the default 256M
        self.machine_given = False
        self.instances, self.connections, self.groups = [], [], []
        self.interfaces = []
        self.avoided = []         # findings the generator steered around (--avoid)

    def memory_bytes(self):
        return self.memory if self.memory else 256 << 20

    def summary(self):
        kinds = {}
        for c in self.connections:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        parts = [f"{len(self.instances)} components", f"{self.harts} harts"]
        parts.append(", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no connections")
        ctl = sum(1 for i in self.instances if i.type.control)
        parts.append(f"{ctl} control")
        types = len({i.type.name for i in self.instances})
        if types < len(self.instances):
            parts.append(f"{len(self.instances) - types} more instances of a type")
        forwards = sum(1 for c in self.connections if c.forward is not None)
        if forwards:
            parts.append(f"{forwards} rpc from handlers")
        if self.groups:
            parts.append(f"{len(self.groups)} groups")
        devs = [d.kind for i in self.instances for d in i.devices]
        if devs:
            parts.append("devices " + "+".join(devs))
        return "; ".join(parts)
