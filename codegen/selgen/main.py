"""codegen: validate a system description and generate its glue, layout and build rules.

usage: codegen SYSTEM.yaml --out DIR [--root DIR] [--idl DIR] [--graph] [--check]
       codegen --test-component NAME --out DIR      (a test system for one component)
"""
import argparse
import os
import sys

from . import dtb, generate, graph, harness, layout, memory, system as system_mod
from .errors import Problems


def main(argv=None):
    ap = argparse.ArgumentParser(prog="codegen", description="Validate a system description and generate its "
                                                             "glue, capability layout and build rules.")
    ap.add_argument("system", nargs="?", help="the system description (system.yaml)")
    ap.add_argument("--out", help="where to generate (default build/systems/<name>)")
    ap.add_argument("--root", default=".", help="the project root (components/, idl/ are found from here)")
    ap.add_argument("--idl", help="where the interfaces are (default ROOT/idl); for systems kept outside the "
                                  "project's idl/, such as generated ones")
    ap.add_argument("--graph", action="store_true", help="also write the system as Graphviz DOT, SVG and PNG")
    ap.add_argument("--check", action="store_true", help="only validate")
    ap.add_argument("--test-component", metavar="NAME",
                    help="make a test system for component NAME (components/NAME) and its tests")
    ap.add_argument("--dtb-cache", default=None, help="where dumped device trees are kept (default build/dtb)")
    args = ap.parse_args(argv)

    root = os.path.abspath(args.root)
    idl_dir = os.path.abspath(args.idl) if args.idl else os.path.join(root, "idl")
    dtb_cache = args.dtb_cache or os.path.join(root, "build", "dtb")

    def device_tree_for(harts, memory):
        return dtb.qemu_dtb(dtb_cache, harts, memory)

    try:
        if args.test_component:
            if not args.out:
                ap.error("--test-component needs --out")
            system_path = harness.make_test_system(args.test_component, root, args.out)
        else:
            if not args.system:
                ap.error("give a system description, e.g. codegen system.yaml")
            system_path = os.path.abspath(args.system)
        system = system_mod.load_system(system_path, root, idl_dir, device_tree_for)
    except Problems as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(e.problems)
        print(f"codegen: {n} problem{'s' if n > 1 else ''}; nothing generated", file=sys.stderr)
        return 1
    except (dtb.DtbError, harness.HarnessError) as e:
        print(f"codegen: {e}", file=sys.stderr)
        return 1

    try:
        spec = layout.build(system, debug_holders={harness.DRIVER} if args.test_component else set())
    except ValueError as e:
        print(f"{os.path.relpath(system_path, root)}:{system.components_line}: {e}", file=sys.stderr)
        print("codegen: 1 problem; nothing generated", file=sys.stderr)
        return 1
    try:
        memory.check_memory(system, spec)
    except Problems as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(e.problems)
        print(f"codegen: {n} problem{'s' if n > 1 else ''}; nothing generated", file=sys.stderr)
        return 1
    if args.check:
        print(f"{os.path.relpath(system_path, root)}: system '{system.name}' is valid: "
              f"{len(system.instances)} components, {len(system.connections)} connections")
        return 0
    out = os.path.abspath(args.out or os.path.join(root, "build", "systems", system.name))
    generate.generate(system, spec, out, root, system_path)
    if args.graph:
        for path in graph.write(system, out):
            print(f"codegen: wrote {os.path.relpath(path, root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
