"""Reads a flattened device tree (as QEMU dumps it) to find devices' registers and interrupts."""
import os
import struct
import subprocess

FDT_MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9


class DtbError(Exception):
    pass


class DtNode:
    def __init__(self, name, parent):
        self.name, self.parent = name, parent
        self.props, self.children = {}, []

    @property
    def path(self):
        if self.parent is None:
            return "/"
        parent = self.parent.path
        return (parent if parent != "/" else "") + "/" + self.name

    def cells(self, prop, default):
        value = self.props.get(prop)
        return struct.unpack(">I", value)[0] if value is not None and len(value) == 4 else default

    def u32s(self, prop):
        value = self.props.get(prop, b"")
        return list(struct.unpack(f">{len(value) // 4}I", value[: len(value) // 4 * 4]))

    def strings(self, prop):
        return [s.decode("ascii", "replace") for s in self.props.get(prop, b"").split(b"\0") if s]


class Device:
    def __init__(self, node, regs, irqs):
        self.node, self.regs, self.irqs = node, regs, irqs
        self.name = node.name                     # serial@10000000
        self.base_name = node.name.split("@")[0]  # serial
        self.compatible = node.strings("compatible")


class DeviceTree:
    def __init__(self, blob, source="device tree"):
        self.source = source
        if len(blob) < 40 or struct.unpack(">I", blob[:4])[0] != FDT_MAGIC:
            raise DtbError(f"{source}: not a flattened device tree")
        (_, total, off_struct, off_strings, _, _, _, _, size_strings, size_struct) = struct.unpack(">10I", blob[:40])
        if off_struct + size_struct > len(blob) or off_strings + size_strings > len(blob):
            raise DtbError(f"{source}: truncated device tree")
        strings = blob[off_strings:off_strings + size_strings]
        self.root, self.by_phandle, self.nodes = None, {}, []
        pos, end, node = off_struct, off_struct + size_struct, None
        while pos + 4 <= end:
            (token,) = struct.unpack(">I", blob[pos:pos + 4])
            pos += 4
            if token == BEGIN_NODE:
                name_end = blob.index(b"\0", pos)
                name = blob[pos:name_end].decode("ascii", "replace")
                pos = (name_end + 1 + 3) & ~3
                child = DtNode(name, node)
                if node is None:
                    self.root = child
                else:
                    node.children.append(child)
                self.nodes.append(child)
                node = child
            elif token == END_NODE:
                node = node.parent
            elif token == PROP:
                length, nameoff = struct.unpack(">II", blob[pos:pos + 8])
                pos += 8
                pname = strings[nameoff:strings.index(b"\0", nameoff)].decode("ascii")
                node.props[pname] = blob[pos:pos + length]
                pos = (pos + length + 3) & ~3
            elif token == NOP:
                continue
            elif token == END:
                break
            else:
                raise DtbError(f"{source}: unknown token {token}")
        for n in self.nodes:
            if "phandle" in n.props:
                self.by_phandle[n.cells("phandle", 0)] = n
        self.plic = next((n for n in self.nodes if {"riscv,plic0", "sifive,plic-1.0.0"} & set(n.strings("compatible"))),
                         None)

    def _interrupt_parent(self, node):
        n = node
        while n is not None:
            if "interrupt-parent" in n.props:
                return self.by_phandle.get(n.cells("interrupt-parent", 0))
            n = n.parent
        return None

    def device(self, name):
        """The device whose node is called name (e.g. serial@10000000), or None."""
        for n in self.nodes:
            if n.name == name:
                return self._device(n)
        return None

    def device_names(self):
        return sorted(n.name for n in self.nodes if "reg" in n.props and "@" in n.name and n.parent is not None
                      and n.parent.name != "cpus")

    def _device(self, node):
        parent = node.parent
        ac, sc = parent.cells("#address-cells", 2), parent.cells("#size-cells", 1)
        regs, cells = [], node.u32s("reg")
        step = ac + sc
        for i in range(0, len(cells) - step + 1, step):
            addr = 0
            for c in cells[i:i + ac]:
                addr = (addr << 32) | c
            size = 0
            for c in cells[i + ac:i + step]:
                size = (size << 32) | c
            regs.append((addr, size))
        irqs = []
        if self._interrupt_parent(node) is self.plic and self.plic is not None:
            irqs = node.u32s("interrupts")
        return Device(node, regs, irqs)


def qemu_dtb(cache_dir, harts, memory_bytes, qemu="qemu-system-riscv64"):
    """The device tree of QEMU's virt machine with this many harts and this much memory (cached)."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"virt-{harts}-{memory_bytes >> 20}M.dtb")
    if not os.path.exists(path):
        tmp = path + ".tmp"
        try:
            subprocess.run([qemu, "-machine", f"virt,dumpdtb={tmp}", "-smp", str(harts), "-m", f"{memory_bytes >> 20}M",
                            "-nographic"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, check=True, timeout=60)
        except FileNotFoundError:
            raise DtbError(f"cannot run {qemu} to read the platform's device tree "
                           "(install it: apt-get install qemu-system-misc)")
        except subprocess.CalledProcessError as e:
            raise DtbError(f"{qemu} could not dump the device tree: {e.stderr.decode(errors='replace').strip()}")
        os.replace(tmp, path)
    with open(path, "rb") as f:
        return DeviceTree(f.read(), path)
