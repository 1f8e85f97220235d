"""The minimal system of each finding (FINDINGS.md), built from the model by
hand, so that `tools/randsys/run --findings` shows which still fail.

Each is written to build/random/findings/<name>/ with the same test code as
a drawn system, and judged the same way.  A finding is fixed when its
system passes (or, for a name C cannot take, when codegen rejects it).
"""
from .generate import Drawer, Options
from .model import (BUFFER, ComponentType, Connection, Instance, Interface, Param, Port, Procedure, System,
                    array_of, enum_type, scalar, struct_type)

M = 1 << 20


class Build:
    """A small system put together by hand."""

    def __init__(self, name):
        self.system = System(name, 0)
        self.drawer = Drawer(0, Options())
        self.drawer.system = self.system

    def comp(self, name, control=False, priority=100, hart=0, stack=None, heap=None):
        inst = Instance(name, ComponentType(name, control), priority, hart, len(self.system.instances))
        inst.stack, inst.heap = stack, heap
        self.system.instances.append(inst)
        return inst

    def port(self, inst, name, kind, iface=None):
        port = Port(name, kind, iface)
        inst.type.ports[name] = port
        if iface is not None and iface not in self.system.interfaces:
            self.system.interfaces.append(iface)
        return port

    def connect(self, kind, a, ap, b, bp):
        c = Connection(kind, a, ap, b, bp)
        ap.conns.append(c)
        bp.conns.append(c)
        self.system.connections.append(c)
        return c

    def rpc(self, client, server, iface, cport="call", sport="serve"):
        sp = server.type.ports.get(sport) or self.port(server, sport, "provides", iface)
        return self.connect("rpc", client, self.port(client, cport, "uses", iface), server, sp)

    def event(self, a, b, iface=None, emit=None, eport="ping", cport="pong"):
        ep = a.type.ports.get(eport) or self.port(a, eport, "emits", iface)
        ep.emit_events = emit if emit is not None else (list(iface.events) if iface else None)
        cp = b.type.ports.get(cport) or self.port(b, cport, "consumes", iface)
        return self.connect("event", a, ep, b, cp)

    def dataport(self, a, b, size):
        c = self.connect("dataport", a, self.port(a, "shared", "dataports"), b, self.port(b, "shared", "dataports"))
        c.size, c.writer = size, a
        c.go = self.event(a, b, eport="go", cport="go_in")
        c.back = self.event(b, a, eport="back", cport="back_in")
        c.go.unit = c.back.unit = c
        return c

    def ring(self, client, server, iface, entries, requests, outstanding):
        c = self.connect("ring", client, self.port(client, "jobs", "uses", iface), server,
                         self.port(server, "jobs", "provides", iface))
        c.entries, c.requests, c.outstanding = entries, requests, outstanding
        return c

    def done(self):
        clients = {}
        for i, c in enumerate(self.system.connections):
            c.index = i
            c.seed = 0x5eed0000 + i
            if c.kind == "rpc":
                key = (c.dst.name, c.dst_port.name)
                c.client_index = clients.get(key, 0)
                clients[key] = c.client_index + 1
                procs = c.dst_port.iface.procedures
                c.calls = [(p.index, self.drawer._plan_buffers(p, c.usable_buffer() if c.dst_port.iface.uses_buffer
                                                                 else 0)) for p in procs]
        for inst in self.system.instances:
            for p in inst.type.ports.values():
                if p.kind == "emits" and not hasattr(p, "emit_events"):
                    p.emit_events = list(p.iface.events) if p.iface else None
        return self.system


def rpc_iface(name, procs):
    iface = Interface(name, "rpc")
    for i, (pname, params, returns) in enumerate(procs):
        iface.procedures.append(Procedure(pname, [Param(n, t, d) for n, t, d in params], returns, i))
    return iface


def event_iface(name, events):
    iface = Interface(name, "event")
    iface.events = list(events)
    return iface


def client_server(name, iface, control=False):
    b = Build(name)
    c, s = b.comp("client", control=control), b.comp("server", priority=150)
    b.rpc(c, s, iface)
    return b


U32, U8 = scalar("uint32"), scalar("uint8")


def array_return():
    return client_server("array_return", rpc_iface("bytes", [("get", [("x", U32, "in")], array_of(U8, 4))])).done()


def empty_request():
    return client_server("empty_request", rpc_iface("counter", [("next", [], U32)])).done()


def inout_buffer():
    return client_server("inout_buffer", rpc_iface("text", [("upper", [("s", BUFFER, "inout")], None)])).done()


def out_buffer_order():
    return client_server("out_buffer_order", rpc_iface("reader", [("read", [("data", BUFFER, "out"),
                                                                          ("at", U32, "in")], None)])).done()


def out_buffer_words():
    iface = rpc_iface("filler", [("fill", [("values", array_of(scalar("uint64"), 119), "in"),
                                           ("data", BUFFER, "out")], None)])
    system = client_server("out_buffer_words", iface).done()
    system.connections[0].calls = [(0, [(0, 64, 64, 16)])]    # room for 64 bytes, 16 come back
    return system


def event_subset():
    b = Build("event_subset")
    a, c = b.comp("emitter"), b.comp("consumer")
    b.event(a, c, event_iface("signals", ["first", "second"]), emit=["first"])
    return b.done()


def big_stack():
    b = Build("big_stack")
    b.comp("deep", stack=16 * M - 8 * 1024)
    return b.done()


def big_heap():
    b = Build("big_heap")
    b.comp("greedy", heap=64 * M)
    return b.done()


def bit_62():
    b = Build("bit_62")
    a = b.comp("emitter", control=True)
    c = b.comp("consumer")                 # runs the loop: bit 0 is its timers' alarm
    b.port(c, "unused", "provides", rpc_iface("nothing", [("noop", [("x", U32, "in")], None)]))
    b.event(a, c, event_iface("many", [f"e{i}" for i in range(32)]), eport="first", cport="first_in")
    b.event(a, c, event_iface("more", [f"f{i}" for i in range(30)]), eport="second", cport="second_in")
    return b.done()


def loader_heap():
    b = Build("loader_heap")
    a, c = b.comp("writer"), b.comp("reader")
    b.dataport(a, c, 96 * M + 4096)        # 4 KiB frames: 24577 objects
    b.system.memory = 512 * M
    b.system.machine_given = True
    return b.done()


def duplicate_event():
    b = Build("duplicate_event")
    a, c = b.comp("emitter"), b.comp("consumer")
    b.event(a, c)
    b.event(a, c)
    return b.done()


def control_ring_full():
    b = Build("control_ring_full")
    client = b.comp("client", control=True, priority=199)
    server = b.comp("server", control=True, priority=212)
    iface = Interface("work", "ring")
    job = struct_type("work", "job", [("value", scalar("uint64"))])
    iface.types.append(job)
    iface.ring_request = iface.ring_response = job
    b.ring(client, server, iface, entries=2, requests=7, outstanding=4)
    return b.done()


def medlow():
    b = Build("medlow")
    for i in range(20):
        b.comp(f"c{i}")
    return b.done()


def late_harts():
    b = Build("late_harts")
    b.system.harts, b.system.machine_given = 8, True
    for i in range(8):
        b.comp(f"on_hart_{i}", hart=i)
    return b.done()


def enum_constant_clash():
    iface = rpc_iface("paint", [])
    first, second = enum_type("paint", "shade", ["dark_red"]), enum_type("paint", "shade_dark", ["red"])
    iface.types += [first, second]
    iface.procedures = [Procedure("mix", [Param("a", first, "in"), Param("b", second, "in")], U32, 0)]
    return client_server("enum_constant_clash", iface).done()


def type_name_clash():
    b = Build("type_name_clash")
    c, s = b.comp("client"), b.comp("server", priority=150)
    one = rpc_iface("geo_point", [])
    t1 = struct_type("geo_point", "xy", [("x", U32)])
    one.types.append(t1)
    one.procedures = [Procedure("put", [Param("p", t1, "in")], U32, 0)]
    two = rpc_iface("geo", [])
    t2 = struct_type("geo", "point_xy", [("a", scalar("uint64")), ("b", scalar("uint64"))])
    two.types.append(t2)
    two.procedures = [Procedure("put", [Param("p", t2, "in")], U32, 0)]
    b.rpc(c, s, one, "first", "first_in")
    b.rpc(c, s, two, "second", "second_in")
    return b.done()


def keyword_parameter():
    return client_server("keyword_parameter", rpc_iface("calc", [("twice", [("int", U32, "in")], U32)])).done()


def glue_local_parameter():
    return client_server("glue_local_parameter", rpc_iface("calc", [("twice", [("mr", U32, "in")], U32)])).done()


def libc_port_name():
    b = Build("libc_port_name")
    a, c = b.comp("writer"), b.comp("reader")
    d = b.dataport(a, c, 4096)
    for inst in (a, c):
        port = inst.type.ports.pop("shared")
        port.name = "memcpy"
        inst.type.ports["memcpy"] = port
    del d
    return b.done()


def baseline():
    """Every kind of connection once: passes, so the fixtures themselves work."""
    b = Build("baseline")
    c, s = b.comp("client", control=True), b.comp("server", priority=150)
    b.rpc(c, s, rpc_iface("calc", [("twice", [("x", U32, "in")], U32)]))
    b.event(c, s)
    iface = Interface("work", "ring")
    job = struct_type("work", "job", [("value", scalar("uint64"))])
    iface.types.append(job)
    iface.ring_request = iface.ring_response = job
    b.ring(c, s, iface, entries=4, requests=9, outstanding=4)
    b.dataport(s, c, 4096)
    return b.done()


# name: (builder, what the minimal system is, C-name finding: codegen rejecting it counts as fixed)
FINDINGS = {
    "baseline": (baseline, "every kind of connection once (not a finding: must pass)", False),
    "array-return": (array_return, "a procedure returning uint8[4]", False),
    "empty-request": (empty_request, "a procedure with no in parameter", False),
    "inout-buffer": (inout_buffer, "a buffer parameter with dir: inout", False),
    "out-buffer-order": (out_buffer_order, "read(data: buffer out, at: uint32 in)", False),
    "out-buffer-words": (out_buffer_words, "fill(values: uint64[119] in, data: buffer out): 121 request words", False),
    "event-subset": (event_subset, "an emitter of events [first, second] emits first only", False),
    "big-stack": (big_stack, "one component with stack: 16376K", False),
    "big-heap": (big_heap, "one component with heap: 64M", False),
    "bit-62": (bit_62, "a loop component with an rpc port consuming 32 + 30 events", False),
    "loader-heap": (loader_heap, "a dataport of 96M + 4K (24577 frames)", False),
    "duplicate-event": (duplicate_event, "the same event connection listed twice", False),
    "control-ring-full": (control_ring_full, "control ring server at 212 above its control client at 199 on hart 0, "
                                             "2 entries, 4 requests outstanding", False),
    "medlow": (medlow, "20 components without ports (the 19th image starts above 2 GiB)", False),
    "late-harts": (late_harts, "8 harts, a component on each (fails only on a loaded host)", False),
    "enum-constant-clash": (enum_constant_clash, "enums shade [dark_red] and shade_dark [red] in one interface",
                            False),
    "type-name-clash": (type_name_clash, "struct xy of interface geo_point and struct point_xy of interface geo "
                                         "used by one component", False),
    "keyword-parameter": (keyword_parameter, "a parameter called int", True),
    "glue-local-parameter": (glue_local_parameter, "a parameter called mr", True),
    "libc-port-name": (libc_port_name, "a dataport called memcpy", True),
}


# ---- which drawn systems have a finding's construct ---------------------------------------

def _procs(system):
    for c in system.connections:
        if c.kind == "rpc":
            yield from c.dst_port.iface.procedures


def _out_buffer_first(proc):
    seen_out_buffer = False
    for p in proc.params:
        if p.type.kind == "buffer" and p.dir == "out":
            seen_out_buffer = True
        elif p.dir != "out" and seen_out_buffer:
            return True
    return False


def _enum_constants_clash(system):
    for iface in system.interfaces:
        names = [f"{iface.name}_{t.name}_{v}".upper() for t in iface.types if t.kind == "enum" for v in t.values]
        if len(names) != len(set(names)):
            return True
    return False


def _type_names_clash(system):
    for inst in system.instances:
        seen = {}
        for p in inst.type.ports.values():
            if p.iface is not None:
                for t in p.iface.types:
                    if seen.setdefault(t.ctype, p.iface.name) != p.iface.name:
                        return True
    return False


def _bit_62(system, drawer):
    return any(i.runs_loop and i.provides_rpc and i.notification_bits() >= 62 for i in system.instances)


def _control_ring_full(system, drawer):
    return any(c.kind == "ring" and c.dst.type.control and c.src.type.control and c.dst.hart == c.src.hart
               and c.dst.priority > c.src.priority and c.outstanding > (c.entries or 64) for c in system.connections)


PREDICATES = {
    "array-return": lambda s, d: any(p.returns is not None and p.returns.kind == "array" for p in _procs(s)),
    "empty-request": lambda s, d: any(all(q.dir == "out" for q in p.params) for p in _procs(s)),
    "inout-buffer": lambda s, d: any(q.type.kind == "buffer" and q.dir == "inout" for p in _procs(s)
                                     for q in p.params),
    "out-buffer-order": lambda s, d: any(_out_buffer_first(p) for p in _procs(s)),
    "out-buffer-words": lambda s, d: any(p.request_words() + 2 * sum(1 for q in p.params if q.type.kind == "buffer"
                                                                     and q.dir == "out") > 120 for p in _procs(s)),
    "event-subset": lambda s, d: any(p.kind == "emits" and p.iface is not None and p.conns
                                     and len(p.emit_events) < len(p.iface.events)
                                     for i in s.instances for p in i.type.ports.values()),
    "big-stack": lambda s, d: any((i.stack or 0) > 16 * M - 12 * 1024 for i in s.instances),
    "big-heap": lambda s, d: any((i.heap or 0) >= 63 * M for i in s.instances),
    "bit-62": _bit_62,
    "loader-heap": lambda s, d: d.objects() > 21800,
    "duplicate-event": lambda s, d: len({(c.src.name, c.src_port.name, c.dst.name, c.dst_port.name)
                                         for c in s.connections if c.kind == "event"})
                                    < sum(1 for c in s.connections if c.kind == "event"),
    "control-ring-full": _control_ring_full,
    "medlow": lambda s, d: d.image_bases()[-1] + 64 * M > 2 << 30,
    "late-harts": lambda s, d: s.harts >= 3,
    "enum-constant-clash": lambda s, d: _enum_constants_clash(s),
    "type-name-clash": lambda s, d: _type_names_clash(s),
}


def seeds_showing(name, start, count, scale="normal"):
    """Seeds in start.. whose system, drawn with every other finding avoided, has the construct of name."""
    from .generate import AVOIDABLE
    avoid = [a for a in AVOIDABLE if a != name]
    found = []
    for seed in range(start, start + count):
        d = Drawer(seed, Options(avoid=avoid, scale=scale))
        s = d.draw()
        if PREDICATES[name](s, d):
            found.append(seed)
    return found, avoid
