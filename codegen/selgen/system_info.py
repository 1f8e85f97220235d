"""System information from the loader (docs/system.md "System information").

    - {kind: rpc, from: shell.system, to: loader.system}

The name `loader` stands for the loader, which serves interface
system_info (idl/system_info.yaml) on its fault endpoint with badges of
their own: the component count, each component's name, state, priority,
hart and instructions, each hart's idle time.  `loader` is no component:
it has this one port, and nothing is laid out for it but the endpoint (a
spec object the loader uses as its fault endpoint) and its clients' caps.
codegen generates the loader's side of the rpc (loader_rpc.c, from the
interface like any server's) into the system's build folder.
"""
from .model import ComponentType, Port

LOADER = "loader"
LOADER_PORT = "system"
LOADER_INTERFACE = "system_info"


class LoaderInstance:
    """The loader as the providing end of connections (not an instance: it is laid out by nobody)."""

    def __init__(self, interfaces, where):
        self.name = LOADER
        self.type = ComponentType(LOADER, "loader", "loader/main.c", False)
        iface = interfaces.get(LOADER_INTERFACE, where)
        if iface is not None:
            self.type.ports[LOADER_PORT] = Port(LOADER_PORT, "provides", iface, None)
        self.devices, self.group, self.priority, self.hart, self.index = [], None, 255, 0, -1


def is_loader(inst):
    return isinstance(inst, LoaderInstance)
