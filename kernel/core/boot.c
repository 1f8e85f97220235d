/*
 * Boot: from OpenSBI to the root task.
 *
 *  1. Read the device tree (memory, harts, timebase, PLIC, UART, power-off).
 *  2. Map all physical memory in the upper half and switch to that table.
 *  3. Create the root task from the first file of the boot archive: its
 *     CNode, TCB, VSpace, image frames, IPC buffer and boot-info page, all
 *     carved from free RAM with a boot-time allocator.
 *  4. Hand every byte of RAM still free to the root task as untyped caps,
 *     and the device space as device untyped caps.  The kernel keeps nothing
 *     else: it has no heap.
 *  5. Start the other harts through SBI HSM and run the root task.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/lock.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/trace.h>
#include <kernel/vspace.h>
#include <sel/elf64.h>
#include <sel/bootinfo.h>
#include "../arch/riscv/csr.h"
#include "../arch/riscv/plic.h"
#include "../arch/riscv/sbi.h"

extern char kernel_image_start[], kernel_image_end[];
extern char boot_archive_start[], boot_archive_end[];
extern char _start[];
extern char trap_entry[];
void timer_start(struct hart *h);
void timer_rearm(struct hart *h);

char kernel_stacks[MAX_HARTS][BIT(KERNEL_STACK_BITS)] __attribute__((aligned(16)));
char boot_stack[BIT(KERNEL_STACK_BITS)] __attribute__((aligned(16)));
unsigned boot_hart_index;
/* Hart id -> index in harts[], 0xff for none: how a starting hart finds itself (head.S). */
uint8_t hart_index_by_id[MAX_HART_ID] = { [0 ... MAX_HART_ID - 1] = 0xff };

NORETURN static void boot_fail(const char *what)
{
    printk("kernel: cannot boot: %s\n", what);
    machine_poweroff(101);
}

/* ---- free physical memory ------------------------------------------------ */

#define MAX_FREE_REGIONS 64
static struct mem_region free_mem[MAX_FREE_REGIONS];
static unsigned num_free;

static void free_add(paddr_t base, paddr_t end)
{
    if (end <= base)
        return;
    if (num_free == MAX_FREE_REGIONS)
        boot_fail("too many free memory regions");
    free_mem[num_free].base = base;
    free_mem[num_free].size = end - base;
    num_free++;
}

/* Removes [base, base + size) from the free list. */
static void free_remove(paddr_t base, word_t size)
{
    paddr_t end = base + size;
    for (unsigned i = 0; i < num_free; i++) {
        paddr_t rb = free_mem[i].base, re = rb + free_mem[i].size;
        if (end <= rb || base >= re)
            continue;
        free_mem[i] = free_mem[--num_free];
        free_add(rb, base > rb ? base : rb);
        free_add(end < re ? end : re, re);
        i = (unsigned)-1; /* the list changed: start over */
    }
}

/* Takes a zeroed, naturally aligned block of 2^bits bytes from free RAM. */
static paddr_t boot_alloc(unsigned bits)
{
    word_t size = BIT(bits);
    for (unsigned i = 0; i < num_free; i++) {
        paddr_t start = ALIGN_UP(free_mem[i].base, size);
        if (start + size <= free_mem[i].base + free_mem[i].size) {
            free_remove(start, size);
            memset(paddr_to_kernel(start), 0, size);
            return start;
        }
    }
    boot_fail("out of memory while creating the root task");
}

static paddr_t boot_alloc_page(void) { return boot_alloc(12); }

/* ---- the root task --------------------------------------------------------- */

struct cte *root_cnode;
static word_t next_slot = SEL_NUM_INITIAL_CAPS;
static word_t root_cnode_slots = BIT(ROOT_CNODE_RADIX);

static word_t root_slot_alloc(void)
{
    if (next_slot >= root_cnode_slots)
        boot_fail("the root CNode is too small for the boot caps");
    return next_slot++;
}

static void root_cap(word_t slot, struct cap cap) { cap_insert(&root_cnode[slot], &cap, NULL); }

static struct cap frame_cap(paddr_t pa, unsigned bits, uint8_t rights, bool mapped, vaddr_t va, bool device)
{
    struct cap c = cap_make(SEL_CAP_TYPE_FRAME, pa, mapped ? va : 0, rights);
    c.size_bits = (uint8_t)bits;
    c.flags = (mapped ? CAP_MAPPED : 0) | (device ? CAP_DEVICE : 0);
    c.asid = mapped ? 1 : 0;
    return c;
}

static const sel_archive_entry_t *archive_find_first(void)
{
    const sel_archive_header_t *h = (const void *)boot_archive_start;
    word_t size = (word_t)(boot_archive_end - boot_archive_start);
    if (size < sizeof(*h) || h->magic != SEL_ARCHIVE_MAGIC || h->count == 0 ||
        h->count > (size - sizeof(*h)) / sizeof(sel_archive_entry_t))
        boot_fail("the boot archive is missing or corrupt");
    const sel_archive_entry_t *e = &h->entries[0];
    if (e->offset > size || e->size > size - e->offset)
        boot_fail("the root task's archive entry lies outside the archive");
    return e;
}

struct root_task_layout {
    vaddr_t image_start, image_end;
    vaddr_t entry;
};

/* Loads the root task's ELF into fresh frames mapped in root; caps go to the root CNode. */
static struct root_task_layout load_root_elf(pte_t *root, const uint8_t *elf, word_t size, sel_bootinfo_t *bi)
{
    const sel_elf64_header_t *eh = (const void *)elf;
    struct root_task_layout layout = { ~0ull, 0, 0 };

    if (size < sizeof(*eh) || !sel_elf64_is_elf(eh) || !sel_elf64_is_rv64(eh))
        boot_fail("the root task is not a 64-bit RISC-V ELF file");
    if (eh->phentsize != sizeof(sel_elf64_phdr_t) || eh->phoff > size ||
        (word_t)eh->phnum * sizeof(sel_elf64_phdr_t) > size - eh->phoff)
        boot_fail("the root task's program headers lie outside the file");

    bi->user_image_frames.start = next_slot;
    const sel_elf64_phdr_t *ph = (const void *)(elf + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type != SEL_ELF_PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > size || ph[i].filesz > size - ph[i].offset ||
            ph[i].vaddr >= SEL_USER_TOP || ph[i].memsz > SEL_USER_TOP - ph[i].vaddr)
            boot_fail("a root task segment lies outside the file or user space");
        word_t bits = PTE_U;
        bits |= (ph[i].flags & SEL_ELF_PF_R) ? PTE_R : 0;
        bits |= (ph[i].flags & SEL_ELF_PF_W) ? PTE_R | PTE_W : 0;
        bits |= (ph[i].flags & SEL_ELF_PF_X) ? PTE_X : 0;
        vaddr_t seg_start = ph[i].vaddr, seg_end = ph[i].vaddr + ph[i].memsz;
        for (vaddr_t va = ALIGN_DOWN(seg_start, 4096); va < seg_end; va += 4096) {
            paddr_t frame = boot_alloc_page();
            uint8_t *dst = paddr_to_kernel(frame);
            /* Copy the part of the file image that falls in this page. */
            vaddr_t copy_start = va > seg_start ? va : seg_start;
            vaddr_t file_end = seg_start + ph[i].filesz;
            vaddr_t copy_end = va + 4096 < file_end ? va + 4096 : file_end;
            if (copy_start < copy_end)
                memcpy(dst + (copy_start - va), elf + ph[i].offset + (copy_start - seg_start),
                       copy_end - copy_start);
            if (!vm_boot_map(root, va, frame, bits, boot_alloc_page))
                boot_fail("root task segments share a page (link them page aligned)");
            root_cap(root_slot_alloc(), frame_cap(frame, 12, SEL_READ_WRITE, true, va, false));
        }
        if (seg_start < layout.image_start)
            layout.image_start = ALIGN_DOWN(seg_start, 4096);
        if (seg_end > layout.image_end)
            layout.image_end = ALIGN_UP(seg_end, 4096);
    }
    bi->user_image_frames.end = next_slot;
    if (layout.image_end == 0)
        boot_fail("the root task has no loadable segments");
    layout.entry = eh->entry;
    return layout;
}

/* Splits [start, end) into naturally aligned power-of-two untyped caps. */
static void add_untypeds(sel_bootinfo_t *bi, paddr_t start, paddr_t end, bool device)
{
    start = ALIGN_UP(start, 4096);
    end = ALIGN_DOWN(end, 4096);
    while (start < end) {
        unsigned bits = 0;   /* the largest alignment of start, up to the largest untyped */
        while (bits < SEL_MAX_UNTYPED_BITS && !(start & BIT(bits)))
            bits++;
        while (start + BIT(bits) > end)
            bits--;
        if (bi->num_untypeds == SEL_MAX_UNTYPEDS || next_slot >= root_cnode_slots) {
            printk("kernel: warning: boot info is full; %s memory from 0x%lx is not handed out\n",
                   device ? "device" : "RAM", start);
            return;
        }
        struct cap c = cap_make(SEL_CAP_TYPE_UNTYPED, start, 0, SEL_ALL_RIGHTS);
        c.size_bits = (uint8_t)bits;
        c.flags = device ? CAP_DEVICE : 0;
        root_cap(root_slot_alloc(), c);
        sel_untyped_desc_t *d = &bi->untyped_list[bi->num_untypeds++];
        d->paddr = start;
        d->size_bits = (uint8_t)bits;
        d->is_device = device;
        start += BIT(bits);
    }
}

/* Device space: everything below 2^36 that is not RAM and not used by the kernel itself. */
static void add_device_untypeds(sel_bootinfo_t *bi)
{
    struct mem_region kernel_devices[2] = {
        { platform.plic_base, platform.plic_size },
        { platform.clint_base, platform.clint_size },
    };
    num_free = 0;
    free_add(0, BIT(36));
    for (unsigned i = 0; i < platform.num_memory; i++)
        free_remove(platform.memory[i].base, platform.memory[i].size);
    for (unsigned i = 0; i < ARRAY_SIZE(kernel_devices); i++)
        if (kernel_devices[i].size)
            free_remove(ALIGN_DOWN(kernel_devices[i].base, 4096), ALIGN_UP(kernel_devices[i].size, 4096));
    /* Lowest address first, so the list reads naturally. */
    for (unsigned i = 0; i < num_free; i++)
        for (unsigned j = i + 1; j < num_free; j++)
            if (free_mem[j].base < free_mem[i].base) {
                struct mem_region t = free_mem[i];
                free_mem[i] = free_mem[j];
                free_mem[j] = t;
            }
    for (unsigned i = 0; i < num_free; i++)
        add_untypeds(bi, free_mem[i].base, free_mem[i].base + free_mem[i].size, true);
}

static struct tcb *create_root_task(void)
{
    const sel_archive_entry_t *entry = archive_find_first();
    const uint8_t *elf = (const uint8_t *)boot_archive_start + entry->offset;

    paddr_t cnode_pa = boot_alloc(ROOT_CNODE_RADIX + SEL_SLOT_BITS);
    root_cnode = paddr_to_kernel(cnode_pa);
    pte_t *vspace = paddr_to_kernel(boot_alloc_page());
    vm_copy_kernel_mappings(vspace);
    struct asid_pool *pool = paddr_to_kernel(boot_alloc_page());
    asid_table[0] = pool;
    pool->vspace[1] = vspace;
    struct tcb *tcb = paddr_to_kernel(boot_alloc(SEL_TCB_BITS));
    tcb_init(tcb, boot_hart_index);
    paddr_t bootinfo_pa = boot_alloc_page();
    paddr_t ipc_pa = boot_alloc_page();
    sel_bootinfo_t *bi = paddr_to_kernel(bootinfo_pa);

    struct root_task_layout layout = load_root_elf(vspace, elf, entry->size, bi);

    /* After the image and a guard page: the boot info, the IPC buffer, the archive. */
    vaddr_t bootinfo_va = layout.image_end + 4096;
    vaddr_t ipc_va = bootinfo_va + 4096;
    vaddr_t archive_va = ipc_va + 2 * 4096;
    word_t archive_size = (word_t)(boot_archive_end - boot_archive_start);
    if (archive_va + ALIGN_UP(archive_size, 4096) > SEL_USER_TOP)
        boot_fail("the root task's image reaches the top of user space");
    if (!vm_boot_map(vspace, bootinfo_va, bootinfo_pa, PTE_U | PTE_R, boot_alloc_page) ||
        !vm_boot_map(vspace, ipc_va, ipc_pa, PTE_U | PTE_R | PTE_W, boot_alloc_page))
        boot_fail("cannot map the boot info page");

    /* The initial caps, at the slots sel/bootinfo.h names. */
    struct cap cnode = cap_make(SEL_CAP_TYPE_CNODE, (word_t)root_cnode, 0, SEL_ALL_RIGHTS);
    cnode.size_bits = ROOT_CNODE_RADIX;
    cnode.guard_bits = 64 - ROOT_CNODE_RADIX;
    root_cap(SEL_CAP_INIT_CNODE, cnode);
    root_cap(SEL_CAP_INIT_TCB, cap_make(SEL_CAP_TYPE_TCB, (word_t)tcb, 0, SEL_ALL_RIGHTS));
    struct cap vs = cap_make(SEL_CAP_TYPE_PAGE_TABLE, (word_t)vspace, 0, SEL_ALL_RIGHTS);
    vs.flags = CAP_VSPACE_ROOT;
    vs.asid = 1;
    root_cap(SEL_CAP_INIT_VSPACE, vs);
    root_cap(SEL_CAP_IRQ_CONTROL, cap_make(SEL_CAP_TYPE_IRQ_CONTROL, 0, 0, SEL_ALL_RIGHTS));
    root_cap(SEL_CAP_ASID_CONTROL, cap_make(SEL_CAP_TYPE_ASID_CONTROL, 0, 0, SEL_ALL_RIGHTS));
    root_cap(SEL_CAP_INIT_ASID_POOL, cap_make(SEL_CAP_TYPE_ASID_POOL, (word_t)pool, 0, SEL_ALL_RIGHTS));
    root_cap(SEL_CAP_BOOTINFO_FRAME, frame_cap(bootinfo_pa, 12, SEL_CAN_READ, true, bootinfo_va, false));
    root_cap(SEL_CAP_INIT_IPC_BUFFER, frame_cap(ipc_pa, 12, SEL_READ_WRITE, true, ipc_va, false));
    root_cap(SEL_CAP_DEBUG, cap_make(SEL_CAP_TYPE_DEBUG, 0, 0, SEL_ALL_RIGHTS));

    /* The archive pages, read-only. */
    bi->archive_frames.start = next_slot;
    paddr_t archive_pa = kernel_to_paddr(boot_archive_start);
    for (word_t off = 0; off < archive_size; off += 4096) {
        if (!vm_boot_map(vspace, archive_va + off, archive_pa + off, PTE_U | PTE_R, boot_alloc_page))
            boot_fail("cannot map the boot archive");
        root_cap(root_slot_alloc(), frame_cap(archive_pa + off, 12, SEL_CAN_READ, true, archive_va + off, false));
    }
    bi->archive_frames.end = next_slot;

    /* The thread: its CSpace, VSpace and IPC buffer caps are children of the ones above. */
    struct cap ipc_copy = frame_cap(ipc_pa, 12, SEL_READ_WRITE, false, 0, false);
    cap_insert(&tcb->slots[TCB_CSPACE], &root_cnode[SEL_CAP_INIT_CNODE].cap, &root_cnode[SEL_CAP_INIT_CNODE]);
    cap_insert(&tcb->slots[TCB_VSPACE], &root_cnode[SEL_CAP_INIT_VSPACE].cap, &root_cnode[SEL_CAP_INIT_VSPACE]);
    cap_insert(&tcb->slots[TCB_IPC_BUFFER], &ipc_copy, &root_cnode[SEL_CAP_INIT_IPC_BUFFER]);
    tcb->ipc_buffer_vaddr = ipc_va;
    tcb->priority = ROOT_TASK_PRIORITY;
    tcb->mcp = ROOT_TASK_PRIORITY;
    memcpy(tcb->name, "roottask", 9);
    tcb->ctx.regs[REG_PC] = layout.entry;
    tcb->ctx.regs[REG_A0] = bootinfo_va;

    bi->magic = SEL_BOOTINFO_MAGIC;
    bi->boot_hart = boot_hart_index;
    bi->num_harts = num_harts;
    for (unsigned i = 0; i < num_harts; i++)
        bi->hart_ids[i] = harts[i].hartid;
    bi->timebase_frequency = platform.timebase_frequency;
    bi->ipc_buffer = ipc_va;
    bi->init_cnode_radix = ROOT_CNODE_RADIX;
    bi->image_vaddr = layout.image_start;
    bi->archive_vaddr = archive_va;
    bi->archive_size = archive_size;

    /* Whatever RAM is left becomes untyped memory, then the device space. */
    bi->untyped.start = next_slot;
    for (unsigned i = 0; i < num_free; i++)
        add_untypeds(bi, free_mem[i].base, free_mem[i].base + free_mem[i].size, false);
    word_t ram_untyped = 0;
    for (unsigned i = 0; i < bi->num_untypeds; i++)
        ram_untyped += BIT(bi->untyped_list[i].size_bits);
    unsigned ram_count = (unsigned)bi->num_untypeds;
    add_device_untypeds(bi);
    bi->untyped.end = next_slot;
    bi->empty.start = next_slot;
    bi->empty.end = root_cnode_slots;

    printk("kernel: root task '%s' (%lu KiB image at 0x%lx), %u untyped caps with %lu KiB of RAM, "
           "%u device untyped caps\n",
           entry->name, (layout.image_end - layout.image_start) / 1024, layout.image_start, ram_count,
           ram_untyped / 1024, (unsigned)bi->num_untypeds - ram_count);
    return tcb;
}

/* ---- harts ------------------------------------------------------------------ */

static void hart_init_local(struct hart *h)
{
    __asm__ volatile("mv tp, %0" ::"r"(h));
    csr_write(stvec, (word_t)trap_entry);
    h->fastpath_on = true;
    csr_write(sscratch, 0);
    csr_write(scounteren, 7);   /* user mode may read cycle, time and instret */
    /* SPP = 0 once and for all: every sret goes to user mode (entry.S). */
    csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPP | SSTATUS_FS | SSTATUS_SUM);
    csr_write(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
    h->satp = kernel_satp;
    h->charged_since = csr_read(instret);
    if (h->plic_context >= 0)
        plic_init_context(h->plic_context);
    timer_start(h);
    h->online = true;
}

static bool all_harts_online(void)
{
    for (unsigned i = 0; i < num_harts; i++)
        if (!__atomic_load_n(&harts[i].online, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

/*
 * Waits (ten seconds at most) for the other harts to come online.  It sleeps
 * in wfi rather than polling the clock: under QEMU -icount all harts share
 * one host thread, and a hart that polls the clock keeps the others from
 * ever running.  The timer tick or the new hart's IPI wakes it.  Without
 * -icount the clock is the host's, and on a loaded host a hart's QEMU thread
 * can start more than a second late (seen in make test): the bound is for a
 * hart that never comes, not for a slow one.
 */
static void wait_for_harts(struct hart *h)
{
    kernel_unlock();
    for (unsigned ticks = 0; ticks < 10 * TICKS_PER_SECOND && !all_harts_online();) {
        wfi();
        word_t pending = csr_read(sip);
        if (pending & BIT(IRQ_S_TIMER)) {
            timer_rearm(h);
            ticks++;
        }
        if (pending & SIP_SSIP)
            csr_clear(sip, SIP_SSIP);
    }
    kernel_lock(h);
}

NORETURN void secondary_main(word_t hartid, word_t index)
{
    struct hart *h = &harts[index];
    (void)hartid;
    vm_activate_kernel();
    kernel_lock(h);
    hart_init_local(h);
    hart_kick(boot_hart_index);   /* the boot hart may be waiting for us in wfi */
    kernel_exit(h);
}

static void print_size(word_t bytes)
{
    if (bytes >= BIT(30) && !(bytes & MASK(30)))
        printk("%lu GiB", bytes >> 30);
    else if (bytes >= BIT(20))
        printk("%lu MiB", bytes >> 20);
    else
        printk("%lu KiB", bytes >> 10);
}

NORETURN void boot_main(word_t hartid, paddr_t dtb_pa)
{
    const void *dtb = paddr_to_kernel(dtb_pa);
    /* The boot page table maps only the kernel's GiB; the device tree may lie elsewhere. */
    if ((dtb_pa >> 30) != (KERNEL_PHYS_LOAD >> 30))
        boot_fail("the device tree lies outside the kernel's first GiB");
    const char *error = fdt_parse(dtb, &platform);
    if (error)
        boot_fail(error);

    paddr_t ram_end = 0;
    for (unsigned i = 0; i < platform.num_memory; i++)
        if (platform.memory[i].base + platform.memory[i].size > ram_end)
            ram_end = platform.memory[i].base + platform.memory[i].size;
    vm_init_kernel(ram_end);
    if (platform.has_uart)
        console_init_uart(platform.uart_base, platform.uart_reg_shift, platform.uart_reg_width);

    num_harts = platform.num_harts;
    boot_hart_index = 0;
    for (unsigned i = 0; i < num_harts; i++) {
        harts[i].index = i;
        harts[i].hartid = platform.hartids[i];
        harts[i].kernel_stack_top = (word_t)kernel_stacks[i + 1];
        harts[i].plic_context = platform.plic_context[i];
        if (platform.hartids[i] == hartid)
            boot_hart_index = i;
        if (platform.hartids[i] < MAX_HART_ID)
            hart_index_by_id[platform.hartids[i]] = (uint8_t)i;
        else
            printk("kernel: hart id %lu is too large for this kernel; it stays parked\n", platform.hartids[i]);
    }
    struct hart *h = &harts[boot_hart_index];
    __asm__ volatile("mv tp, %0" ::"r"(h));
    kernel_lock(h);

    printk("\nkernel: booting on hart %lu; %u harts:", hartid, num_harts);
    for (unsigned i = 0; i < num_harts; i++)
        printk(" %lu", harts[i].hartid);
    printk("\nkernel: memory:");
    for (unsigned i = 0; i < platform.num_memory; i++) {
        printk(" 0x%lx-0x%lx (", platform.memory[i].base, platform.memory[i].base + platform.memory[i].size);
        print_size(platform.memory[i].size);
        printk(")");
    }
    printk("\nkernel: timebase %lu Hz, PLIC at 0x%lx with %u sources", platform.timebase_frequency,
           platform.plic_base, platform.plic_num_sources - 1);
    if (platform.has_uart)
        printk(", UART ns16550a at 0x%lx irq %u", platform.uart_base, platform.uart_irq);
    printk("\n");

    /* Free RAM: the memory nodes less reserved memory, the kernel image and the device tree. */
    for (unsigned i = 0; i < platform.num_memory; i++)
        free_add(platform.memory[i].base, platform.memory[i].base + platform.memory[i].size);
    for (unsigned i = 0; i < platform.num_reserved; i++)
        free_remove(platform.reserved[i].base, platform.reserved[i].size);
    free_remove(kernel_to_paddr(kernel_image_start), (word_t)(kernel_image_end - kernel_image_start));
    free_remove(ALIGN_DOWN(dtb_pa, 4096), ALIGN_UP(fdt_total_size(dtb) + (dtb_pa & 4095), 4096));
    for (unsigned i = 0; i < platform.num_reserved; i++)
        printk("kernel: reserved 0x%lx-0x%lx\n", platform.reserved[i].base,
               platform.reserved[i].base + platform.reserved[i].size);

    TRACE_INIT(boot_alloc);
    plic_init(platform.plic_base, platform.plic_num_sources);
    num_irqs = platform.plic_num_sources < MAX_IRQS ? platform.plic_num_sources : MAX_IRQS;
    hart_init_local(h);

    struct tcb *root = create_root_task();
    TRACE_THREAD_NAME(root);

    /*
     * Start the other harts at the same address and argument OpenSBI gave us
     * (see head.S for why), and wait a second at most until they are up, so
     * the root task finds them all.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < num_harts; i++) {
        if (i == boot_hart_index || harts[i].hartid >= MAX_HART_ID)
            continue;
        long err = sbi_hart_start(harts[i].hartid, kernel_to_paddr(_start), dtb_pa);
        if (err)
            printk("kernel: hart %lu did not start (SBI error %ld)\n", harts[i].hartid, err);
    }
    wait_for_harts(h);
    for (unsigned i = 0; i < num_harts; i++)
        if (!harts[i].online)
            printk("kernel: hart %lu is not online; threads cannot be moved there\n", harts[i].hartid);

    thread_make_runnable(root);
    kernel_exit(h);
}

NORETURN void machine_poweroff(int status)
{
    if (platform.has_poweroff) {
        /* The SiFive test device: 0x5555 passes, (code << 16) | 0x3333 fails with code. */
        uint32_t value = status == 0 ? platform.poweroff_value : ((uint32_t)status << 16) | 0x3333;
        *(volatile uint32_t *)(platform.poweroff_addr + KERNEL_BASE) = value;
    }
    sbi_shutdown();
    for (;;)
        wfi();
}
