"""Whether a system fits its machine: what the kernel, the loader and the
components need, against the machine's memory (check_memory, once the
layout is known), and whether QEMU can give the machine that memory at all
(check_machine_memory).

What the boot costs was measured by booting systems at the edge (QEMU virt,
256M to 1G; the figures are in the comments).  Codegen cannot know the size
of a component's code and static data before it is compiled: each image is
counted as its heap plus IMAGE_ALLOWANCE.  A component with more static
data than that can still run the loader out of memory at boot, and the
loader then says so.
"""
from .errors import Problem, Problems

MIB = 1 << 20
PAGE = 4096
LARGE_PAGE = 2 << 20

# The kernel maps physical memory below 255 GiB (kernel/arch/riscv/vm.c) and RAM begins at 2 GiB.
KERNEL_MAX_MEMORY = 253 << 30

# Before the loader runs, OpenSBI, the kernel and its data take about 5M of RAM (5.4M of 256M, 5.5M of
# 1G measured; more with more memory), and the boot archive and the loader's image (which holds the
# layout, spec.c) are in memory too.
BOOT_RESERVE = 5 * MIB
BOOT_RESERVE_PER_GIB = 256 << 10
LOADER_IMAGE = 512 << 10             # the loader's code, data and 256K heap (388K measured), without the layout
IMAGE_ALLOWANCE = 128 << 10          # a component's code, data and bss besides its heap (about 20K measured)
ARCHIVE_PER_COMPONENT = 64 << 10     # its stripped ELF in the boot archive (26K measured)
# 2 MiB frames come only from 2 MiB-aligned untyped memory: the pieces around the kernel and the
# loader's first allocations are lost to them (a dataport of 242M boots in 256M and 244M does not; 498M
# and 500M in 512M; 1010M and 1014M in 1G).
LARGE_FRAME_LOSS = 6 * MIB
# The loader's own limits (loader/main.c): it keeps 12 bytes per object of the layout in its 256K heap,
# and a capability slot per object, per mapping and per image page in its CSpace of 65536 slots.
LOADER_MAX_OBJECTS = 20000
LOADER_SLOTS = 65536 - 1024

OBJECT_BYTES = {"tcb": 1 << 10, "endpoint": 32, "notification": 64, "user_interrupt": 16, "vspace": PAGE}


def page_round(n, page=PAGE):
    return (n + page - 1) // page * page


def mib(n, down=False):
    """n bytes for a message: '243M' (rounded up, or down for what is available), or '1.5M' below 10M."""
    if n >= 1 << 30 and n % (1 << 30) == 0:
        return f"{n >> 30}G"
    if n < 10 * MIB and n % MIB:
        return f"{n / MIB:.1f}M"
    return f"{n // MIB}M" if down else f"{(n + MIB - 1) // MIB}M"


def spec_bytes(spec):
    """What the layout takes in the loader's image (spec.c): its tables and object names."""
    return len(spec.objects) * 64 + len(spec.caps) * 24 + len(spec.mappings) * 32 + len(spec.threads) * 64


def page_tables(spec):
    """Page tables the mappings need: per address space a level-1 table per GiB and a level-0 table per
    2 MiB region with 4K pages (the images' among them)."""
    level0, level1 = set(), set()
    for m in spec.mappings:
        level1.add((m.vspace.index, m.vaddr >> 30))
        if m.frame.size_bits == 12:
            level0.add((m.vspace.index, m.vaddr >> 21))
    for comp in spec.components:
        image = page_round(comp.inst.heap + IMAGE_ALLOWANCE)
        for region in range(comp.base >> 21, (comp.base + image + LARGE_PAGE - 1) >> 21):
            level0.add((comp.vspace.index, region))
        level1.add((comp.vspace.index, comp.base >> 30))
    return len(level0) + len(level1)


def needs(system, spec):
    """What the system needs: {what: bytes} in all and {what: bytes} in 2 MiB frames, what the boot takes
    before the loader allocates, the objects of the layout, and the loader's capability slots."""
    parts = {}

    def add(what, n):
        parts[what] = parts.get(what, 0) + n
    large, frames = {}, {}
    for o in spec.objects:
        if o.type == "frame":
            size = 1 << o.size_bits
            owner = o.name.split("[")[0]
            if o.size_bits == 21:
                large[f"'{owner}'"] = large.get(f"'{owner}'", 0) + size
            frames[owner] = frames.get(owner, 0) + size
        elif o.type == "cnode":
            add("capability tables", (1 << o.size_bits) * 64)
        elif o.type in OBJECT_BYTES:
            add("threads and kernel objects", OBJECT_BYTES[o.type])
    for owner, size in frames.items():
        if " stack" in owner or " ipc buffer" in owner:
            add("stacks and IPC buffers", size)
        else:
            add(f"'{owner}'", size)
    image_pages = 0
    for comp in spec.components:
        image = page_round(comp.inst.heap + IMAGE_ALLOWANCE)
        image_pages += image // PAGE
        add("heaps", comp.inst.heap)
        add("code and data (estimated)", image - comp.inst.heap)
    add("page tables", page_tables(spec) * PAGE)
    boot = BOOT_RESERVE + BOOT_RESERVE_PER_GIB * system.machine["memory"] // (1 << 30) + \
        2 * (LOADER_IMAGE + spec_bytes(spec)) + ARCHIVE_PER_COMPONENT * len(spec.components)
    slots = len(spec.objects) + len(spec.mappings) + image_pages + 2 * len(spec.threads) + 2 * len(spec.irqs)
    return parts, large, boot, len(spec.objects), slots


def check_memory(system, spec):
    """Raises Problems if the system cannot boot on its machine: too little memory, or more objects or
    capability slots than the loader has room for."""
    parts, large, boot, objects, slots = needs(system, spec)
    memory = system.machine["memory"]
    total = sum(parts.values())
    where, problems = system.memory_where, []
    usable = memory - boot
    if total > usable or sum(large.values()) > usable - LARGE_FRAME_LOSS:
        if total > usable:
            why = (f"the components need about {mib(total)} ({_largest(parts)}), but the machine's {mib(memory)} "
                   f"leave about {mib(usable, down=True)} once the kernel and the loader are in")
        else:
            why = (f"the components need {mib(sum(large.values()))} in 2 MiB frames ({_largest(large)}), but of "
                   f"the machine's {mib(memory)} about {mib(usable - LARGE_FRAME_LOSS, down=True)} come in 2 MiB pieces once "
                   "the kernel and the loader are in")
        want = page_round(max(total - usable, sum(large.values()) - usable + LARGE_FRAME_LOSS) + memory, MIB)
        problems.append(Problem(where.file, where.line, where.col,
                                f"{why}; give the machine more memory (machine: {{memory: {mib(want)}}} at least) or "
                                "make the largest of these smaller"))
    if objects > LOADER_MAX_OBJECTS:
        problems.append(Problem(where.file, where.line, where.col,
                                f"the layout has {objects} kernel objects; the loader has room for "
                                f"{LOADER_MAX_OBJECTS}: {_frames_hint(spec)}"))
    elif slots > LOADER_SLOTS:
        heap_pages = sum(c.inst.heap for c in spec.components) // PAGE
        hint = "make the heaps smaller" if heap_pages * 2 > slots else _frames_hint(spec)
        problems.append(Problem(where.file, where.line, where.col,
                                f"the loader needs {slots} capability slots for this system (one per object, "
                                f"per mapping and per image page: {heap_pages} for the heaps), but has "
                                f"{LOADER_SLOTS}: {hint}"))
    if problems:
        raise Problems(problems)


def _largest(parts):
    """The four largest needs, for a message."""
    return ", ".join(f"{what} {mib(n)}" for what, n in sorted(parts.items(), key=lambda kv: -kv[1])[:4]
                     if n >= 100 << 10)


def _frames_hint(spec):
    """Which shared region has the most 4K frames, and how 2 MiB frames would hold it."""
    counts = {}
    for o in spec.objects:
        if o.type == "frame" and o.size_bits == 12:
            owner = o.name.split("[")[0]
            counts[owner] = counts.get(owner, 0) + 1
    owner, n = max(counts.items(), key=lambda kv: kv[1])
    return (f"'{owner}' alone takes {n} frames of 4K; a size that is a multiple of 2M takes frames of 2M "
            f"({(n * PAGE + LARGE_PAGE - 1) // LARGE_PAGE} of them for this one)")


def check_machine_memory(harts, memory, where, device_tree_for, problems):
    """The kernel must be able to map the memory, and QEMU to allocate it on this computer (asked by
    dumping the machine's device tree, which QEMU refuses when it cannot)."""
    if memory > KERNEL_MAX_MEMORY:
        problems.add(where, f"'memory' of 'machine' is {mib(memory)}; the kernel maps physical memory below 255G "
                            f"and RAM begins at 2G, so at most {KERNEL_MAX_MEMORY >> 30}G")
        return
    try:
        device_tree_for(harts, memory)
    except Exception as e:          # QEMU's words: 'cannot set up guest memory ...: Cannot allocate memory'
        text = str(e)
        if "cannot set up guest memory" in text or "Cannot allocate memory" in text:
            problems.add(where, f"QEMU cannot give a machine {mib(memory)} of memory on this computer "
                                f"({text.split(': ', 1)[-1]}); use less")
