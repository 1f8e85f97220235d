"""The system's console (docs/system.md "The console").

    console: serial            # system.yaml: the component that serves the console

The console component provides a ring port `console` of interface console
(idl/console.yaml).  It gets the kernel's console: IRQ line 0, which
codegen gives it as a device called kernel_console (no registers, one
interrupt), so the kernel stops writing the UART and hands it what it
prints (docs/kernel.md, "The console read from user space").

A component entry may say how its output behaves when its console ring is
full: `console: {drop: true}` drops (and counts) instead of waiting.

The pass, run after check_devices:

    check_console      the named component serves a console; the kernel's
                       console goes to it; each component's drop setting
"""
from . import names as glue_names
from .errors import known_list, suggest
from .model import Device

CONSOLE_PORT = "console"
CONSOLE_INTERFACE = "console"
KERNEL_CONSOLE_DEVICE = "kernel_console"
KERNEL_CONSOLE_IRQ = 0          # SEL_IRQ_KERNEL_CONSOLE


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
