"""Loading the component.yaml of a component's folder: on first use, checked
against codegen/schema/component.schema.json, and then by meaning:

    check_sources           the folder's C files and those listed under 'sources'
    check_ports             each port once, of an interface of the right kind
    check_optional          the rpc ports it uses that may be left unconnected
    check_dma               private DMA regions: a size each, at most 1G
    names.check_component   the C names the glue defines for the ports clash
                            neither with each other nor with C (names.py)

A component with problems of its own is not used: it would only cause more
messages about its connections.
"""
import glob
import os

from . import names
from . import schema as schema_mod
from .errors import known_list, suggest
from .model import PORT_KINDS, ComponentType, Port, parse_size

MAX_DMA = 1 << 30
from .yamlpos import Seq


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
        path = self._description(source, folder, where)
        if path is None:
            return None
        display = os.path.relpath(path, self.root_dir)
        root = schema_mod.load_valid(path, display, self.schema, self.problems)
        if root is None:
            return None
        before = len(self.problems.problems)
        ctype = ComponentType(root.value("component"), folder, display, root.value("control", False))
        ctype.default_handlers = root.value("default_handlers", False)
        check_sources(root, ctype, self.root_dir, self.problems)
        check_ports(root, ctype, self.interfaces, self.problems)
        check_optional(root, ctype, self.problems)
        check_dma(root, ctype, self.problems)
        names.check_component(ctype, self.problems)
        self.loaded[folder] = ctype if len(self.problems.problems) == before else None
        return self.loaded[folder]

    def _description(self, source, folder, where):
        """The path of the folder's component.yaml, or None with the problem reported."""
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
        if not os.path.exists(path):
            self.problems.add(where, f"'{source}' has no component.yaml describing its ports")
            return None
        return path


def check_sources(root, ctype, root_dir, p):
    """The folder's .c files, then each 'sources' pattern (relative to the project root), which must match."""
    folder = ctype.folder
    ctype.sources = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".c"))
    for snode in root.get("sources", []):
        matches = sorted(glob.glob(os.path.join(root_dir, snode.value)))
        if not matches:
            p.add(snode, f"source '{snode.value}' matches no file")
        ctype.sources += [m for m in matches if m not in ctype.sources]
    if not ctype.sources:
        p.add(root.get("component"), f"component '{ctype.name}' has no C sources (no .c file in "
                                     f"{os.path.relpath(folder, root_dir)})")
    folder_name = os.path.basename(folder)
    if ctype.name != folder_name:
        p.add(root.get("component"), f"this component is called '{ctype.name}', but its folder is "
                                     f"'{folder_name}'; they must agree")


def check_ports(root, ctype, interfaces, p):
    """Each port once; rpc and ring ports of rpc or ring interfaces, event ports of event interfaces."""
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
                iface = interfaces.get(iface_node.value, iface_node)
                if iface is not None:
                    _check_port_interface(name, kind, iface, iface_node, p)
            ctype.ports[name] = Port(name, kind, iface, node)


def check_dma(root, ctype, p):
    """Each private DMA region has a size, at most 1G, and a name no port has."""
    for name, node in (root.get("dma").keys.items() if "dma" in root else []):
        size = parse_size(root.get("dma").value(name))
        if size > MAX_DMA:
            p.add(root.get("dma").get(name), f"DMA region '{name}' is {root.get('dma').value(name)}; at most 1G")
            continue
        if name in ctype.ports:
            p.add(node, f"DMA region '{name}' has the name of port '{name}' (line {ctype.ports[name].node.line}); "
                        "rename one of them")
            continue
        ctype.dma[name] = size
        ctype.dma_nodes[name] = node


def _check_port_interface(name, kind, iface, iface_node, p):
    if kind in ("provides", "uses") and iface.kind not in ("rpc", "ring"):
        p.add(iface_node, f"port '{name}' {kind} interface '{iface.name}', which has neither procedures nor a ring")
    for proc in iface.procedures if kind == "provides" else []:
        if proc.name in ("client", "client_name"):
            p.add(iface_node, f"procedure '{proc.name}' of interface '{iface.name}' would clash with the generated "
                              f"{name}_{proc.name}() of provided port '{name}'; rename the procedure")
    if kind in ("emits", "consumes") and iface.kind != "event":
        p.add(iface_node, f"event port '{name}' names interface '{iface.name}', which has no events")


def check_optional(root, ctype, p):
    """'optional' names rpc ports the component uses: a system may leave them unconnected."""
    ctype.optional = set()
    for node in root.get("optional", []):
        port = ctype.ports.get(node.value)
        if port is None:
            p.add(node, f"optional port '{node.value}' is not a port of this component (its ports: "
                        f"{known_list(ctype.ports)}){suggest(node.value, ctype.ports)}")
        elif port.kind != "uses" or not port.interface or port.interface.kind != "rpc":
            p.add(node, f"optional port '{node.value}' {port.describe()}; only rpc ports it uses can be optional")
        else:
            ctype.optional.add(node.value)
            port.optional = True
