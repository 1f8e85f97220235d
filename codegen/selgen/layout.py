"""The capability layout of a system: every object, every cap in every CSpace,
every mapping, every thread.  The loader instantiates it (spec.c); the
generated glue uses its slot numbers and addresses; spec.json shows it to
people and tests.

Address space of one component (addresses are per component and never
overlap, so components can share an address space in a group):

    base                image (ELF), at most IMAGE_MAX
    base + IMAGE_MAX    one THREAD_AREA per thread: guard page, stack, ..., IPC buffer
    then                its constants page (if it has constants), its private DMA
                        regions, then ports: dataports, rings and their data regions,
                        rpc buffers, device registers; each page aligned with a guard
                        page after it

The constants page is a read-only page of 64-bit words the loader fills
before the component starts: the physical base address of each DMA region
and of each data region the component serves.  The linker script defines
the glue's names for them at their addresses in it (link.ld.j2), so they
are plain const objects in C and no syscall is needed to know them.
Regions that must be physically contiguous (DMA regions, ring data
regions) are listed in spec.regions: the loader makes each from one
untyped, its frames in order.
"""
from .model import SCALARS  # noqa: F401  (re-exported for templates)
from .system_info import is_loader

PAGE = 4096
LARGE_PAGE = 2 << 20
IMAGE_MAX = 128 << 20             # code, data, bss and the heap (at most 64M)
THREAD_AREA = 16 << 20
FIRST_BASE = 0x10000000
USER_TOP = 1 << 38
RPC_BADGE = 1 << 62
RING_HEADER = 192                   # three cache lines: producer, consumer, spare (sel/ring.h)

RIGHTS = {"R": 2, "W": 1, "G": 4, "GR": 8}
ALL_RIGHTS = 15

OBJECT_TYPES = ["tcb", "endpoint", "notification", "cnode", "vspace", "frame", "device_frame", "user_interrupt"]


def page_round(n, page=PAGE):
    return (n + page - 1) // page * page


def ring_bytes(entries, message_size):
    entry = 8 + (message_size + 7) // 8 * 8       # a 64-bit tag, then the message
    return (RING_HEADER + entries * entry + 63) // 64 * 64, entry


class Obj:
    def __init__(self, index, type, name, size_bits=0, paddr=0):
        self.index, self.type, self.name, self.size_bits, self.paddr = index, type, name, size_bits, paddr

    def json(self):
        d = {"id": self.index, "type": self.type, "name": self.name}
        if self.type == "cnode":
            d["radix"] = self.size_bits
        if self.type in ("frame", "device_frame"):
            d["size"] = 1 << self.size_bits
        if self.type == "device_frame":
            d["paddr"] = self.paddr
        return d


class Cap:
    def __init__(self, component, slot, obj, rights, badge=0, purpose=""):
        self.component, self.slot, self.obj, self.rights, self.badge, self.purpose = \
            component, slot, obj, rights, badge, purpose


class Mapping:
    def __init__(self, vspace, vaddr, frame, writable, executable, component):
        self.vspace, self.vaddr, self.frame, self.writable, self.executable, self.component = \
            vspace, vaddr, frame, writable, executable, component


class Thread:
    def __init__(self, component, role, tcb, stack_bottom, stack_top, ipc_vaddr, ipc_frame, name):
        self.component, self.role, self.tcb, self.name = component, role, tcb, name
        self.stack_bottom, self.stack_top, self.ipc_vaddr, self.ipc_frame = stack_bottom, stack_top, ipc_vaddr, ipc_frame
        self.bound_notification = None
        self.bound_user_interrupt = None


class Irq:
    """An interrupt line routed to a component: a badge of its notification, or with user_interrupt
    set, a token (badge: the bits) of that UserInterrupt object, bound to its loop thread."""

    def __init__(self, component, irq, slot, notification, badge, device, user_interrupt=None):
        self.component, self.irq, self.slot, self.notification, self.badge, self.device = \
            component, irq, slot, notification, badge, device
        self.user_interrupt = user_interrupt


class Region:
    """Frames the loader makes physically contiguous, in order (from one untyped)."""

    def __init__(self, frames, page, name):
        self.frames, self.page, self.name = frames, page, name

    @property
    def size(self):
        return len(self.frames) * self.page


class Patch:
    """A word of a component's constants page the loader fills: the physical address of frame obj."""

    def __init__(self, component, page, offset, obj):
        self.component, self.page, self.offset, self.obj = component, page, offset, obj


class ComponentLayout:
    """What one component instance gets; also what its glue is generated from."""

    def __init__(self, inst, base):
        self.inst, self.name, self.index, self.base = inst, inst.name, inst.index, base
        self.image_limit = base + IMAGE_MAX
        self.slots = {}                  # purpose -> slot
        self.next_slot = 1
        self.next_vaddr = base + IMAGE_MAX
        self.threads = []
        self.notification_bits = {}      # purpose -> bit
        self.glue = {"rpc_uses": [], "rpc_provides": [], "emits": [], "consumes": [], "dataports": [],
                     "rings": [], "devices": [], "dma": []}
        self.constants_vaddr = None      # its constants page (see above), if it has constants
        self.constants_page = None       # the frame of it
        self.constants = {}              # linker symbol -> (byte offset in the page, number of words)
        self.constant_words = 0
        self.vspace = self.cnode = self.notification = self.endpoint = None
        self.radix = 0
        self.dispatch = False
        self.runs_loop = False           # its main thread runs the event loop (sel/loop.h)
        self.alarm_bit = None            # the notification bit of the loop's timers
        self.user_interrupt = None       # what tokens interrupt its loop thread with, if any
        self.debug_slot = 0              # where the loader puts a copy of its debug cap (test drivers only)

    def user_interrupt_obj(self, spec):
        """The UserInterrupt bound to the loop thread, made on first use (a ring woken by tokens)."""
        if self.user_interrupt is None:
            self.user_interrupt = spec.obj("user_interrupt", f"{self.name} user interrupt")
            self.threads[0].bound_user_interrupt = self.user_interrupt
        return self.user_interrupt

    def slot(self, purpose):
        if purpose not in self.slots:
            self.slots[purpose] = self.next_slot
            self.next_slot += 1
        return self.slots[purpose]

    def bit(self, purpose):
        if purpose not in self.notification_bits:
            self.notification_bits[purpose] = len(self.notification_bits)
        return self.notification_bits[purpose]

    def constant(self, symbol, words=1):
        """Room for words 64-bit constants in the constants page, named symbol; returns the byte offset."""
        offset = self.constant_words * 8
        if self.constant_words + words > PAGE // 8:
            raise ValueError(f"component {self.name} has more than {PAGE // 8} constants (physical addresses of "
                             "DMA and data regions); serve fewer data regions")
        self.constants[symbol] = (offset, words)
        self.constant_words += words
        return offset

    def region(self, size, align=PAGE):
        vaddr = (self.next_vaddr + align - 1) // align * align
        self.next_vaddr = vaddr + page_round(size) + PAGE     # and a guard page
        return vaddr


class Spec:
    def __init__(self, system):
        self.system = system
        self.objects, self.caps, self.mappings, self.threads, self.irqs = [], [], [], [], []
        self.regions, self.patches = [], []
        self.components = []
        self.vspaces = []                # (object, name)
        self.loader_endpoint = None      # the loader's endpoint, if a component connects to it (system_info.py)
        self.loader_clients = []

    def obj(self, type, name, size_bits=0, paddr=0):
        o = Obj(len(self.objects), type, name, size_bits, paddr)
        self.objects.append(o)
        return o

    def cap(self, comp, purpose, obj, rights, badge=0):
        slot = comp.slot(purpose)
        self.caps.append(Cap(comp, slot, obj, rights, badge, purpose))
        return slot

    def frames(self, name, size):
        """Frames covering size bytes: 2 MiB pages when the size is a multiple of 2 MiB."""
        if size % LARGE_PAGE == 0:
            return [self.obj("frame", f"{name}[{i}]", 21) for i in range(size // LARGE_PAGE)], LARGE_PAGE
        return [self.obj("frame", f"{name}[{i}]", 12) for i in range(page_round(size) // PAGE)], PAGE

    def contiguous(self, name, size):
        """Frames covering size bytes that the loader makes physically contiguous."""
        frames, page = self.frames(name, size)
        self.regions.append(Region(frames, page, name))
        return frames, page

    def patch(self, comp, offset, obj):
        """The loader writes the physical address of frame obj at offset of comp's constants page."""
        self.patches.append(Patch(comp, comp.constants_page, offset, obj))

    def map(self, comp, vaddr, frames, page, writable=True):
        for i, f in enumerate(frames):
            self.mappings.append(Mapping(comp.vspace, vaddr + i * page, f, writable, False, comp))

    def json(self):
        comps = []
        for c in self.components:
            comps.append({
                "name": c.name, "index": c.index, "priority": c.inst.priority, "hart": c.inst.hart,
                "image_base": c.base, "image_limit": c.image_limit, "cnode": c.cnode.index, "radix": c.radix,
                "vspace": c.vspace.index, "notification": c.notification.index,
                "endpoint": c.endpoint.index if c.endpoint else None, "restart": c.inst.restart,
                "slots": dict(sorted(c.slots.items(), key=lambda kv: kv[1])),
                "notification_bits": c.notification_bits,
                "threads": [{"name": t.name, "role": t.role, "tcb": t.tcb.index, "stack_top": t.stack_top,
                             "ipc_buffer": t.ipc_vaddr,
                             "bound_notification": t.bound_notification.index if t.bound_notification else None,
                             "bound_user_interrupt":
                                 t.bound_user_interrupt.index if t.bound_user_interrupt else None}
                            for t in c.threads],
            })
        return {
            "system": self.system.name,
            "objects": [o.json() for o in self.objects],
            "components": comps,
            "caps": [{"component": c.component.name, "slot": c.slot, "object": c.obj.index, "rights": c.rights,
                      "badge": c.badge, "purpose": c.purpose} for c in self.caps],
            "mappings": [{"component": m.component.name, "vspace": m.vspace.index, "vaddr": m.vaddr,
                          "frame": m.frame.index, "writable": m.writable} for m in self.mappings],
            "irqs": [{"component": i.component.name, "irq": i.irq, "slot": i.slot, "badge": i.badge,
                      "device": i.device,
                      "user_interrupt": i.user_interrupt.index if i.user_interrupt else None} for i in self.irqs],
            "regions": [{"name": r.name, "frames": [f.index for f in r.frames], "size": r.size}
                        for r in self.regions],
            "patches": [{"component": p.component.name, "page": p.page.index, "offset": p.offset,
                         "paddr_of": p.obj.index} for p in self.patches],
            "loader_endpoint": self.loader_endpoint.index if self.loader_endpoint else None,
            "loader_clients": self.loader_clients,
        }


def build(system, debug_holders=()):
    """debug_holders: the components that get a copy of the loader's debug cap (a test driver)."""
    spec = Spec(system)
    # Address spaces: one per group, one per component outside groups.
    vspace_of = {}
    for group in system.groups:
        if group.members:
            vs = spec.obj("vspace", f"group {group.name}")
            spec.vspaces.append(vs)
            for inst in group.members:
                vspace_of[inst.name] = vs
    base = FIRST_BASE
    for inst in system.instances:
        if inst.name not in vspace_of:
            vs = spec.obj("vspace", inst.name)
            spec.vspaces.append(vs)
            vspace_of[inst.name] = vs
        comp = ComponentLayout(inst, base)
        comp.vspace = vspace_of[inst.name]
        spec.components.append(comp)
        comp.port_bytes = _port_bytes(inst)
        size = IMAGE_MAX + 2 * THREAD_AREA + comp.port_bytes
        base = (base + size + LARGE_PAGE - 1) // LARGE_PAGE * LARGE_PAGE + LARGE_PAGE
    by_name = {c.name: c for c in spec.components}
    if base > USER_TOP:
        raise ValueError(f"the components need {base:#x} bytes of address space; at most {USER_TOP:#x} fit")

    for comp in spec.components:
        inst, ctype = comp.inst, comp.inst.type
        ports = ctype.ports.values()
        provides_rpc = any(p.kind == "provides" and p.interface and p.interface.kind == "rpc" for p in ports)
        comp.dispatch = (provides_rpc or any(p.kind == "consumes" for p in ports) or bool(inst.devices)
                         or any(p.kind in ("provides", "uses") and p.interface and p.interface.kind == "ring"
                                for p in ports))
        comp.cnode = spec.obj("cnode", f"{comp.name} cspace")
        comp.notification = spec.obj("notification", f"{comp.name} notification")
        # Least rights that work: wait and set the loop's alarm on the notification, receive on the endpoint.
        spec.cap(comp, "notification", comp.notification, RIGHTS["R"] | RIGHTS["W"])
        if comp.name in debug_holders:
            comp.debug_slot = comp.slot("debug")
        if provides_rpc:
            comp.endpoint = spec.obj("endpoint", f"{comp.name} endpoint")
            spec.cap(comp, "endpoint", comp.endpoint, RIGHTS["R"])

        roles = ["main"] + (["server"] if ctype.control and provides_rpc else [])
        for t_index, role in enumerate(roles):
            area = inst_area = comp.base + IMAGE_MAX + t_index * THREAD_AREA
            tcb = spec.obj("tcb", f"{comp.name}.{role}")
            stack = [spec.obj("frame", f"{comp.name}.{role} stack[{i}]", 12) for i in range(inst.stack // PAGE)]
            stack_bottom = area + PAGE                      # a guard page below
            spec.map(comp, stack_bottom, stack, PAGE)
            ipc_frame = spec.obj("frame", f"{comp.name}.{role} ipc buffer", 12)
            ipc_vaddr = inst_area + THREAD_AREA - 2 * PAGE
            spec.map(comp, ipc_vaddr, [ipc_frame], PAGE)
            thread = Thread(comp, role, tcb, stack_bottom, stack_bottom + inst.stack, ipc_vaddr, ipc_frame,
                            comp.name if role == "main" else f"{comp.name}.{role}")
            comp.threads.append(thread)
            spec.threads.append(thread)
        # No component holds a TCB cap (it could re-place itself); the loader starts every thread, and a
        # server thread waits at its gate until the main thread has run init().
        if len(roles) > 1:
            comp.gate = spec.obj("notification", f"{comp.name} server gate")
            spec.cap(comp, "server gate", comp.gate, RIGHTS["R"] | RIGHTS["W"])
        # The notification wakes the dispatcher: the main thread unless a control component has a server thread.
        if not ctype.control:
            comp.threads[0].bound_notification = comp.notification
        comp.runs_loop = comp.dispatch and not ctype.control
        if comp.runs_loop:
            comp.alarm_bit = comp.bit("event loop timers")
        comp.next_vaddr = comp.base + IMAGE_MAX + len(roles) * THREAD_AREA if len(roles) > 2 else \
            comp.base + IMAGE_MAX + 2 * THREAD_AREA
        if _has_constants(inst):
            comp.constants_page = spec.obj("frame", f"{comp.name} constants", 12)
            comp.constants_vaddr = comp.region(PAGE)
            spec.map(comp, comp.constants_vaddr, [comp.constants_page], PAGE, writable=False)
        # Private DMA memory: mapped here only, physically contiguous, its base in the constants page.
        for name, size in ctype.dma.items():
            frames, page = spec.contiguous(f"{comp.name}.{name} dma", size)
            vaddr = comp.region(len(frames) * page, page)
            spec.map(comp, vaddr, frames, page)
            spec.patch(comp, comp.constant(f"{name}_paddr"), frames[0])
            comp.glue["dma"].append({"name": name, "vaddr": vaddr, "size": size})

    # Connections.
    provider_clients = {}
    ring_servers = {}                # (component, provided ring port) -> its glue entry
    for conn in system.connections:
        fp, tp = conn.from_port, conn.to_port
        if is_loader(conn.to_inst):
            loader_client(spec, by_name[conn.from_inst.name], conn)
            continue
        src, dst = by_name[conn.from_inst.name], by_name[conn.to_inst.name]
        if conn.kind == "rpc":
            port_index = sorted(p.name for p in dst.inst.type.ports.values() if p.kind == "provides").index(tp.name)
            clients = provider_clients.setdefault((dst.name, tp.name), [])
            badge = RPC_BADGE | (port_index << 16) | len(clients)
            clients.append(conn)
            slot = spec.cap(src, f"rpc {fp.name}", dst.endpoint, RIGHTS["W"] | RIGHTS["GR"], badge)
            entry = {"port": fp.name, "interface": conn.interface, "slot": slot, "buffer": None, "buffer_size": 0}
            server_entry = {"port": tp.name, "interface": conn.interface, "client": len(clients) - 1,
                            "client_name": src.name, "badge": badge, "port_index": port_index, "buffer": None,
                            "buffer_size": 0}
            if conn.buffer:
                frames, page = spec.frames(f"{conn.label} buffer", conn.buffer)
                size = len(frames) * page
                entry["buffer"], entry["buffer_size"] = src.region(size, page), size
                server_entry["buffer"], server_entry["buffer_size"] = dst.region(size, page), size
                spec.map(src, entry["buffer"], frames, page)
                spec.map(dst, server_entry["buffer"], frames, page)
            src.glue["rpc_uses"].append(entry)
            dst.glue["rpc_provides"].append(server_entry)
        elif conn.kind == "event":
            events = conn.interface.events if conn.interface else [None]
            bits = {e: dst.bit(f"event {tp.name}" + (f".{e}" if e else "")) for e in events}
            badge = sum(1 << b for b in bits.values())
            slot = spec.cap(src, f"event {fp.name} -> {dst.name}.{tp.name}", dst.notification, RIGHTS["W"], badge)
            src.glue["emits"].append({"port": fp.name, "slot": slot, "bits": bits, "events": events})
            if not any(e["port"] == tp.name for e in dst.glue["consumes"]):
                dst.glue["consumes"].append({"port": tp.name, "bits": bits, "events": events})
        elif conn.kind == "dataport":
            frames, page = spec.frames(conn.label, conn.size)
            size = len(frames) * page
            for side, port in ((src, fp), (dst, tp)):
                vaddr = side.region(size, page)
                spec.map(side, vaddr, frames, page)
                first = None
                for i, f in enumerate(frames):
                    s = spec.cap(side, f"dataport {port.name}[{i}]", f, RIGHTS["R"] | RIGHTS["W"])
                    first = s if first is None else first
                side.glue["dataports"].append({"port": port.name, "vaddr": vaddr, "size": conn.size,
                                               "first_frame_slot": first, "frames": len(frames), "page": page})
        elif conn.kind == "ring":
            _ring_connection(spec, conn, src, dst, ring_servers)

    # Provided ring ports nobody connected still get their (empty) glue; data regions' bases.
    for comp in spec.components:
        for port in comp.inst.type.ports.values():
            if port.kind == "provides" and port.interface and port.interface.kind == "ring" and \
                    (comp.name, port.name) not in ring_servers:
                comp.glue["rings"].append(_ring_server_entry(port, []))
        for entry in comp.glue["rings"]:
            if entry["role"] == "server" and any(p["data"] for p in entry["peers"]):
                offset = comp.constant(f"glue_{entry['port']}_data_paddr", len(entry["peers"]))
                for i, peer in enumerate(entry["peers"]):
                    if peer["data"]:
                        spec.patch(comp, offset + 8 * i, peer["data"]["first_frame"])

    # Devices: registers mapped uncached (QEMU does not care), interrupts as notification bits.
    for comp in spec.components:
        for dev in comp.inst.devices:
            regs = []
            for r_index, (paddr, size) in enumerate(dev.dt.regs):
                first_page = paddr & ~(PAGE - 1)
                npages = (paddr + size - first_page + PAGE - 1) // PAGE
                frames = [spec.obj("device_frame", f"{comp.name}.{dev.name} regs[{r_index}][{i}]", 12,
                                   first_page + i * PAGE) for i in range(npages)]
                vaddr = comp.region(npages * PAGE)
                spec.map(comp, vaddr, frames, PAGE)
                regs.append({"vaddr": vaddr + (paddr - first_page), "paddr": paddr, "size": size})
            irqs = []
            for irq in dev.dt.irqs:
                # A token's bits are the loop thread's user-interrupt bits: numbered as the notification's.
                bit = comp.bit(f"irq {dev.name} {irq}")
                slot = comp.slot(f"irq {dev.name} {irq}")
                token = comp.user_interrupt_obj(spec) if dev.irq == "token" else None
                spec.irqs.append(Irq(comp, irq, slot, comp.notification, 1 << bit, dev.name, token))
                irqs.append({"irq": irq, "bit": bit, "slot": slot})
            comp.glue["devices"].append({"name": dev.name, "node": dev.dt.name, "regs": regs, "irqs": irqs,
                                         "compatible": dev.dt.compatible, "irq_mode": dev.irq,
                                         "kernel_console": getattr(dev, "kernel_console", False)})

    for comp in spec.components:
        needed = comp.next_slot
        comp.radix = max(6, (needed - 1).bit_length())
        comp.cnode.size_bits = comp.radix
        if comp.next_vaddr > comp.base + IMAGE_MAX + 2 * THREAD_AREA + comp.port_bytes + PAGE:
            raise ValueError(f"component {comp.name}: port regions overflow their reservation")
    return spec


def loader_client(spec, src, conn):
    """An rpc connection to the loader (system_info.py): a badged cap to its endpoint, a spec object the
    loader takes as its fault endpoint; badges carry RPC_BADGE, fault badges (thread numbers) do not."""
    if spec.loader_endpoint is None:
        spec.loader_endpoint = spec.obj("endpoint", "loader endpoint")
    client = len(spec.loader_clients)
    badge = RPC_BADGE | client
    slot = spec.cap(src, f"rpc {conn.from_port.name}", spec.loader_endpoint, RIGHTS["W"] | RIGHTS["GR"], badge)
    spec.loader_clients.append({"component": src.name, "badge": badge, "client": client})
    src.glue["rpc_uses"].append({"port": conn.from_port.name, "interface": conn.interface, "slot": slot,
                                 "buffer": None, "buffer_size": 0})


def _ring_labels(port, inst):
    """The names of a provided ring port's clients: the client component's, or component.port where one
    component connects two of its ports to this one."""
    conns = port.connections_of(inst)
    counts = {}
    for c in conns:
        counts[c.from_inst.name] = counts.get(c.from_inst.name, 0) + 1
    return {c: c.from_inst.name if counts[c.from_inst.name] == 1 else f"{c.from_inst.name}.{c.from_port.name}"
            for c in conns}


def _ring_server_entry(port, peers):
    return {"port": port.name, "role": "server", "interface": port.interface, "bit": None, "peers": peers,
            "woken_by_token": False}


def _ring_connection(spec, conn, src, dst, ring_servers):
    """One ring connection: its two rings in frames of their own (and its data region), mapped on both
    sides; the client's wake-up bit, and the server port's (one for every client of the port); a cap on
    each side that wakes the other.  The client's glue entry is the connection; the server's gathers
    the port's connections, numbered in order, as its peers."""
    fp, tp, iface = conn.from_port, conn.to_port, conn.interface
    sq_bytes, sq_entry = ring_bytes(conn.entries, iface.ring_request.size)
    cq_bytes, cq_entry = ring_bytes(conn.entries, iface.ring_response.size)
    frames, page = spec.frames(f"{conn.label} rings", sq_bytes + cq_bytes)
    size = len(frames) * page
    server = ring_servers.get((dst.name, tp.name))
    label = _ring_labels(tp, dst.inst)[conn]
    # Each side's wake-up bit, and for the other side a cap that wakes it: a token (wake: token) for a
    # side that runs the event loop, else (and by default) a Signal on its notification.
    client_bit = src.bit(f"ring {fp.name} completions")
    if server is None:
        server = ring_servers[(dst.name, tp.name)] = _ring_server_entry(tp, [])
        server["bit"] = dst.bit(f"ring {tp.name} requests")
        dst.glue["rings"].append(server)
    server_bit = server["bit"]

    def waker(woken, bit, holder, purpose):
        if conn.wake == "token" and woken.runs_loop:
            return spec.cap(holder, purpose + " token", woken.user_interrupt_obj(spec), RIGHTS["W"], 1 << bit), True
        return spec.cap(holder, purpose, woken.notification, RIGHTS["W"], 1 << bit), False
    to_server, server_token = waker(dst, server_bit, src, f"ring {fp.name} notify")
    to_client, client_token = waker(src, client_bit, dst, f"ring {tp.name} notify {label}")
    data_frames = None
    if conn.data:
        data_frames, data_page = spec.contiguous(f"{conn.label} data", conn.data)
    for side, role, notify, woken_by_token, wakes_by_token, peer in (
            (src, "client", to_server, client_token, server_token, dst.name),
            (dst, "server", to_client, server_token, client_token, label)):
        vaddr = side.region(size, page)
        spec.map(side, vaddr, frames, page)
        data = None
        if data_frames:
            data = {"vaddr": side.region(len(data_frames) * data_page, data_page), "size": conn.data,
                    "first_frame": data_frames[0]}
            spec.map(side, data["vaddr"], data_frames, data_page)
        link = {"peer": peer, "vaddr": vaddr, "sq_offset": 0, "cq_offset": sq_bytes, "entries": conn.entries,
                "sq_entry": sq_entry, "cq_entry": cq_entry, "notify_slot": notify, "woken_by_token": woken_by_token,
                "wakes_by_token": wakes_by_token, "data": data}
        if role == "client":
            side.glue["rings"].append(dict(link, port=fp.name, role="client", interface=iface, bit=client_bit,
                                           peers=[link]))
        else:
            link["index"] = len(server["peers"])
            server["peers"].append(link)
            server["woken_by_token"] = server["woken_by_token"] or woken_by_token


def _has_constants(inst):
    """Whether a component needs a constants page: it has DMA regions or serves a ring with a data region."""
    return bool(inst.type.dma) or any(
        c.kind == "ring" and c.data and c.to_inst is inst
        for p in inst.type.ports.values() if p.kind == "provides" for c in p.connections_of(inst))


def _port_bytes(inst):
    """Address space a component's ports need (an upper bound: pages, alignment, guards)."""
    total = 0
    for port in inst.type.ports.values():
        for conn in port.connections_of(inst):
            if conn.kind == "dataport":
                total += page_round(conn.size) + 2 * LARGE_PAGE
            elif conn.kind == "ring":
                iface = conn.interface
                size = ring_bytes(conn.entries, iface.ring_request.size)[0] + \
                    ring_bytes(conn.entries, iface.ring_response.size)[0]
                total += page_round(size) + 2 * LARGE_PAGE
                if conn.data:
                    total += page_round(conn.data) + 2 * LARGE_PAGE
            elif conn.kind == "rpc" and conn.buffer:
                total += page_round(conn.buffer) + 2 * LARGE_PAGE
    for dev in inst.devices:
        for _, size in dev.dt.regs:
            total += page_round(size) + 2 * PAGE
    for size in inst.type.dma.values():
        total += page_round(size) + 2 * LARGE_PAGE
    if _has_constants(inst):
        total += 2 * PAGE
    return total
