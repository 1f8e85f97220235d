"""The machine's disk and network (machine: in system.yaml), the QEMU
arguments that give them to it, and the virtio-mmio slots they land in.

    disk: {folder: web, size: 128M}     tools/mkdisk makes a FAT32 image of the folder
    disk: {image: path/to/disk.img}     an image used as it is (QEMU writes to it)
    network: {forward: [{host: 8080, guest: 80}]}   QEMU user networking; each
                                        forward listens on 127.0.0.1:host (host 0:
                                        any free port, for tests that must not collide)

QEMU's virt machine fills its virtio-mmio slots from the top: the first
-device virtio-*-device on the command line is virtio_mmio@10008000 (PLIC
line 8), the next @10007000 (line 7), and so on.  The disk comes first,
then the network, so a component can name them by role (devices: [disk],
devices: [network]) and codegen picks the node.
"""
import os

from .errors import known_list, suggest
from .model import parse_size

# The virtio-mmio slots of QEMU's virt machine, in the order QEMU fills them.
VIRTIO_SLOTS = [f"virtio_mmio@{0x10008000 - i * 0x1000:x}" for i in range(8)]
ROLES = ("disk", "network")
# tools/mkdisk: a FAT32 image needs 65525 clusters of at least 1 KiB; what a folder needs, as it counts it.
MIN_DISK = 65 << 20


def folder_needs(folder):
    """Bytes tools/mkdisk needs for the files of folder (each in 4 KiB clusters, 8 KiB per folder, the FATs)."""
    kib = 0
    for path, dirs, files in os.walk(folder):
        kib += 8
        for name in files:
            try:
                size = os.path.getsize(os.path.join(path, name))
            except OSError:
                continue
            kib += (size + 4095) // 4096 * 4
    return (int(kib * 1.01) + 1024) << 10


def check_disk(node, root_dir, problems):
    """machine.disk: a folder to make an image of (and its size) or an image; None if it is wrong."""
    has_folder, has_image = "folder" in node, "image" in node
    if has_folder == has_image:
        problems.add(node, "'disk' of 'machine' needs " + (
            "one of 'folder' and 'image', not both" if has_folder else "'folder' (a folder to make a FAT32 image of) "
            "or 'image' (a disk image to use as it is)"))
        return None
    if has_image:
        if "size" in node:
            problems.add(node.keys["size"], "'size' of 'disk' applies to a disk made from a folder; an image has the "
                                            "size it has")
            return None
        image = node.value("image")
        path = os.path.normpath(os.path.join(root_dir, image))
        if not os.path.isfile(path):
            problems.add(node.get("image"), f"the disk image '{image}' does not exist (relative to the project root)"
                         if not os.path.exists(path) else f"the disk image '{image}' is not a file")
            return None
        return {"image": path, "display": image}
    folder = node.value("folder")
    path = os.path.normpath(os.path.join(root_dir, folder))
    if not os.path.isdir(path):
        parent = os.path.dirname(path)
        try:
            here = sorted(os.path.relpath(os.path.join(parent, d), root_dir) for d in os.listdir(parent)
                          if os.path.isdir(os.path.join(parent, d)) and not d.startswith("."))
        except OSError:
            here = []
        problems.add(node.get("folder"), f"the disk's folder '{folder}' is not a folder (relative to the project "
                                         f"root; folders there: {known_list(here)}){suggest(folder, here)}")
        return None
    size = None
    if "size" in node:
        size = parse_size(node.value("size"))
        needs = folder_needs(path)
        if size < MIN_DISK:
            problems.add(node.get("size"), f"the disk is {node.value('size')}; a FAT32 disk made from a folder needs "
                                           "at least 65M (65525 clusters of 1 KiB)")
            return None
        if size < needs:
            problems.add(node.get("size"), f"the disk is {node.value('size')}, but the files of '{folder}' need "
                                           f"{(needs + (1 << 20) - 1) >> 20}M; make it larger (or leave 'size' out)")
            return None
    return {"folder": path, "display": folder, "size": size}


def check_network(node, problems):
    """machine.network: the forwards, each host port once."""
    forwards, seen = [], {}
    for f in node.get("forward", []):
        host, guest = f.value("host"), f.value("guest")
        if host in seen and host != 0:
            problems.add(f.get("host"), f"host port {host} is forwarded twice (lines {seen[host]} and "
                                        f"{f.get('host').line}); each host port can go to one guest port")
            continue
        seen[host] = f.get("host").line
        forwards.append((host, guest))
    return {"forward": forwards}


def slots(machine):
    """The virtio-mmio node each of the machine's devices lands in: {role: node}."""
    roles = [r for r in ROLES if r in machine]   # one the machine has, even if wrong (no second message)
    return {role: VIRTIO_SLOTS[i] for i, role in enumerate(roles)}


def disk_image(machine, out_dir):
    """Where the machine's disk image is: the one given, or the one made from the folder in out_dir."""
    disk = machine.get("disk")
    if not disk:
        return None
    return disk["image"] if "image" in disk else os.path.join(out_dir, "disk.img")


def qemu_args(machine, out_dir, root_dir):
    """QEMU's arguments for the machine, after the fixed ones (tools/mk/common.mk: QEMU_BASE_FLAGS): harts,
    memory, then the disk and the network in the order their slots say.  Paths are relative to the project
    root, where make runs QEMU."""
    args = ["-smp", str(machine["harts"]), "-m", f"{machine['memory'] >> 20}M"]
    image = disk_image(machine, out_dir)
    if image:
        args += ["-drive", f"file={os.path.relpath(image, root_dir)},format=raw,if=none,id=disk0",
                 "-device", "virtio-blk-device,drive=disk0"]
    if machine.get("network"):
        netdev = "user,id=net0" + "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in machine["network"]["forward"])
        args += ["-netdev", netdev, "-device", "virtio-net-device,netdev=net0"]
    return args
