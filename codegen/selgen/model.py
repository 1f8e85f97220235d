"""What a system is: the interfaces in idl/, the component types of the
component.yaml files, and the instances and connections of a system.yaml,
once loaded and checked (interfaces.py, components.py, system.py).  Plain
objects with the facts the layout and the templates need.
"""
import re

DEFAULT_STACK = 16 * 1024
DEFAULT_HEAP = 64 * 1024
MAX_STACK = 8 << 20            # a thread's area holds its stack and IPC buffer (layout.THREAD_AREA, 16M)
MAX_HEAP = 64 << 20            # the image (layout.IMAGE_MAX, 128M) holds code, data and the heap
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


def parse_size(value):
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"([0-9]+)([KMG]?)", value)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]



# ---- interfaces ------------------------------------------------------------------

class Type:
    """A type usable in an interface: a scalar, an enum, a struct, an array of those, or buffer."""

    def __init__(self, name, kind, ctype, size, align, fields=None, values=None, element=None, count=None,
                 node=None):
        self.name, self.kind, self.ctype, self.size, self.align = name, kind, ctype, size, align
        self.fields, self.values, self.element, self.count = fields or [], values or [], element, count
        self.node = node             # where an interface defines it (structs and enums)

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
        """Words of a request: each in or inout value, and per buffer its offset and length (in), offset and
        room (out), or all three (inout)."""
        words = 0
        for p in self.params:
            if p.type.kind == "buffer":
                words += 3 if p.dir == "inout" else 2
            elif p.dir in ("in", "inout"):
                words += p.type.words
        return words

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


class ComponentType:
    def __init__(self, name, folder, file, control):
        self.name, self.folder, self.file, self.control = name, folder, file, control
        self.ports = {}
        self.sources = []            # C files: the folder's, and any listed under 'sources'
        self.default_handlers = False
        self.optional = set()        # rpc ports it uses that a system may leave unconnected
        self.dma = {}                # private DMA regions: name -> bytes (physically contiguous, mapped here only)
        self.dma_nodes = {}          # name -> where component.yaml names it


# ---- the system ------------------------------------------------------------------

class Device:
    def __init__(self, name, dt_device, node, irq="notification"):
        self.name, self.dt, self.node = name, dt_device, node
        self.irq = irq               # how its interrupts come: notification bits, or tokens to the loop thread
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
    """One connection.  node is where system.yaml describes it; a connection a pass adds (an implicit one)
    has the node of what caused it, and its ends named in ends ('from', 'to' as component.port)."""

    def __init__(self, kind, node, index, ends=None):
        self.kind, self.node, self.index = kind, node, index
        self.ends = ends or (node.value("from"), node.value("to"))
        self.from_inst = self.from_port = self.to_inst = self.to_port = None
        self.size = self.entries = self.buffer = None
        self.data = 0                # ring: bytes of the data region shared by the two ends (0: none)
        self.wake = "notification"
        self.interface = None

    @property
    def label(self):
        return f"{self.ends[0]} -> {self.ends[1]}"


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
