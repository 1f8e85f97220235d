"""Loading a system: system.yaml, the component.yaml of each component it
names and the interfaces in idl/ they use, checked (structure by JSON
Schema, meaning by the passes below) and linked together into a
model.System.  Every problem is reported with its place; nothing is
generated unless there are none.

The passes, in the order they run (each is a function of this name):

    check_machine               harts and memory of QEMU's virt machine (memory.py),
                                its disk and network (machine.py)
    check_components            names, sources (component.yaml, components.py),
                                harts, stacks and heaps
    check_devices               device-tree nodes a component drives
    check_device_pages          no two devices' registers in one page
    check_console               the component that serves the console (console.py)
    check_connections           each connection, by kind (connections.py)
    add_console_connections     every component's ring to the console (console.py)
    check_every_port_connected  no using port or dataport left unconnected
    check_groups                address spaces shared by components
    check_rpc_cycles            calls that come back round deadlock
    check_notification_bits     what each component's notification must carry
"""
import os
import re

from . import machine as machine_mod
from . import memory
from .console import add_console_connections, check_console
from . import names as glue_names
from . import schema as schema_mod
from . import yamlpos
from .components import Components
from .connections import check_connections, check_every_port_connected
from .errors import Collector, known_list, suggest
from .interfaces import Interfaces
from .model import (DEFAULT_MACHINE, KERNEL_DEVICES, MAX_COMPONENTS, MAX_HEAP, MAX_NAME, MAX_STACK, MIN_MEMORY,
                    NOTIFICATION_BITS,
                    Device, Group, Instance, System, parse_size)
from .yamlpos import Map, Seq


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
    system = System(name, display, check_machine(root, device_tree_for, problems, root_dir))
    # Where a system too big for its machine is reported (memory.check_memory, after the layout).
    system.memory_where = root.get("machine").get("memory") if "memory" in root.get("machine", Map("", 0, 0)) \
        else root.keys["components"]
    system.components_line = f"{root.get('components').line}:{root.get('components').col}"
    interfaces = Interfaces(idl_dir, problems, root_dir)
    components = Components(root_dir, interfaces, problems)

    by_name = check_components(root, system, components, problems)
    system.loader = None
    system.interfaces_for_loader = interfaces   # the loader's interface is loaded when a connection names it
    claimed = check_devices(system, device_tree_for, problems)
    check_device_pages(claimed, problems)
    check_console(root, system, by_name, problems)
    named = check_connections(root, system, by_name, problems)
    check_every_port_connected(system, named, problems)
    add_console_connections(system)
    check_groups(root, system, by_name, problems)
    check_rpc_cycles(system, problems)
    check_notification_bits(system, problems)

    problems.stop()
    system.interfaces = {n: i for n, i in interfaces.loaded.items() if i is not None}
    return system


def check_machine(root, device_tree_for, problems, root_dir="."):
    """The machine: harts (the schema bounds them) and memory in whole megabytes, at least the minimum,
    that the kernel can map and QEMU can allocate (whether it is enough for the system is known once
    the layout is: memory.check_memory); its disk and network (machine.py)."""
    machine = dict(DEFAULT_MACHINE)
    if "machine" not in root:
        return machine
    m = root.get("machine")
    if "disk" in m:
        machine["disk"] = machine_mod.check_disk(m.get("disk"), root_dir, problems)
    if "network" in m:
        machine["network"] = machine_mod.check_network(m.get("network"), problems)
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
    elif "memory" in m:
        memory.check_machine_memory(machine["harts"], machine["memory"], m.get("memory"), device_tree_for, problems)
    return machine


# Names a component cannot have: the console prefixes each line with its writer's name, so these
# would pass for the kernel's or the loader's own lines.
RESERVED_NAMES = {
    "loader": "the boot archive holds the loader under that name, and its console lines begin 'loader:'",
    "kernel": "the kernel's console lines begin 'kernel:', and a component's must not look like them",
}


def check_components(root, system, components, problems):
    """Each component: a unique name that fits, its component.yaml, a hart of the machine, sizes that
    are whole pages.  Returns the instances by name."""
    machine = system.machine
    by_name = {}
    for node in root.get("components"):
        iname = node.value("name")
        if iname in by_name:
            problems.add(node.get("name"), f"component name '{iname}' is used twice (first at line "
                                           f"{by_name[iname].node.line})")
            continue
        if len(iname) > MAX_NAME:
            problems.add(node.get("name"), f"component name '{iname}' is {len(iname)} characters; at most "
                                           f"{MAX_NAME}")
        if iname in RESERVED_NAMES:
            problems.add(node.get("name"), f"component name '{iname}' is taken: {RESERVED_NAMES[iname]}; "
                                           "choose another")
        ctype = components.get(node.value("source"), node.get("source"))
        inst = Instance(iname, ctype, node, len(system.instances))
        by_name[iname] = inst
        system.instances.append(inst)
        if inst.hart >= machine["harts"]:
            problems.add(node.get("hart"), f"'hart' of component '{iname}' is {inst.hart}, but the machine has "
                                           f"{machine['harts']} hart{'s' if machine['harts'] > 1 else ''} "
                                           f"(0..{machine['harts'] - 1})")
        for ps, limit in (("stack", MAX_STACK), ("heap", MAX_HEAP)):
            size = getattr(inst, ps)
            if size % 4096 or size == 0 or size > limit:
                problems.add(node.get(ps), f"'{ps}' of component '{iname}' must be a multiple of 4K between 4K "
                                           f"and {limit >> 20}M, not {node.value(ps)}")
    if len(system.instances) > MAX_COMPONENTS:
        problems.add(root.get("components"), f"{len(system.instances)} components; this layout has room for "
                                             f"{MAX_COMPONENTS}")
    return by_name


def check_devices(system, device_tree_for, problems):
    """Each device a component names is a node of the platform's device tree with registers, not the
    kernel's, claimed once, with a glue name of its own.  Returns {node name: (instance, where)}."""
    claimed = {}
    if not any("devices" in i.node for i in system.instances):
        return claimed
    try:
        tree = device_tree_for(system.machine["harts"], system.machine["memory"])
    except Exception as e:  # the device tree could not be read: say why, once
        problems.add(system.file, str(e))
        return claimed
    for inst in system.instances:
        if "devices" not in inst.node:
            continue
        names = {}
        for dnode in inst.node.get("devices"):
            node_name = dnode.value if isinstance(dnode, yamlpos.Scalar) else dnode.value("node")
            where = dnode if isinstance(dnode, yamlpos.Scalar) else dnode.get("node")
            if node_name in machine_mod.ROLES:
                # The machine's disk or network, by role: the virtio-mmio slot QEMU puts it in.
                node_name = machine_mod.slots(system.machine).get(node_name)
                if node_name is None:
                    role = where.value
                    problems.add(where, f"device '{role}' of component '{inst.name}' is the machine's {role}, but "
                                        f"the machine has none: give it one in system.yaml (machine: {{{role}: "
                                        + ("{folder: ...}} or {image: ...}}" if role == "disk" else "{}}") + ")")
                    continue
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
                other, other_where = claimed[node_name][:2]
                said = f"'{where.value}'" + (f" ({node_name})" if where.value != node_name else "")
                if other is inst:
                    problems.add(where, f"component '{inst.name}' names device {said} twice (first at line "
                                        f"{other_where.line})")
                else:
                    problems.add(where, f"device {said} is claimed twice: by '{other.name}' (line "
                                        f"{other_where.line}) and by '{inst.name}'")
                continue
            claimed[node_name] = (inst, where, dt)
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
            irq = dnode.value("irq", "notification") if isinstance(dnode, Map) else "notification"
            if irq == "token" and not check_irq_token(inst, node_name, dt, dnode, problems):
                continue
            inst.devices.append(Device(gname, dt, where, irq))
        glue_names.check_devices(inst, problems)
    return claimed


def check_irq_token(inst, node_name, dt, dnode, problems):
    """Interrupts as tokens go to the loop thread's user-interrupt handler: the device must have interrupts,
    and the component an event loop."""
    if not dt.irqs:
        problems.add(dnode.get("irq"), f"device '{node_name}' of component '{inst.name}' has no interrupt lines, "
                                       "so 'irq' means nothing for it; leave it out")
        return False
    if inst.type and inst.type.control:
        problems.add(dnode.get("irq"), f"device '{node_name}' of component '{inst.name}' says irq: token, but "
                                       f"'{inst.name}' is a control component ({inst.type.file}: control: true), "
                                       "with no event loop for a token to divert; use irq: notification (or "
                                       "leave it out)")
        return False
    return True


def check_device_pages(claimed, problems):
    """Registers of different devices must not share a page: each page goes to one component."""
    pages = {}
    for node_name, (inst, where, dt) in claimed.items():
        for base, size in dt.regs:
            for page in range(base >> 12, (base + max(size, 1) + 4095) >> 12):
                if page in pages and pages[page][0] != node_name:
                    other = pages[page][0]
                    problems.add(where, f"device '{node_name}' ({base:#x}-{base + size - 1:#x}) overlaps device "
                                        f"'{other}' in page {page << 12:#x}; a page can go to one device only")
                    break
                pages[page] = (node_name, inst)


def check_groups(root, system, by_name, problems):
    """Each group (a list, or a mapping with a name and members) names known components, each in one group."""
    in_group = {}
    for gi, gnode in enumerate(root.get("groups", Seq(root.file, 0, 0, []))):
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


def check_rpc_cycles(system, problems):
    """Calls that come back round deadlock, at any priorities: a component answers calls on the thread
    that makes its own calls, so when a call comes back to a component that is waiting in its own Call,
    nothing can answer it.  A control component is the exception: its run() makes the calls while a
    thread of its own answers them (its handlers must not call round the cycle themselves).  One
    cycle is reported per knot of components, at the connection that closes it."""
    calls = {}          # caller -> {callee: the connection}
    for conn in system.connections:
        caller, callee = conn.from_inst, conn.to_inst
        if conn.kind == "rpc" and not caller.type.control and not callee.type.control:
            calls.setdefault(caller.name, {}).setdefault(callee.name, conn)
    graph = {name: set(callees) for name, callees in calls.items()}
    for knot in strongly_connected(graph):
        if len(knot) < 2:
            continue
        start = min(knot)
        cycle = find_cycle(start, {n: graph.get(n, set()) & knot for n in knot})
        hops = [calls[a][b] for a, b in zip(cycle, cycle[1:] + cycle[:1])]
        closing = max(hops, key=lambda c: c.index)
        problems.add(closing.node, f"rpc connection '{closing.label}' closes a cycle of calls "
                                   f"{' -> '.join(cycle + [cycle[0]])}, which deadlocks whatever the priorities: "
                                   "a component answers calls on the thread that makes its own, so a call that "
                                   "comes back round finds its server waiting in its own Call; carry one way by "
                                   "an event or a ring, or make one of them a control component (control: true), "
                                   "whose run() calls while another thread answers")


def strongly_connected(graph):
    """The strongly connected components of graph (name -> set of names), as sets of names (Tarjan's
    algorithm, iterative: linear in the graph whatever its depth)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                knot = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    knot.add(member)
                    if member == node:
                        break
                result.append(knot)
    return result


def find_cycle(start, graph):
    """A cycle through start in graph (name -> set of names), as a list of names, or None.  Each name is
    explored once: one that did not lead back to start will not later either."""
    stack, on_path, explored = [(start, iter(sorted(graph.get(start, ()))))], [start], {start}
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.pop()
            continue
        if child == start:
            return list(on_path)
        if child not in explored:
            explored.add(child)
            stack.append((child, iter(sorted(graph.get(child, ())))))
            on_path.append(child)
    return None


def check_notification_bits(system, problems):
    """Each component's notification has 62 badge bits for events, interrupts and ring wake-ups."""
    for inst in system.instances:
        if inst.type is None:
            continue
        bits = sum(len(d.dt.irqs) for d in inst.devices)
        for port in inst.type.ports.values():
            if port.kind == "consumes":
                bits += len(port.interface.events) if port.interface else 1
            if port.kind in ("provides", "uses") and port.interface and port.interface.kind == "ring":
                # Every client of a provided ring port wakes it on one bit: the loop looks at them all.
                bits += min(1, len(port.connections_of(inst)))
        if bits > NOTIFICATION_BITS:
            problems.add(inst.node.get("name"), f"component '{inst.name}' receives {bits} events, interrupts and "
                                                f"ring wake-ups; at most {NOTIFICATION_BITS} fit its notification")
