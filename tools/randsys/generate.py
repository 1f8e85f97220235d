"""Draws a random valid system from a seed.

Everything comes from one random.Random(seed), so a seed names a system.
Values are drawn near the edges of what docs/system.md and codegen allow:
names up to their limits, 1..8 harts, priorities 1..254, stack and heap from
4K to 64M, dataports from 1 byte to 1G, rings of 2..65536 entries, rpc
messages of up to 120 words, notification bits up to 62, several clients on
one rpc port, groups named and not, control components with rpc threads,
devices.  The rules codegen enforces are kept (no rpc cycles at all, every
uses port and dataport connected, generated C names distinct, ...).

Options.avoid names findings (FINDINGS.md) whose construct is left out;
by default nothing is.
"""
import random

from .edit import drop_instance, fix_forwards
from .model import (BUFFER, C_RESERVED, LARGE_PAGE, MAX_MESSAGE_WORDS, MAX_NAME, NOTIFICATION_BITS, SCALARS,
                    ComponentType, Connection, Device, Group, Instance, Interface, Param, Port, Procedure, System,
                    array_of, enum_type, frames_bytes, page_round, scalar, struct_type)

K, M, G = 1 << 10, 1 << 20, 1 << 30

# Findings (FINDINGS.md) the generator can steer around with --avoid, and what avoiding them means.
AVOIDABLE = {
    "array-return": "no procedure returns an array",
    "empty-request": "every procedure has an in or inout parameter (its request is not empty)",
    "inout-buffer": "no buffer parameter is inout",
    "event-subset": "an emitter of an event interface emits every event of it",
    "big-stack": "stacks stay at most 16M - 12K (the 16 MiB thread area also holds a guard page and the IPC buffer)",
    "big-heap": "heaps stay at most 32M (the image must fit in 64 MiB)",
    "bit-62": "a loop component receives at most 61 events, interrupts and ring wake-ups",
    "out-buffer-order": "buffer out parameters come after every in and inout parameter",
    "out-buffer-words": "a request leaves 2 words for each buffer out parameter (codegen does not count them)",
    "loader-heap": "at most 20000 objects (the loader's 256 KiB heap holds 12 bytes per object)",
    "late-harts": "at most 4 harts, and the runner boots a system again (twice at most) when the kernel says a "
                  "hart is not online (it waits one second for the others to come up)",
    "duplicate-event": "no event connection is listed twice",
    "control-ring-full": "a ring client keeps at most as many requests outstanding as the ring has entries",
    "medlow": "every component image lies below 2 GiB (components are compiled for the medlow code model)",
}

WORDS = ("alpha bravo cedar delta ember fjord gamma harbor iris jade kilo lumen mango nectar opal pixel quartz raven "
         "sable tango umber vortex willow xenon yarrow zephyr amber birch coral dune echo flint grove haze ivy "
         "juniper kelp lark moss nova onyx pine quill reef sage tide vale wren yew zinc acorn basil comet drift "
         "fable glint heron inlet jolt knot ledge marsh north orbit plume ridge shoal thorn ultra verge wisp").split()

DEVICES = {
    # kind: (node, default name, irqs, regs, weight)
    "serial": ("serial@10000000", "serial", [10], 1, 5),
    "rtc": ("rtc@101000", "rtc", [11], 1, 5),
    "fw_cfg": ("fw-cfg@10100000", "fw_cfg", [], 1, 3),
    "flash": ("flash@20000000", "flash", [], 2, 1),
    "pci": ("pci@30000000", "pci", [], 1, 1),
    "test": ("test@100000", "test", [], 1, 1),
}
for _i in range(1, 9):
    DEVICES[f"virtio{_i}"] = (f"virtio_mmio@1000{_i}000", "virtio_mmio", [_i], 1, 1)


class Options:
    def __init__(self, avoid=(), scale="normal", hostile=False):
        unknown = set(avoid) - set(AVOIDABLE)
        if unknown:
            raise ValueError(f"unknown findings to avoid: {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(AVOIDABLE))})")
        self.avoid = set(avoid)
        self.scale = scale        # small (make test) | normal | large
        self.hostile = hostile    # names from HOSTILE now and then


# --hostile: names the documented rules allow (lower-case identifiers) that C or the glue may not take.
# With them, codegen rejecting the system (with its message) also passes; anything else must work.
HOSTILE = {
    "any": ["memcpy", "memset", "strlen", "strcmp", "puts", "abort", "stdout", "errno", "size_t", "uint8_t",
            "int32_t", "uint64_t", "va_list", "snprintf", "vsnprintf", "_start", "_exit", "glue_pending",
            "glue_take", "glue_role", "component_loop", "sel_wait", "sel_call", "sel_signal", "sel_word_t",
            "sel_msginfo_t", "slot", "rpc_badge", "__glue_main", "__heap_start", "assert", "offsetof"],
    "param": ["mr", "info", "offset", "result", "int", "char", "if", "struct", "default", "true"],
    "field": ["int", "char", "double", "for", "unsigned", "main"],
    "value": ["red", "int", "default", "ok"],
    "event": ["int", "default", "wait"],
    "procedure": ["int", "return", "main", "exit"],
    "type": ["int", "t", "uint8_t"],
}


class Names:
    """Fresh identifiers, now and then long (up to a limit), short, with digits or a leading underscore."""

    def __init__(self, rng, hostile=False):
        self.rng, self.used, self.hostile = rng, set(), hostile

    def fresh(self, limit=64, kind=None):
        r = self.rng
        if self.hostile and kind is not None and r.random() < 0.04:
            pool = [n for n in HOSTILE["any"] + HOSTILE.get(kind, []) if n not in self.used and len(n) <= limit
                    and not (kind == "port" and n in C_RESERVED)]
            if pool:
                name = r.choice(pool)
                self.used.add(name)
                return name
        prefix = ""
        for _ in range(1000):
            roll = r.random()
            if roll < 0.06:
                name = self._long(limit)
            elif roll < 0.10:
                name = r.choice("abcdefghijklmnopqrstuvwxyz") + r.choice(["", str(r.randrange(10))])
            elif roll < 0.13:
                name = "_" + r.choice(WORDS) + str(r.randrange(100))
            else:
                name = "_".join(r.choice(WORDS) for _ in range(r.choice((1, 1, 2, 2, 3))))
                if r.random() < 0.3:
                    name += str(r.randrange(1000))
            name = (prefix + name)[:limit]
            if name.endswith("_") and len(name) > 1 and r.random() < 0.5:
                name = name.rstrip("_") or name
            if (name in self.used or name in C_RESERVED or name.startswith(("rs_", "__", "glue", "sel_"))
                    or name in SCALARS or name in ("buffer", "loader", "client", "client_name", "component")
                    or name.startswith("component_")):
                continue
            self.used.add(name)
            return name
        raise RuntimeError("ran out of names")

    def _long(self, limit):
        r = self.rng
        length = r.choice([limit, limit, limit - 1, r.randrange(max(2, limit // 2), limit + 1)])
        name = r.choice(WORDS)
        while len(name) < length:
            name += r.choice(["_", ""]) + r.choice(WORDS)
        name = name[:length]
        return name if not name.endswith("_") else name[:-1] + "x"


class Drawer:
    def __init__(self, seed, options):
        self.rng = random.Random(seed)
        self.opt = options
        self.names = Names(self.rng, options.hostile)
        self.seed = seed

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, weighted):
        """One of [(value, weight), ...]."""
        total = sum(w for _, w in weighted)
        x = self.rng.random() * total
        for v, w in weighted:
            x -= w
            if x < 0:
                return v
        return weighted[-1][0]

    # ---- types and interfaces ----------------------------------------------------

    def scalar_type(self):
        return scalar(self.rng.choice(list(SCALARS)))

    def value_type(self, iface, max_words, depth=0):
        """A type for a field, parameter or message of at most max_words words (None if none fits)."""
        r = self.rng
        for _ in range(20):
            roll = r.random()
            named = [t for t in iface.types if t.words <= max_words]
            if roll < 0.45 or max_words < 1:
                t = self.scalar_type()
            elif roll < 0.75 and named:
                t = r.choice(named)
            else:
                base = r.choice(named) if named and r.random() < 0.4 else self.scalar_type()
                room = max_words * 8 // max(base.size, 1)
                if room < 1:
                    continue
                count = self.pick([(r.randrange(1, 5), 5), (r.randrange(1, 17), 3), (min(room, 4096), 1),
                                   (r.randrange(1, min(room, 4096) + 1), 2)])
                count = max(1, min(count, room, 4096))
                t = array_of(base, count)
            if t.words <= max_words:
                return t
        return None

    def add_named_types(self, iface, budget_words):
        r = self.rng
        for _ in range(self.pick([(0, 2), (1, 3), (2, 3), (4, 2), (7, 1)])):
            name = self.names.fresh(48, "type")
            if self.chance(0.35):
                count = self.pick([(1, 1), (r.randrange(2, 6), 6), (r.randrange(6, 40), 1), (256, 0.2)])
                values = [self.names.fresh(40, "value") for _ in range(count)]
                iface.types.append(enum_type(iface.name, name, values))
            else:
                fields, fnames = [], set()
                for _ in range(self.pick([(1, 3), (2, 3), (r.randrange(3, 8), 3), (r.randrange(8, 20), 1)])):
                    t = self.value_type(iface, budget_words)
                    if t is None:
                        continue
                    fname = self.names.fresh(48, "field")
                    fields.append((fname, t))
                if not fields:
                    fields = [(self.names.fresh(48, "field"), self.scalar_type())]
                st = struct_type(iface.name, name, fields)
                if st.words > budget_words:
                    st = struct_type(iface.name, name, fields[:1])
                iface.types.append(st)

    def rpc_interface(self):
        r = self.rng
        iface = Interface(self.names.fresh(56, "interface"), "rpc")
        self.add_named_types(iface, 40)
        nprocs = self.pick([(1, 4), (2, 4), (r.randrange(3, 7), 4), (r.randrange(7, 16), 1), (40, 0.1)])
        for index in range(nprocs):
            iface.procedures.append(self.procedure(iface, index))
        return iface

    def procedure(self, iface, index):
        r = self.rng
        name = self.names.fresh(56, "procedure")
        params, names = [], set()
        req = rep = 0
        fill_to_edge = self.chance(0.08)
        nparams = self.pick([(0, 1), (1, 3), (2, 3), (r.randrange(3, 7), 3), (r.randrange(7, 14), 1)])
        returns = None
        if self.chance(0.6):
            allow_array = "array-return" not in self.opt.avoid
            for _ in range(10):
                t = self.value_type(iface, 60)
                if t is not None and (allow_array or t.kind != "array"):
                    returns = t
                    break
        rep = returns.words if returns else 0
        for _ in range(nparams):
            direction = self.pick([("in", 6), ("out", 3), ("inout", 2)])
            if self.chance(0.15):
                if direction == "inout" and "inout-buffer" in self.opt.avoid:
                    direction = r.choice(["in", "out"])
                t = BUFFER
            else:
                room_req = MAX_MESSAGE_WORDS - req if direction != "out" else MAX_MESSAGE_WORDS
                room_rep = MAX_MESSAGE_WORDS - rep if direction != "in" else MAX_MESSAGE_WORDS
                room = min(room_req, room_rep, 60)
                if room < 1:
                    break
                t = self.value_type(iface, room)
                if t is None:
                    continue
            wreq = (2 if t.kind == "buffer" else t.words) if direction != "out" else 0
            if t.kind == "buffer" and direction == "out" and "out-buffer-words" in self.opt.avoid:
                wreq = 2
            wrep = (1 if t.kind == "buffer" else t.words) if direction != "in" else 0
            if req + wreq > MAX_MESSAGE_WORDS or rep + wrep > MAX_MESSAGE_WORDS:
                continue
            pname = self.names.fresh(40, "param")
            params.append(Param(pname, t, direction))
            req, rep = req + wreq, rep + wrep
        if fill_to_edge:
            # Make the request (or the reply) exactly as long as one message can be.
            side = r.choice(["in", "out"])
            room = MAX_MESSAGE_WORDS - (req if side == "in" else rep)
            if room > 0:
                params.append(Param(self.names.fresh(40), array_of(scalar("uint64"), room), side))
        if "empty-request" in self.opt.avoid and not any(p.dir != "out" for p in params):
            params.insert(0, Param(self.names.fresh(40), self.scalar_type(), "in"))
        if "out-buffer-order" in self.opt.avoid:
            params.sort(key=lambda p: p.type.kind == "buffer" and p.dir == "out")
        return Procedure(name, params, returns, index)

    def ring_interface(self):
        iface = Interface(self.names.fresh(56, "interface"), "ring")
        self.add_named_types(iface, 24)
        structs = [t for t in iface.types if t.kind == "struct"]
        for role in ("request", "response"):
            if structs and self.chance(0.5):
                t = self.rng.choice(structs)
            else:
                fields = []
                budget = 600 if self.chance(0.1) else 16      # now and then a message of kilobytes
                for _ in range(self.pick([(1, 3), (2, 3), (4, 2), (9, 1)])):
                    t = self.value_type(iface, budget)
                    if t is not None:
                        fields.append((self.names.fresh(40, "field"), t))
                if not fields:
                    fields = [(self.names.fresh(40, "field"), scalar("uint64"))]
                t = struct_type(iface.name, self.names.fresh(48, "type"), fields)
                iface.types.append(t)
                structs.append(t)
            setattr(iface, f"ring_{role}", t)
        return iface

    def event_interface(self, count=None):
        iface = Interface(self.names.fresh(56, "interface"), "event")
        if count is None:
            count = self.pick([(1, 3), (self.rng.randrange(2, 6), 5), (self.rng.randrange(6, 33), 1), (32, 1)])
        iface.events = [self.names.fresh(40, "event") for _ in range(count)]
        return iface

    # ---- the system -------------------------------------------------------------

    def draw(self):
        r, opt = self.rng, self.opt
        system = System(self._system_name(), self.seed)
        self.system = system
        if opt.scale == "small":
            n = self.pick([(1, 1), (2, 4), (r.randrange(3, 6), 8), (r.randrange(6, 10), 2)])
        elif opt.scale == "large":
            n = self.pick([(r.randrange(10, 30), 3), (r.randrange(30, 80), 1)])
        else:
            n = self.pick([(1, 1), (2, 4), (r.randrange(3, 8), 10), (r.randrange(8, 16), 3),
                           (r.randrange(16, 41), 1)])
        system.harts = self.pick([(1, 3), (2, 3), (r.randrange(3, 8), 2), (8, 2)])
        if "late-harts" in opt.avoid:
            system.harts = min(system.harts, 4)
        system.machine_given = system.harts != 2 or self.chance(0.3)
        same_priority = self.chance(0.1)
        common = r.choice([1, 254, r.randrange(1, 255)])
        ranks = list(range(n))
        r.shuffle(ranks)
        for i in range(n):
            iname = self.names.fresh(MAX_NAME)
            ctype = ComponentType(self.names.fresh(64), self.chance(0.5))
            prio = common if same_priority else self.pick([(1, 1), (254, 1), (r.randrange(1, 255), 8)])
            inst = Instance(iname, ctype, prio, r.randrange(system.harts), ranks[i])
            if self.chance(0.4):
                inst.stack = self._stack_size()
            if self.chance(0.35):
                inst.heap = self._heap_size()
            if self.chance(0.2):
                inst.restart = r.choice(["never", "on-fault"])
            system.instances.append(inst)

        self._connections()
        self._twins()
        self._forwarding()
        self._dangling_ports()
        self._devices()
        self._groups()
        for i, c in enumerate(system.connections):
            c.index = i
        self._plan_tests()
        if "loader-heap" in opt.avoid:
            self._fewer_objects(20000)
        if "medlow" in opt.avoid:
            while len(system.instances) > 1 and self.image_bases()[-1] + 64 * M > 2 * G:
                drop_instance(system, system.instances[-1])
        fix_forwards(system)
        self._memory()
        return system

    def objects(self):
        """How many objects the loader will create, roughly as codegen's layout makes them."""
        def frames(size):
            return size // LARGE_PAGE if size % LARGE_PAGE == 0 else page_round(size) // 4096
        n = 0
        for inst in self.system.instances:
            stack = inst.stack if inst.stack is not None else 16 * K
            n += 4 + inst.threads * (2 + stack // 4096)
            n += sum(d.regs * (32 * M if d.kind == "flash" else 256 * M if d.kind == "pci" else 4096) // 4096
                     for d in inst.devices)
        for c in self.system.connections:
            if c.kind == "dataport":
                n += frames(c.size if c.size is not None else 4096)
            elif c.kind == "ring":
                n += frames(self._ring_bytes(c))
            elif c.kind == "rpc" and c.dst_port.iface.uses_buffer:
                n += frames(c.buffer if c.buffer is not None else 4096)
        return n

    def image_bases(self):
        """Where each component's image starts (codegen's layout.build)."""
        def port_bytes(inst):
            total = 0
            for c in self.system.connections:
                if inst not in (c.src, c.dst):
                    continue
                if c.kind == "dataport":
                    total += page_round(c.size if c.size is not None else 4096) + 2 * LARGE_PAGE
                elif c.kind == "ring":
                    total += page_round(self._ring_bytes(c)) + 2 * LARGE_PAGE
                elif c.kind == "rpc" and c.dst_port.iface.uses_buffer:
                    total += page_round(c.buffer if c.buffer is not None else 4096) + 2 * LARGE_PAGE
            for d in inst.devices:
                total += d.regs * (page_round(32 * M if d.kind == "flash" else 256 * M if d.kind == "pci" else 4096)
                                   + 2 * 4096)
            return total
        bases, base = [], 0x10000000
        for inst in self.system.instances:
            bases.append(base)
            size = 64 * M + 2 * 16 * M + port_bytes(inst)
            base = (base + size + LARGE_PAGE - 1) // LARGE_PAGE * LARGE_PAGE + LARGE_PAGE
        return bases

    @staticmethod
    def _ring_bytes(c):
        e = c.entries or 64
        iface = c.src_port.iface
        one = lambda t: (192 + e * (8 + t.words * 8) + 63) // 64 * 64  # noqa: E731
        return one(iface.ring_request) + one(iface.ring_response)

    def _fewer_objects(self, limit):
        """Shrinks the biggest stacks, dataports, buffers and device windows until the objects fit."""
        while self.objects() > limit:
            big = max(self.system.instances, key=lambda i: i.stack or 0)
            if (big.stack or 0) > 8 * M:
                big.stack = 16 * K
                continue
            devs = [(i, d) for i in self.system.instances for d in i.devices if d.kind in ("flash", "pci")]
            if devs:
                i, d = devs[0]
                i.devices.remove(d)
                continue
            conns = [c for c in self.system.connections if (c.kind == "dataport" and (c.size or 0) > 4 * M
                                                            and (c.size or 0) % LARGE_PAGE)
                     or (c.kind == "rpc" and (c.buffer or 0) > 4 * M and (c.buffer or 0) % LARGE_PAGE)]
            if conns:
                if conns[0].kind == "dataport":
                    conns[0].size = 4096
                else:
                    conns[0].buffer = None
                    self._plan_rpc(conns[0], 1.0)
                    conns[0].forward_base = None      # fix_forwards reuses the new plan
                continue
            rings = [c for c in self.system.connections if c.kind == "ring" and (c.entries or 64) > 64]
            if rings:
                rings[0].entries = 64
                rings[0].requests = min(rings[0].requests, 64)
                rings[0].outstanding = min(rings[0].outstanding, 64)
                continue
            break

    def _system_name(self):
        if self.chance(0.1):
            return ("rs" + "".join(self.rng.choice(WORDS) for _ in range(12)))[:60]
        return f"rs{self.seed}"

    def _stack_size(self):
        sizes = [(4 * K, 3), (8 * K, 2), (12 * K, 1), (32 * K, 2), (256 * K, 1), (2 * M, 1), (16 * M - 12 * K, 0.5)]
        if "big-stack" not in self.opt.avoid:
            sizes += [(16 * M - 8 * K, 0.3), (16 * M, 0.3), (32 * M, 0.2), (64 * M, 0.2)]
        return self.pick(sizes)

    def _heap_size(self):
        sizes = [(4 * K, 3), (8 * K, 1), (128 * K, 2), (1 * M, 1), (16 * M, 1), (32 * M, 0.5)]
        if "big-heap" not in self.opt.avoid:
            sizes += [(63 * M, 0.3), (64 * M, 0.3)]
        return self.pick(sizes)

    def _bits_ok(self, inst, extra):
        limit = NOTIFICATION_BITS
        if "bit-62" in self.opt.avoid and not inst.type.control:
            limit -= 1
        return inst.notification_bits() + extra <= limit

    @staticmethod
    def _flavor_ok(inst, kind, iface):
        """component.yaml lists event ports either plainly ([a, b]) or with interfaces ({a: x}), not both."""
        if kind not in ("emits", "consumes"):
            return True
        return all((p.iface is None) == (iface is None) for p in inst.type.ports.values() if p.kind == kind)

    def _event_iface(self, emitter, consumer, typed=None):
        """An interface (or None) that both the emitter's and the consumer's event ports allow."""
        plain_ok = self._flavor_ok(emitter, "emits", None) and self._flavor_ok(consumer, "consumes", None)
        typed_ok = (self._flavor_ok(emitter, "emits", Interface("x", "event")) and
                    self._flavor_ok(consumer, "consumes", Interface("x", "event")))
        if typed is None:
            typed = self.chance(0.5)
        if (typed and typed_ok) or not plain_ok:
            if not typed_ok:
                return False, None
            return True, self.event_interface()
        return True, None

    def _new_port(self, inst, kind, iface=None):
        if not self._flavor_ok(inst, kind, iface):
            return None
        for _ in range(50):
            port = Port(self.names.fresh(self.rng.choice([24, 40, 64]), "port"), kind, iface)
            if inst.type.can_add(port) and not any(port.name == d.as_name for d in inst.devices):
                inst.type.ports[port.name] = port
                return port
        return None

    def _connect(self, kind, src, sp, dst, dp):
        c = Connection(kind, src, sp, dst, dp)
        sp.conns.append(c)
        dp.conns.append(c)
        self.system.connections.append(c)
        return c

    def _connections(self):
        r, system = self.rng, self.system
        insts = system.instances
        if len(insts) < 2:
            return
        count = int(len(insts) * self.pick([(0.5, 1), (1.0, 2), (2.0, 3), (3.5, 1)])) + r.randrange(2)
        if self.chance(0.05):
            count = len(insts) * 6
        for _ in range(count):
            kind = self.pick([("rpc", 4), ("event", 2), ("dataport", 1.5), ("ring", 2.5)])
            getattr(self, f"_add_{kind}")()
        if self.chance(0.05):
            self._event_heavy()

    def _two(self):
        a, b = self.rng.sample(self.system.instances, 2)
        return a, b

    def _add_rpc(self):
        r, system = self.rng, self.system
        a, b = self._two()
        if a.rank > b.rank:
            a, b = b, a            # calls go from lower to higher rank: no cycles at all
        existing = [p for p in b.type.ports.values() if p.kind == "provides" and p.iface.kind == "rpc"]
        if existing and self.chance(0.4):
            sp_iface = r.choice(existing)
            server_port = sp_iface
            iface = server_port.iface
        else:
            pool = [i for i in system.interfaces if i.kind == "rpc"]
            iface = r.choice(pool) if pool and self.chance(0.2) else None
            if iface is None:
                iface = self.rpc_interface()
                system.interfaces.append(iface)
            server_port = self._new_port(b, "provides", iface)
            if server_port is None:
                return
        client_port = self._new_port(a, "uses", iface)
        if client_port is None:
            return
        c = self._connect("rpc", a, client_port, b, server_port)
        if iface.uses_buffer and self.chance(0.6):
            c.buffer = self.pick([(1, 1), (8, 1), (4095, 1), (4096, 1), (4097, 1), (8 * K, 2), (12 * K + 5, 1),
                                  (64 * K, 2), (2 * M, 1), (2 * M + 4 * K, 0.5), (16 * M, 0.3)])

    def _add_event(self):
        r = self.rng
        a, b = self._two()
        emitters = [p for p in a.type.ports.values() if p.kind == "emits"]
        consumers = [p for p in b.type.ports.values() if p.kind == "consumes" and p.conns
                     and p.conns[0].unit is None]
        src = dst = None
        if emitters and self.chance(0.25):
            src = r.choice(emitters)           # fan-out
            if src.conns and src.conns[0].unit is not None:
                src = None
        if src is not None:
            fitting = [p for p in consumers if (p.iface is src.iface)]
            if fitting and self.chance(0.4):
                dst = r.choice(fitting)        # fan-in too (or the same pair twice)
        elif consumers and self.chance(0.25):
            dst = r.choice(consumers)          # fan-in
        if src is not None or dst is not None:
            iface = src.iface if src else dst.iface
        else:
            ok, iface = self._event_iface(a, b)
            if not ok:
                return
        if iface is not None and iface not in self.system.interfaces:
            self.system.interfaces.append(iface)
        if dst is None:
            need = len(iface.events) if iface else 1
            if not self._bits_ok(b, need):
                return
            dst = self._new_port(b, "consumes", iface)
        if src is None:
            src = self._new_port(a, "emits", iface)
        if src is None or dst is None:
            return
        if "duplicate-event" in self.opt.avoid and any(c.dst_port is dst for c in src.conns):
            return
        self._connect("event", a, src, b, dst)

    def _add_dataport(self):
        a, b = self._two()
        if not (self._bits_ok(a, 1) and self._bits_ok(b, 1)):
            return
        ap, bp = self._new_port(a, "dataports"), self._new_port(b, "dataports")
        if ap is None or bp is None:
            return
        c = self._connect("dataport", a, ap, b, bp)
        if self.chance(0.8):
            c.size = self.pick([(1, 1), (7, 1), (64, 1), (4095, 1), (4096, 2), (4097, 1), (8 * K, 2),
                                (12 * K, 1), (64 * K, 2), (1 * M, 1), (2 * M, 1), (2 * M + 4 * K, 1),
                                (4 * M, 0.5), (64 * M, 0.2), (1 * G, 0.05)])
        writer, reader = (a, b) if self.chance(0.5) else (b, a)
        c.writer = writer
        ok_go, go_iface = self._event_iface(writer, reader, typed=self.chance(0.2))
        ok_back, back_iface = self._event_iface(reader, writer, typed=self.chance(0.2))
        if go_iface is not None:
            go_iface.events = go_iface.events[:1]
        if back_iface is not None:
            back_iface.events = back_iface.events[:1]
        if not (ok_go and ok_back):
            go_e = None
        else:
            go_e, go_c = self._new_port(writer, "emits", go_iface), self._new_port(reader, "consumes", go_iface)
            back_e = self._new_port(reader, "emits", back_iface)
            back_c = self._new_port(writer, "consumes", back_iface)
        if go_e is None or None in (go_c, back_e, back_c):
            # The handshake does not fit these two components: take the dataport back.
            for port in (ap, bp, go_e, go_c, back_e, back_c) if go_e is not None else (ap, bp):
                if port is not None:
                    owner = a if port.name in a.type.ports and a.type.ports[port.name] is port else b
                    owner.type.ports.pop(port.name, None)
            self.system.connections.remove(c)
            return
        for iface in (go_iface, back_iface):
            if iface is not None:
                self.system.interfaces.append(iface)
        c.go = self._connect("event", writer, go_e, reader, go_c)
        c.back = self._connect("event", reader, back_e, writer, back_c)
        c.go.unit = c.back.unit = c

    def _add_ring(self):
        r, system = self.rng, self.system
        a, b = self._two()
        if not (self._bits_ok(a, 1) and self._bits_ok(b, 1)):
            return
        pool = [i for i in system.interfaces if i.kind == "ring"]
        iface = r.choice(pool) if pool and self.chance(0.25) else None
        if iface is None:
            iface = self.ring_interface()
            system.interfaces.append(iface)
        cp, sp = self._new_port(a, "uses", iface), self._new_port(b, "provides", iface)
        if cp is None or sp is None:
            return
        c = self._connect("ring", a, cp, b, sp)
        if self.chance(0.8):
            c.entries = self.pick([(2, 2), (4, 1), (8, 1), (16, 1), (64, 1), (128, 1), (1024, 1), (4096, 0.5),
                                   (65536, 0.2)])
        if self.chance(0.5):
            c.wake = r.choice(["notification", "token", "token"])

    def _event_heavy(self):
        """One component receives exactly as many events as its notification holds."""
        r = self.rng
        b = r.choice(self.system.instances)
        others = [i for i in self.system.instances if i is not b]
        limit = NOTIFICATION_BITS - (1 if "bit-62" in self.opt.avoid and not b.type.control else 0)
        for _ in range(10):
            room = limit - b.notification_bits()
            if room <= 0:
                break
            a = r.choice(others)
            iface = self.event_interface(min(32, room)) if room > 1 else None
            if not (self._flavor_ok(a, "emits", iface) and self._flavor_ok(b, "consumes", iface)):
                continue
            if iface is not None:
                self.system.interfaces.append(iface)
            src, dst = self._new_port(a, "emits", iface), self._new_port(b, "consumes", iface)
            if src is None or dst is None:
                break
            self._connect("event", a, src, b, dst)

    def _twins(self):
        """More instances of a component type (as examples/greeters.yaml has): each calls the servers its
        original calls (more clients on those ports) and emits to the same consumers; what it provides and
        consumes stays unconnected.  Types with rings, dataports or (later) devices have none."""
        r = self.rng
        if not self.chance(0.25):
            return
        def eligible(inst):
            return all(p.kind in ("uses", "provides", "emits", "consumes") and not (p.iface and p.iface.kind == "ring")
                       and not any(c.unit is not None for c in p.conns) for p in inst.type.ports.values())
        originals = [i for i in self.system.instances if eligible(i)]
        for a in r.sample(originals, min(len(originals), self.pick([(1, 3), (2, 1)]))):
            for _ in range(self.pick([(1, 3), (2, 2), (3, 1)])):
                b = Instance(self.names.fresh(MAX_NAME), a.type, self.pick([(a.priority, 1), (r.randrange(1, 255), 2)]),
                             r.randrange(self.system.harts), a.rank)
                if self.chance(0.3):
                    b.stack = self._stack_size()
                self.system.instances.append(b)
                for port in a.type.ports.values():
                    for c in port.conns_of(a):
                        if port.kind in ("uses", "emits"):
                            self._connect(c.kind, b, port, c.dst, c.dst_port)
                            if c.kind == "rpc" and c.buffer is not None and self.chance(0.5):
                                self.system.connections[-1].buffer = c.buffer

    def _forwarding(self):
        """Now and then a server calls on from inside its handlers: each call it gets on one provided port
        makes the next call of one of its uses connections (so the callee still sees one fixed sequence).
        Not for types with several instances (the others' ports are not connected the same way)."""
        counts = {}
        for i in self.system.instances:
            counts[i.type.name] = counts.get(i.type.name, 0) + 1
        for c in list(self.system.connections):
            if c.kind != "rpc" or counts[c.src.type.name] > 1 or not self.chance(0.25):
                continue
            provided = [p for p in c.src.type.ports.values() if p.kind == "provides" and p.iface.kind == "rpc"
                        and p.conns_of(c.src)]
            if provided:
                c.forward = self.rng.choice(provided)

    def _dangling_ports(self):
        """Ports codegen lets stay unconnected: provides (rpc and ring), emits, consumes."""
        if not self.chance(0.1):
            return
        inst = self.rng.choice(self.system.instances)
        kind = self.rng.choice(["provides", "emits", "consumes", "ring"])
        if kind == "provides":
            iface = self.rpc_interface()
        elif kind == "ring":
            iface, kind = self.ring_interface(), "provides"
        else:
            iface = self.event_interface() if self.chance(0.5) else None
        if kind == "consumes" and not self._bits_ok(inst, len(iface.events) if iface else 1):
            return
        if self._new_port(inst, kind, iface) is not None and iface is not None:
            self.system.interfaces.append(iface)

    def _devices(self):
        r = self.rng
        if not self.chance(0.3):
            return
        kinds = list(DEVICES)
        for _ in range(self.pick([(1, 4), (2, 2), (3, 1), (6, 0.3)])):
            kind = self.pick([(k, DEVICES[k][4]) for k in kinds])
            kinds.remove(kind)
            node, base, irqs, regs, _ = DEVICES[kind]
            alone = [i for i in self.system.instances if sum(1 for j in self.system.instances if j.type is i.type) == 1]
            if not alone:
                return
            inst = r.choice(alone)
            if not self._bits_ok(inst, len(irqs)):
                continue
            taken = {d.name for d in inst.devices}
            as_name = None
            name = base
            if base in taken or self.chance(0.2):
                for _ in range(20):
                    as_name = self.names.fresh(40)
                    if as_name not in inst.type.ports and inst.type.can_add(Port(as_name, "dataports")):
                        break
                name = as_name
            if name in taken or name in inst.type.ports or self._device_clash(inst, name):
                continue
            inst.devices.append(Device(node, kind, name, as_name, irqs, regs))
            if not kinds:
                break

    @staticmethod
    def _device_clash(inst, name):
        ids = {f"{name}_regs", f"{name}_regs_size", f"{name}_regs_1", f"{name}_regs_1_size", f"{name}_irq_ack",
               f"{name}_irq_wait", f"{name}_irq_poll", f"{name}_irq"}
        for p in inst.type.ports.values():
            if ids & set(p.generated_names()) or p.name in ids:
                return True
        return False

    def _groups(self):
        r = self.rng
        insts = list(self.system.instances)
        if len(insts) < 2 or not self.chance(0.4):
            return
        r.shuffle(insts)
        if self.chance(0.15):
            sizes = [len(insts)]
        else:
            sizes = [r.randrange(2, min(6, len(insts)) + 1) for _ in range(r.randrange(1, 4))]
        used = 0
        for index, size in enumerate(sizes):
            members = insts[used:used + size]
            if len(members) < 2:
                break
            used += size
            name = None
            if self.chance(0.5):
                # Named groups; now and then called what an unnamed one would be called.
                name = f"group{r.randrange(1, 4)}" if self.chance(0.2) else self.names.fresh(48)
            g = Group(name, members)
            for m in members:
                m.group = g
            self.system.groups.append(g)

    # ---- what each connection's test does -----------------------------------------

    def _plan_tests(self):
        r = self.rng
        scale = {"small": 0.5, "normal": 1.0, "large": 1.0}[self.opt.scale]
        clients = {}
        for c in self.system.connections:
            c.seed = r.getrandbits(64)
            if c.kind == "rpc":
                key = (c.dst.name, c.dst_port.name)
                c.client_index = clients.get(key, 0)
                clients[key] = c.client_index + 1
                self._plan_rpc(c, scale)
            elif c.kind == "ring":
                entries = c.entries or 64
                c.requests = max(1, int(self.pick([(1, 1), (r.randrange(1, 9), 4), (entries, 2), (entries + 1, 1),
                                                   (3 * entries, 1), (r.randrange(1, 200), 2)]) * scale))
                c.requests = min(c.requests, 3000)
                c.outstanding = self.pick([(entries, 4), (1, 1), (2 * entries, 1), (max(1, entries // 2), 1)])
                if "control-ring-full" in self.opt.avoid:
                    c.outstanding = min(c.outstanding, entries)
                c.salt = self.pick([(0, 1), ((1 << 64) - 1, 1), (r.getrandbits(64), 4)])
        for c in sorted(self.system.connections, key=lambda c: c.src.rank):
            if c.kind == "rpc" and c.forward is not None:
                # As many calls as the handlers of the port it is made from get, from all their clients.
                total = sum(len(x.calls) for x in c.forward.conns_of(c.src))
                procs = c.dst_port.iface.procedures
                seq = [i % len(procs) for i in range(total)]
                r.shuffle(seq)
                usable = c.usable_buffer() if c.dst_port.iface.uses_buffer else 0
                c.calls = [(p, self._plan_buffers(procs[p], usable)) for p in seq]
                c.forward_base = list(c.calls)
        for p in (p for i in self.system.instances for p in i.type.ports.values() if p.kind == "emits"):
            if p.iface is None:
                p.emit_events = None
            elif "event-subset" in self.opt.avoid:
                p.emit_events = list(p.iface.events)
            else:
                k = r.randrange(1, len(p.iface.events) + 1)
                p.emit_events = sorted(r.sample(p.iface.events, k), key=p.iface.events.index)

    def _plan_rpc(self, c, scale):
        r = self.rng
        procs = c.dst_port.iface.procedures
        n = self.pick([(len(procs), 4), (len(procs) + r.randrange(1, 8), 4), (len(procs) * 3, 1),
                       (len(procs) + 100, 0.3)])
        n = max(len(procs), int(n * scale))
        seq = list(range(len(procs))) + [r.randrange(len(procs)) for _ in range(n - len(procs))]
        r.shuffle(seq)
        usable = c.usable_buffer() if c.dst_port.iface.uses_buffer else 0
        c.calls = [(p, self._plan_buffers(procs[p], usable)) for p in seq]

    def _plan_buffers(self, proc, usable):
        """Per buffer parameter, in the order of proc.buffers: (in length, cap the client passes, cap the
        server sees, out length).  Lengths stay within the connection's buffer as the stub fills it: the in
        parts first, then the out parts (each rounded up to 8 bytes); an out cap that does not fit is cut
        to what is left, as the stub does."""
        r = self.rng
        limit = min(usable, 64 * K)
        plan = {}
        offset = 0
        for p in proc.ins:
            if p.type.kind != "buffer":
                continue
            left = limit - offset
            n = self.pick([(0, 1), (r.randrange(1, 33), 4), (r.randrange(0, left + 1), 3), (left, 1)])
            n = max(0, min(n, left))
            plan[p.name] = [n, 0, 0, 0]
            offset += (n + 7) & ~7
        for p in proc.outs:
            if p.type.kind != "buffer":
                continue
            left = limit - offset
            cap = self.pick([(0, 1), (r.randrange(1, 65), 4), (r.randrange(0, left + 1), 3), (left, 1)])
            cap = max(0, min(cap, left))
            seen = cap
            if usable <= 64 * K and self.chance(0.1):
                cap = usable - offset + r.randrange(1, 100)      # more than fits: the stub cuts it
                seen = usable - offset
            out = self.pick([(0, 1), (seen, 2), (r.randrange(0, seen + 1), 4)])
            entry = plan.setdefault(p.name, [0, 0, 0, 0])
            entry[1:] = [cap, seen, out]
            offset += (seen + 7) & ~7
        return [tuple(plan[p.name]) for p in proc.buffers]

    def _memory(self):
        """Enough memory for everything, with room: images, heaps, stacks, shared regions."""
        system = self.system
        need = 48 * M
        for inst in system.instances:
            heap = inst.heap if inst.heap is not None else 64 * K
            stack = inst.stack if inst.stack is not None else 16 * K
            need += 512 * K + heap + inst.threads * (stack + 8 * K) + self._statics(inst)
            for d in inst.devices:
                need += d.regs * 64 * K
        for c in system.connections:
            if c.kind == "dataport":
                need += frames_bytes(c.size if c.size is not None else 4096)
            elif c.kind == "ring":
                e = c.entries or 64
                iface = c.src_port.iface
                need += 2 * page_round(192 + e * (8 + iface.ring_request.words * 8) + 64) + \
                    2 * page_round(192 + e * (8 + iface.ring_response.words * 8) + 64)
            elif c.kind == "rpc" and c.dst_port.iface.uses_buffer:
                need += c.usable_buffer()
        need = (need * 5 // 4 + M - 1) // M * M
        if need <= 256 * M:
            system.memory = self.pick([(None, 7), (256 * M, 1.5), (max(64 * M, need), 1.5)])
        else:
            system.memory = need
        if self.chance(0.1):
            # Large machines: memory up to and across 4 GiB of physical addresses.
            system.memory = max(need, self.pick([(512 * M, 1), (1 * G, 1), (2 * G - M, 1), (2 * G, 1), (3 * G, 1),
                                                 (4 * G, 1)]))
        if system.memory is not None:
            system.machine_given = True

    @staticmethod
    def _statics(inst):
        """The test code's static buffers (rpc buffers and values) in the image, roughly."""
        total = 0
        for p in inst.type.ports.values():
            if p.iface is not None and p.iface.kind == "rpc":
                total += 2 * 64 * K * max((len(proc.buffers) for proc in p.iface.procedures), default=0)
                total += sum(pp.type.size for proc in p.iface.procedures for pp in proc.params if pp.type.size)
            if p.iface is not None and p.iface.kind == "ring":
                total += sum((c.requests + 7) // 8 for c in p.conns)
        return total


def draw(seed, options=None):
    return Drawer(seed, options or Options()).draw()
