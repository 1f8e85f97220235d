"""Per-component test systems.

`codegen --test-component NAME --out DIR` builds a system of two components:
the component under test (components/NAME) and a test driver that plays its
peer on every port.  The driver's ports mirror the component's (what it
provides, the driver uses; what it emits, the driver consumes; ...), its
code is tests/components/NAME/*.c plus tests/components/harness.c (and
tests/common/failure.c, which it shares with the kernel tests), and
tests/components/NAME/test.yaml sets what a system description would
(priorities, devices, the machine, dataport sizes, and per ring port its
entries, data region and wake-up, and how many connections the driver
makes to a provided one: `clients: {blk: 2}` gives the driver ports blk,
blk_1, ..., each a client of its own).  test.yaml is checked against
codegen/schema/test.schema.json and every port it names must be the
component's, of the right kind.  The driver runs below the component (by
default), so the component runs whenever it has work.  The generated driver
description and system description are written to DIR, and then built like
any other system.
"""
import os

import yaml

from . import schema as schema_mod
from . import yamlpos
from .errors import Collector, Problems, known_list, suggest

# The test driver's name; the loader gives it a copy of its debug capability, to end the run (sel_debug_halt).
DRIVER = "driver"
# test.yaml's per-port settings: which ports of the component each may name.
PORT_SETTINGS = {"sizes": "dataports", "entries": "ring", "data": "ring", "wake": "ring", "clients": "provided ring"}


class HarnessError(Exception):
    pass


def _read(path, root):
    problems = Collector()
    node = yamlpos.load(path, os.path.relpath(path, root), problems)
    if problems.problems:
        raise Problems(problems.problems)
    return node


def test_schema():
    """test.schema.json, with the definitions of system.schema.json (devices, machine, sizes)."""
    schema = schema_mod.load_schema("test.schema.json")
    schema["$defs"] = schema_mod.load_schema("system.schema.json")["$defs"]
    return schema


def check_port_settings(test, desc, ring_interface, component, problems):
    """Every port a per-port setting names is a port of the component of the kind it applies to."""
    kinds = {}
    for kind in ("provides", "uses"):
        for port, iface in (desc.get(kind) or {}).items():
            kinds[port] = f"{'provided' if kind == 'provides' else 'used'} {'ring' if ring_interface(iface) else 'rpc'}"
    for port in desc.get("dataports") or []:
        kinds[port] = "dataports"
    for setting, wanted in PORT_SETTINGS.items():
        if setting not in test:
            continue
        fits = [p for p, k in kinds.items() if wanted in k]
        for port, node in test.get(setting).keys.items():
            if port not in kinds:
                problems.add(node, f"'{setting}' names port '{port}', which component '{component}' does not have "
                                   f"(its {wanted.replace('dataports', 'dataport')} ports: {known_list(fits)})"
                                   f"{suggest(port, fits)}")
            elif wanted not in kinds[port]:
                what = "a dataport" if kinds[port] == "dataports" else f"a {kinds[port]} port"
                problems.add(node, f"'{setting}' applies to {wanted.replace('dataports', 'dataport')} ports; "
                                   f"'{port}' of component '{component}' is {what}")


def make_test_system(name, root, out):
    tests_dir = os.path.join(root, "tests", "components", name)
    test_file = os.path.join(tests_dir, "test.yaml")
    if not os.path.exists(test_file):
        have = sorted(d for d in os.listdir(os.path.join(root, "tests", "components"))
                      if os.path.exists(os.path.join(root, "tests", "components", d, "test.yaml")))
        raise HarnessError(f"no tests for component '{name}': {os.path.relpath(test_file, root)} is missing "
                           f"(components with tests: {', '.join(have) or 'none'})")
    test = _read(test_file, root)
    problems = Collector()
    schema_mod.validate(test, test_schema(), problems)
    problems.stop()
    component = test.value("component", name)
    source = os.path.join("components", component)
    comp_file = os.path.join(root, source, "component.yaml")
    if not os.path.exists(comp_file):
        raise HarnessError(f"{os.path.relpath(test_file, root)}: component '{component}' has no {source}/component.yaml")
    desc = _read(comp_file, root).py()
    sizes, entries = test.value("sizes", {}) or {}, test.value("entries", {}) or {}
    data, wake, clients = test.value("data", {}) or {}, test.value("wake", {}) or {}, test.value("clients", {}) or {}

    def ring_interface(iface):
        path = os.path.join(root, "idl", f"{iface}.yaml")
        try:
            with open(path, encoding="utf-8") as f:
                return "ring" in (yaml.safe_load(f) or {})
        except (OSError, yaml.YAMLError):
            return False   # codegen reports the interface properly when it loads it

    check_port_settings(test, desc, ring_interface, component, problems)
    problems.stop()

    driver = {"component": "driver", "control": True, "default_handlers": True,
              "sources": [os.path.relpath(os.path.join(tests_dir, "*.c"), root), "tests/components/harness.c",
                          "tests/common/failure.c"]}
    connections = []
    under_test = component
    # The driver uses what the component provides and provides what it uses; connections go user -> provider.
    # A provided ring port may have several clients: the driver's ports port, port_1, port_2, ...
    for mine, theirs in (("provides", "uses"), ("uses", "provides")):
        for port, iface in (desc.get(mine) or {}).items():
            kind = "ring" if ring_interface(iface) else "rpc"
            copies = clients.get(port, 1) if mine == "provides" else 1
            for i in range(copies):
                driver_port = port if i == 0 else f"{port}_{i}"
                driver.setdefault(theirs, {})[driver_port] = iface
                user, provider = (f"driver.{driver_port}", f"{under_test}.{port}") if mine == "provides" else \
                    (f"{under_test}.{port}", f"driver.{port}")
                conn = {"kind": kind, "from": user, "to": provider}
                for key, values in (("entries", entries), ("data", data), ("wake", wake)):
                    if kind == "ring" and port in values:
                        conn[key] = values[port]
                connections.append(conn)
    for mine, theirs, direction in (("emits", "consumes", 1), ("consumes", "emits", -1)):
        ports = desc.get(mine) or []
        for port in ports:
            if isinstance(ports, dict):
                driver.setdefault(theirs, {})[port] = ports[port]
            else:
                driver.setdefault(theirs, []).append(port)
            ends = (f"{under_test}.{port}", f"driver.{port}")[::direction]
            connections.append({"kind": "event", "from": ends[0], "to": ends[1]})
    for port in desc.get("dataports") or []:
        driver.setdefault("dataports", []).append(port)
        conn = {"kind": "dataport", "from": f"driver.{port}", "to": f"{under_test}.{port}"}
        if port in sizes:
            conn["size"] = sizes[port]
        connections.append(conn)

    cut = {"name": under_test, "source": source, "priority": test.value("priority", 100)}
    if test.value("hart") is not None:
        cut["hart"] = test.value("hart")
    if test.value("devices"):
        cut["devices"] = test.value("devices")
    system = {
        "name": f"test_{under_test}",
        **({"machine": test.value("machine")} if test.value("machine") else {}),
        "components": [cut, {"name": "driver", "source": os.path.relpath(os.path.join(out, "driver"), root),
                             "priority": test.value("driver_priority", max(1, cut["priority"] - 10))}],
        "connections": connections,
    }
    # A component that can serve the console is the test system's console: it reads the kernel's (where the
    # driver's results go), and the driver is its client on the console port like any other.
    if (desc.get("provides") or {}).get("console") == "console":
        system["console"] = under_test
    os.makedirs(os.path.join(out, "driver"), exist_ok=True)
    header = f"# generated by codegen --test-component {name} from {os.path.relpath(test_file, root)}\n"
    with open(os.path.join(out, "driver", "component.yaml"), "w", encoding="utf-8") as f:
        f.write(header + yaml.safe_dump(driver, sort_keys=False))
    system_path = os.path.join(out, "test-system.yaml")
    with open(system_path, "w", encoding="utf-8") as f:
        f.write(header + yaml.safe_dump(system, sort_keys=False))
    return system_path
