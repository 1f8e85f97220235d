"""The system's console (docs/system.md "The console").

    console: serial            # system.yaml: the component that serves the console

The console component provides a ring port `console` of interface console
(idl/console.yaml).  It gets the kernel's console: IRQ line 0, which
codegen gives it as a device called kernel_console (no registers, one
interrupt), so the kernel stops writing the UART and hands it what it
prints (docs/kernel.md, "The console read from user space").

Every other component gets an implicit ring connection from a port of its
own, `glue_console` (interface console), to the console's `console` port:
its stdout (libsel, sel/console.h).  A component that connects a port of
its own to the console port already (the harness's driver of the console's
tests) keeps to that one and prints through the kernel.  A component entry
may say how its output behaves when it is out of credit: `console: {drop:
true}` drops (and counts) instead of waiting.

The passes:

    check_console            (after check_devices) the named component
                             serves a console; the kernel's console goes
                             to it; each component's drop setting
    add_console_connections  (after check_every_port_connected) the
                             implicit rings
"""
from . import names as glue_names
from .connections import link
from .errors import known_list, suggest
from .model import Connection, Device, Port

CONSOLE_PORT = "console"
CONSOLE_INTERFACE = "console"
KERNEL_CONSOLE_DEVICE = "kernel_console"
KERNEL_CONSOLE_IRQ = 0          # SEL_IRQ_KERNEL_CONSOLE
CLIENT_PORT = "glue_console"    # the implicit port of every other component (glue_ names are the glue's)
CONSOLE_ENTRIES = 16            # of each implicit ring: a writer's credit


class KernelConsole:
    """The device-tree node a real device has, for the kernel's console line."""
    name = "kernel console (IRQ line 0)"
    base_name = "kernel_console"
    regs = []
    irqs = [KERNEL_CONSOLE_IRQ]
    compatible = []


def serves_console(ctype):
    """Whether a component type can serve the console: it provides ring port `console` of interface console."""
    port = ctype.ports.get(CONSOLE_PORT) if ctype else None
    return bool(port and port.kind == "provides" and port.interface and port.interface.name == CONSOLE_INTERFACE)


def check_console(root, system, by_name, problems):
    system.console = None
    for inst in system.instances:
        setting = inst.node.get("console")
        inst.console_drop = bool(setting.value("drop", False)) if setting is not None else False
    if "console" not in root:
        for inst in system.instances:
            if inst.node.get("console") is not None:
                problems.add(inst.node.keys["console"], f"component '{inst.name}' says how its console output "
                                                        "behaves, but the system has no console ('console:' at "
                                                        "the top names the component that serves it)")
        return
    where = root.get("console")
    name = where.value
    inst = by_name.get(name)
    if inst is None:
        problems.add(where, f"the console is component '{name}', which is not in the system "
                            f"(components: {known_list(by_name)}){suggest(name, by_name)}")
        return
    if inst.type is None:
        return
    if not serves_console(inst.type):
        problems.add(where, f"the console is component '{name}', but {inst.type.file} does not provide a ring port "
                            f"'{CONSOLE_PORT}' of interface {CONSOLE_INTERFACE} (components/serial does)")
        return
    if inst.node.get("console") is not None:
        problems.add(inst.node.keys["console"], f"component '{name}' serves the console; its own output goes there "
                                                "directly, so it has no console setting of its own")
    if KERNEL_CONSOLE_DEVICE in inst.type.ports or any(d.name == KERNEL_CONSOLE_DEVICE for d in inst.devices):
        problems.add(where, f"component '{name}' serves the console, whose kernel line the glue calls "
                            f"'{KERNEL_CONSOLE_DEVICE}'; a port or device of it has that name already")
        return
    device = Device(KERNEL_CONSOLE_DEVICE, KernelConsole(), where)
    device.kernel_console = True
    inst.devices.append(device)
    glue_names.check_devices(inst, problems)
    system.console = inst


def add_console_connections(system):
    """The implicit ring from each component but the console to the console's port, in the order of the
    components (their client numbers and names at the console)."""
    console = system.console
    if console is None:
        return
    server_port = console.type.ports[CONSOLE_PORT]
    connected = {c.from_inst.name for c in server_port.connections_of(console)}
    where = console.node   # what caused them: the console's entry (console: names it)
    for inst in system.instances:
        if inst is console or inst.type is None or inst.name in connected:
            continue
        port = inst.type.ports.get(CLIENT_PORT)
        if port is None:
            port = inst.type.ports[CLIENT_PORT] = Port(CLIENT_PORT, "uses", server_port.interface, where)
            port.implicit = True
        conn = Connection("ring", where, len(system.connections),
                          ends=(f"{inst.name}.{CLIENT_PORT}", f"{console.name}.{CONSOLE_PORT}"))
        conn.from_inst, conn.from_port, conn.to_inst, conn.to_port = inst, port, console, server_port
        conn.interface = server_port.interface
        conn.entries = CONSOLE_ENTRIES
        conn.implicit_console = True
        link(system, conn)
