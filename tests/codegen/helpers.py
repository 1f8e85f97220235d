"""What the codegen tests share: where things are, running codegen (as a
program and in this process), and a writer of small flattened device trees
for layouts QEMU's virt machine cannot give.

Run the tests with:  PYTHONPATH=codegen python3 -m unittest discover -s tests/codegen
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CODEGEN_DIR = os.path.join(REPO, "codegen")
INVALID = os.path.join(HERE, "fixtures", "invalid")
VALID = os.path.join(HERE, "fixtures", "valid")
# One device-tree cache for every test: codegen dumps QEMU's DTB once per cache directory.
DTB_CACHE = os.environ.get("CODEGEN_TEST_DTB_CACHE") or os.path.join(REPO, "build", "dtb")

if CODEGEN_DIR not in sys.path:
    sys.path.insert(0, CODEGEN_DIR)

from selgen import dtb, generate, layout, model, system  # noqa: E402,F401
from selgen.system import load_system  # noqa: E402


def run_codegen(*args, root=REPO, timeout=120):
    """Runs codegen as a program with this Python; returns the CompletedProcess (text stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=CODEGEN_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "selgen.main", *args, "--root", root, "--dtb-cache", DTB_CACHE],
                          env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def qemu_device_tree(harts, memory):
    return dtb.qemu_dtb(DTB_CACHE, harts, memory)


def load(root, system="system.yaml", device_tree_for=qemu_device_tree):
    """Loads and validates root/system in this process; returns the model.System (or raises errors.Problems)."""
    return load_system(os.path.join(root, system), root, os.path.join(root, "idl"), device_tree_for)


def load_layout(root, system="system.yaml", device_tree_for=qemu_device_tree):
    """The system and its capability layout (selgen.layout.Spec)."""
    s = load(root, system, device_tree_for)
    return s, layout.build(s)


# ---- a flattened device tree writer ----------------------------------------------

def u32(*values):
    return struct.pack(f">{len(values)}I", *values)


def fdt(root):
    """A flattened device tree blob.  root is (name, {property: bytes}, [children]), children alike."""
    strings, offsets = bytearray(), {}
    out = bytearray()

    def string_offset(name):
        if name not in offsets:
            offsets[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return offsets[name]

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    def node(name, props, children):
        out.extend(u32(dtb.BEGIN_NODE))
        out.extend(name.encode() + b"\0")
        pad()
        for pname, value in props.items():
            out.extend(u32(dtb.PROP, len(value), string_offset(pname)))
            out.extend(value)
            pad()
        for child in children:
            node(*child)
        out.extend(u32(dtb.END_NODE))

    node(*root)
    out.extend(u32(dtb.END))
    header_size, reserve_map = 40, bytes(16)          # an empty memory reservation map: one zero entry
    off_struct = header_size + len(reserve_map)
    off_strings = off_struct + len(out)
    total = off_strings + len(strings)
    header = u32(dtb.FDT_MAGIC, total, off_struct, off_strings, header_size, 17, 16, 0, len(strings), len(out))
    return header + reserve_map + bytes(out) + bytes(strings)


def small_platform(*devices):
    """A device tree with a PLIC (phandle 1) and the given devices: (name, [(base, size), ...], [irq, ...])."""
    children = [("plic@c000000", {"compatible": b"riscv,plic0\0", "phandle": u32(1), "reg": u32(0, 0xC000000, 0, 0x600000),
                                  "#interrupt-cells": u32(1)}, [])]
    for name, regs, irqs in devices:
        props = {"reg": b"".join(u32(base >> 32, base & 0xFFFFFFFF, size >> 32, size & 0xFFFFFFFF) for base, size in regs)}
        if irqs:
            props["interrupts"] = u32(*irqs)
            props["interrupt-parent"] = u32(1)
        children.append((name, props, []))
    return fdt(("", {"#address-cells": u32(2), "#size-cells": u32(2)}, [("soc", {"#address-cells": u32(2),
                                                                                  "#size-cells": u32(2)}, children)]))
