"""Per-component test systems.

`codegen --test-component NAME --out DIR` builds a system of two components:
the component under test (components/NAME) and a test driver that plays its
peer on every port.  The driver's ports mirror the component's (what it
provides, the driver uses; what it emits, the driver consumes; ...), its
code is tests/components/NAME/*.c plus tests/components/harness.c (and
tests/common/failure.c, which it shares with the kernel tests), and
tests/components/NAME/test.yaml sets what a system description would
(priorities, devices, sizes).  The driver runs below the component (by
default), so the component runs whenever it has work.  The generated driver
description and system description are written to DIR, and then built like
any other system.
"""
import os

import yaml

from . import yamlpos
from .errors import Collector, Problems

# The test driver's name; the loader gives it a copy of its debug capability, to end the run (sel_debug_halt).
DRIVER = "driver"
TEST_KEYS = {"component", "priority", "driver_priority", "hart", "devices", "sizes", "entries"}


class HarnessError(Exception):
    pass


def _read(path, root):
    problems = Collector()
    node = yamlpos.load(path, os.path.relpath(path, root), problems)
    if problems.problems:
        raise Problems(problems.problems)
    return node


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
    for key in test.keys:
        if key not in TEST_KEYS:
            problems.add(test.keys[key], f"unknown key '{key}' (known: {', '.join(sorted(TEST_KEYS))})")
    problems.stop()
    component = test.value("component", name)
    source = os.path.join("components", component)
    comp_file = os.path.join(root, source, "component.yaml")
    if not os.path.exists(comp_file):
        raise HarnessError(f"{os.path.relpath(test_file, root)}: component '{component}' has no {source}/component.yaml")
    desc = _read(comp_file, root).py()
    sizes, entries = test.value("sizes", {}) or {}, test.value("entries", {}) or {}

    def ring_interface(iface):
        path = os.path.join(root, "idl", f"{iface}.yaml")
        try:
            with open(path, encoding="utf-8") as f:
                return "ring" in (yaml.safe_load(f) or {})
        except (OSError, yaml.YAMLError):
            return False   # codegen reports the interface properly when it loads it

    driver = {"component": "driver", "control": True, "default_handlers": True,
              "sources": [os.path.relpath(os.path.join(tests_dir, "*.c"), root), "tests/components/harness.c",
                          "tests/common/failure.c"]}
    connections = []
    under_test = component
    # The driver uses what the component provides and provides what it uses; connections go user -> provider.
    for mine, theirs in (("provides", "uses"), ("uses", "provides")):
        for port, iface in (desc.get(mine) or {}).items():
            driver.setdefault(theirs, {})[port] = iface
            kind = "ring" if ring_interface(iface) else "rpc"
            user, provider = ("driver", under_test) if mine == "provides" else (under_test, "driver")
            conn = {"kind": kind, "from": f"{user}.{port}", "to": f"{provider}.{port}"}
            if kind == "ring" and port in entries:
                conn["entries"] = entries[port]
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
