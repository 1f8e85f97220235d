/*
 * The loader: the root task of every system image.  It instantiates the
 * capability layout codegen wrote (spec.c): retypes untyped memory into
 * every object (physically contiguous regions first, each from one
 * untyped), builds each component's CSpace and VSpace, loads its ELF from
 * the boot archive, fills its constants page (the physical addresses of its
 * DMA and data regions), routes its interrupts, configures and starts its
 * threads.  Then it is the fault handler of every component: a component
 * that faults is reported (name, thread, fault, pc with its symbol,
 * address) and stopped, and the rest of the system runs on.
 */
#include "elf.h"
#include "loader.h"
#include "spec.h"

#include <sel/alloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_VADDR 0x3000000000ull   /* where the loader maps a frame to fill it */

static const struct spec *spec = &system_spec;
static const sel_bootinfo_t *bi;
static sel_allocator_t alloc;
static sel_cptr_t *object_cap;          /* the loader's cap to each spec object */
static struct elf_file *elves;          /* each component's ELF */
static sel_cptr_t fault_ep;
static sel_cptr_t asid_pool = SEL_CAP_INIT_ASID_POOL;
static unsigned scratch_slots_used;
static uint32_t *faults;                /* per component */
static bool *stopped;                   /* per component: it faulted and was stopped */

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("loader: cannot start system '%s': ", spec->system);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    sel_debug_halt(1);
    for (;;)
        sel_tcb_suspend(SEL_CAP_INIT_TCB);
}

static sel_cptr_t slot(void)
{
    sel_cptr_t s = sel_alloc_slot(&alloc);
    if (!s)
        fail("the loader ran out of capability slots");
    scratch_slots_used++;
    return s;
}

static sel_cptr_t object(sel_object_type_t type, sel_word_t size_bits, const char *what)
{
    sel_cptr_t cap = sel_alloc_object(&alloc, type, size_bits);
    if (!cap)
        fail("out of memory creating %s", what);
    return cap;
}

static void check(sel_error_t err, const char *what, const char *name)
{
    if (err)
        fail("%s for %s failed: %s", what, name, sel_error_name(err));
}

/* ---- the boot archive ---------------------------------------------------------- */

static const void *archive_file(const char *name, size_t *size)
{
    const sel_archive_header_t *h = (const void *)bi->archive_vaddr;
    sel_word_t total = bi->archive_size;
    if (total < sizeof(*h) || h->magic != SEL_ARCHIVE_MAGIC ||
        h->count > (total - sizeof(*h)) / sizeof(sel_archive_entry_t))
        fail("the boot archive is corrupt");
    for (uint64_t i = 0; i < h->count; i++) {
        const sel_archive_entry_t *e = &h->entries[i];
        if (strncmp(e->name, name, SEL_ARCHIVE_NAME_MAX) != 0)
            continue;
        if (e->offset > total || e->size > total - e->offset)
            fail("archive entry '%s' lies outside the archive", name);
        *size = e->size;
        return (const uint8_t *)h + e->offset;
    }
    fail("the boot archive has no file '%s'", name);
}

/* ---- device memory: a 4 KiB frame at an exact physical address ---------------- */

struct device_piece {
    sel_cptr_t cap;
    uint64_t base, size, next;   /* next: where the kernel's watermark is */
};

static struct device_piece *pieces;
static unsigned num_pieces, max_pieces;

static void add_piece(sel_cptr_t cap, uint64_t base, uint64_t size)
{
    if (num_pieces == max_pieces) {
        max_pieces = max_pieces ? 2 * max_pieces : 64;
        pieces = realloc(pieces, max_pieces * sizeof(*pieces));
        if (!pieces)
            fail("out of memory for device bookkeeping");
    }
    pieces[num_pieces++] = (struct device_piece){ cap, base, size, base };
}

/* Frames must be asked for in increasing address order within each untyped (see create_objects). */
static sel_cptr_t device_frame(uint64_t paddr, const char *name)
{
    int best = -1;
    for (unsigned i = 0; i < num_pieces; i++) {
        const struct device_piece *p = &pieces[i];
        if (paddr >= p->next && paddr + 4096 <= p->base + p->size && (best < 0 || p->size < pieces[best].size))
            best = (int)i;
    }
    if (best < 0)
        fail("no device memory covers %#lx (for %s)", (unsigned long)paddr, name);
    /* Retype untyped pieces until the watermark reaches paddr; keep them for later frames. */
    while (pieces[best].next < paddr) {
        uint64_t next = pieces[best].next;
        unsigned bits = 12;
        while (bits < 38 && !(next & (1ull << bits)) && next + (2ull << bits) <= paddr)
            bits++;
        sel_cptr_t filler = slot();
        check(sel_untyped_retype(pieces[best].cap, SEL_UNTYPED_OBJECT, bits, SEL_CAP_INIT_CNODE, 0, 0, filler, 1),
              "carving device memory", name);
        pieces[best].next += 1ull << bits;
        add_piece(filler, next, 1ull << bits);
    }
    sel_cptr_t frame = slot();
    check(sel_untyped_retype(pieces[best].cap, SEL_FRAME_4K_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, frame, 1),
          "retyping a device frame", name);
    pieces[best].next += 4096;
    sel_word_t got = 0;
    if (sel_frame_get_address(frame, &got) || got != paddr)
        fail("device frame for %s landed at %#lx, not %#lx", name, (unsigned long)got, (unsigned long)paddr);
    return frame;
}

/* ---- objects ---------------------------------------------------------------------- */

static sel_cptr_t new_vspace(const char *name)
{
    sel_cptr_t pt = object(SEL_PAGE_TABLE_OBJECT, 0, name);
    sel_error_t err = sel_asid_pool_assign(asid_pool, pt);
    if (err == SEL_DELETE_FIRST) {
        /* This pool is full: make another from a fresh 4 KiB untyped. */
        sel_cptr_t ut = object(SEL_UNTYPED_OBJECT, 12, "an ASID pool");
        asid_pool = slot();
        check(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, ut, SEL_CAP_INIT_CNODE, asid_pool, 64),
              "making an ASID pool", name);
        err = sel_asid_pool_assign(asid_pool, pt);
    }
    check(err, "assigning an ASID", name);
    return pt;
}

static int compare_paddr(const void *a, const void *b)
{
    uint64_t x = spec->objects[*(const uint32_t *)a].paddr, y = spec->objects[*(const uint32_t *)b].paddr;
    return x < y ? -1 : x > y;
}

static int compare_region_size(const void *a, const void *b)
{
    const struct spec_region *x = &spec->regions[*(const uint32_t *)a], *y = &spec->regions[*(const uint32_t *)b];
    uint64_t sx = (uint64_t)x->count << x->size_bits, sy = (uint64_t)y->count << y->size_bits;
    return sx > sy ? -1 : sx < sy;
}

/*
 * One physically contiguous region: an untyped of the next power of two
 * of its size, carved from one of ours, then its frames retyped from it in
 * order (Retype places objects one after the other from the watermark).
 * What the region leaves of that untyped goes to the allocator.  Largest
 * first, before any other object: each untyped carved is then aligned
 * without a gap in what it is carved from.
 */
static void create_region(const struct spec_region *r)
{
    uint64_t size = (uint64_t)r->count << r->size_bits;
    unsigned bits = r->size_bits;
    while ((1ull << bits) < size)
        bits++;
    sel_cptr_t untyped = object(SEL_UNTYPED_OBJECT, bits, r->name);
    sel_object_type_t type = r->size_bits == 21 ? SEL_FRAME_2M_OBJECT : SEL_FRAME_4K_OBJECT;
    for (uint32_t done = 0; done < r->count;) {
        uint32_t n = r->count - done < SEL_RETYPE_MAX_OBJECTS ? r->count - done : SEL_RETYPE_MAX_OBJECTS;
        sel_cptr_t first = slot();
        for (uint32_t i = 1; i < n; i++)
            slot();   /* consecutive slots: the allocator hands them out in order */
        check(sel_untyped_retype(untyped, type, 0, SEL_CAP_INIT_CNODE, 0, 0, first, n), "retyping frames", r->name);
        for (uint32_t i = 0; i < n; i++)
            object_cap[r->first + done + i] = first + i;
        done += n;
    }
    sel_word_t low = 0, high = 0;
    if (sel_frame_get_address(object_cap[r->first], &low) ||
        sel_frame_get_address(object_cap[r->first + r->count - 1], &high) ||
        high - low != size - (1ull << r->size_bits))
        fail("region %s is not physically contiguous (%#lx .. %#lx)", r->name, (unsigned long)low,
             (unsigned long)high);
    if (alloc.num_untypeds < SEL_ALLOC_MAX_UNTYPEDS && (1ull << bits) > size)
        alloc.untyped[alloc.num_untypeds++] = untyped;
}

static void create_objects(void)
{
    object_cap = calloc(spec->num_objects, sizeof(*object_cap));
    uint32_t *device = calloc(spec->num_objects, sizeof(*device));
    uint32_t *order = calloc(spec->num_regions + 1, sizeof(*order));
    unsigned num_device = 0;
    if (!object_cap || !device || !order)
        fail("out of memory for %u objects", spec->num_objects);
    for (uint32_t i = 0; i < spec->num_regions; i++)
        order[i] = i;
    qsort(order, spec->num_regions, sizeof(*order), compare_region_size);
    for (uint32_t i = 0; i < spec->num_regions; i++)
        create_region(&spec->regions[order[i]]);
    free(order);
    for (uint32_t i = 0; i < spec->num_objects; i++) {
        const struct spec_object *o = &spec->objects[i];
        if (object_cap[i])
            continue;   /* a frame of a region */
        switch (o->type) {
        case SPEC_TCB:
            object_cap[i] = object(SEL_TCB_OBJECT, 0, o->name);
            break;
        case SPEC_ENDPOINT:
            object_cap[i] = object(SEL_ENDPOINT_OBJECT, 0, o->name);
            break;
        case SPEC_NOTIFICATION:
            object_cap[i] = object(SEL_NOTIFICATION_OBJECT, 0, o->name);
            break;
        case SPEC_CNODE:
            object_cap[i] = object(SEL_CNODE_OBJECT, o->size_bits, o->name);
            break;
        case SPEC_VSPACE:
            object_cap[i] = new_vspace(o->name);
            break;
        case SPEC_FRAME:
            object_cap[i] = object(o->size_bits == 21 ? SEL_FRAME_2M_OBJECT : SEL_FRAME_4K_OBJECT, 0, o->name);
            break;
        case SPEC_DEVICE_FRAME:
            device[num_device++] = i;
            break;
        case SPEC_USER_INTERRUPT:
            object_cap[i] = object(SEL_USER_INTERRUPT_OBJECT, 0, o->name);
            break;
        default:
            fail("object %u (%s) has unknown type %u", i, o->name, o->type);
        }
    }
    /* Device frames in address order, so each untyped is carved front to back. */
    for (sel_word_t i = 0; i < bi->num_untypeds; i++)
        if (bi->untyped_list[i].is_device)
            add_piece(bi->untyped.start + i, bi->untyped_list[i].paddr, 1ull << bi->untyped_list[i].size_bits);
    qsort(device, num_device, sizeof(*device), compare_paddr);
    for (unsigned i = 0; i < num_device; i++)
        object_cap[device[i]] = device_frame(spec->objects[device[i]].paddr, spec->objects[device[i]].name);
    free(device);
}

/* ---- address spaces ------------------------------------------------------------------- */

static bool scratch_pt_ready;

/* Maps frame read-write at SCRATCH_VADDR in the loader, to fill it (sel_frame_unmap when done). */
static void map_scratch(sel_cptr_t frame, const char *name)
{
    sel_error_t err = scratch_pt_ready
                          ? sel_frame_map(frame, SEL_CAP_INIT_VSPACE, SCRATCH_VADDR, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER)
                          : sel_alloc_map_frame(&alloc, frame, SEL_CAP_INIT_VSPACE, SCRATCH_VADDR, SEL_READ_WRITE,
                                                SEL_VM_EXECUTE_NEVER);
    check(err, "mapping a page to fill", name);
    scratch_pt_ready = true;
}

/* Each constants page holds the physical addresses its component's glue reads (layout.py). */
static void fill_constants(void)
{
    for (uint32_t i = 0; i < spec->num_patches;) {
        uint32_t page = spec->patches[i].page;
        map_scratch(object_cap[page], spec->objects[page].name);
        for (; i < spec->num_patches && spec->patches[i].page == page; i++) {
            const struct spec_patch *p = &spec->patches[i];
            sel_word_t paddr = 0;
            check(sel_frame_get_address(object_cap[p->object], &paddr), "finding a physical address",
                  spec->objects[p->object].name);
            if (p->offset > 4096 - sizeof(uint64_t) || p->offset % sizeof(uint64_t))
                fail("constant at %u of %s lies outside the page", p->offset, spec->objects[page].name);
            *(volatile uint64_t *)(SCRATCH_VADDR + p->offset) = paddr;
        }
        check(sel_frame_unmap(object_cap[page]), "unmapping a filled page", spec->objects[page].name);
    }
}

static void map(sel_cptr_t frame, sel_cptr_t vspace, uint64_t vaddr, sel_rights_t rights, bool execute,
                const char *name)
{
    /* A frame cap maps one place: map a copy. */
    sel_cptr_t copy = slot();
    check(sel_cnode_copy(SEL_CAP_INIT_CNODE, copy, 64, SEL_CAP_INIT_CNODE, frame, 64, SEL_ALL_RIGHTS),
          "copying a frame cap", name);
    sel_error_t err = sel_alloc_map_frame(&alloc, copy, vspace, vaddr, rights,
                                          execute ? SEL_VM_DEFAULT : SEL_VM_EXECUTE_NEVER);
    if (err)
        fail("mapping %s at %#lx failed: %s", name, (unsigned long)vaddr, sel_error_name(err));
}

/* Loads a component's ELF segments into fresh frames in its address space. */
static void load_elf(const struct spec_component *c, unsigned index)
{
    size_t size;
    const void *bytes = archive_file(c->elf, &size);
    const char *error = elf_open(&elves[index], bytes, size);
    if (error)
        fail("component %s: %s", c->name, error);
    if (elves[index].entry < c->image_base || elves[index].entry >= c->image_limit)
        fail("component %s: its entry point %#lx is outside its image range %#lx-%#lx", c->name,
             (unsigned long)elves[index].entry, (unsigned long)c->image_base, (unsigned long)c->image_limit);
    unsigned cursor = 0;
    struct elf_segment seg;
    uint64_t last_page = 0;
    int more;
    while ((more = elf_next_segment(&elves[index], &cursor, &seg, &error)) == 1) {
        if (seg.vaddr < c->image_base || seg.memsz > c->image_limit - seg.vaddr)
            fail("component %s: a segment at %#lx lies outside its image range %#lx-%#lx", c->name,
                 (unsigned long)seg.vaddr, (unsigned long)c->image_base, (unsigned long)c->image_limit);
        for (uint64_t page = seg.vaddr & ~4095ull; page < seg.vaddr + seg.memsz; page += 4096) {
            if (page <= last_page && last_page)
                fail("component %s: two segments share the page at %#lx", c->name, (unsigned long)page);
            last_page = page;
            sel_cptr_t frame = object(SEL_FRAME_4K_OBJECT, 0, c->name);
            map_scratch(frame, c->name);   /* fill it through a temporary mapping of our own */
            uint8_t *dst = (uint8_t *)SCRATCH_VADDR;
            uint64_t from = page > seg.vaddr ? page : seg.vaddr;
            uint64_t file_end = seg.vaddr + seg.filesz;
            uint64_t to = page + 4096 < file_end ? page + 4096 : file_end;
            if (from < to)
                memcpy(dst + (from - page), seg.data + (from - seg.vaddr), to - from);
            check(sel_frame_unmap(frame), "unmapping a filled page", c->name);
            sel_rights_t rights = (seg.flags & (ELF_PF_R | ELF_PF_W)) ? SEL_CAN_READ : 0;
            if (seg.flags & ELF_PF_W)
                rights |= SEL_CAN_WRITE;
            sel_error_t merr = sel_alloc_map_frame(&alloc, frame, object_cap[c->vspace], page, rights,
                                                   (seg.flags & ELF_PF_X) ? SEL_VM_DEFAULT : SEL_VM_EXECUTE_NEVER);
            if (merr)
                fail("component %s: mapping its image page %#lx failed: %s", c->name, (unsigned long)page,
                     sel_error_name(merr));
        }
    }
    if (more < 0)
        fail("component %s: %s", c->name, error);
}

/* ---- interrupts ---------------------------------------------------------------------------- */

static void route_irqs(void)
{
    for (uint32_t i = 0; i < spec->num_irqs; i++) {
        const struct spec_irq *q = &spec->irqs[i];
        const struct spec_component *c = &spec->components[q->component];
        sel_cptr_t handler = slot(), badged = slot();
        sel_error_t err = sel_irq_control_get(SEL_CAP_IRQ_CONTROL, q->irq, SEL_CAP_INIT_CNODE, handler, 64);
        if (err)
            fail("component %s: interrupt %u of device %s: %s", c->name, q->irq, q->device, sel_error_name(err));
        if (q->user_interrupt >= 0) {
            /* A token: the line raises these bits of the UserInterrupt bound to the component's loop thread. */
            check(sel_cnode_mint(SEL_CAP_INIT_CNODE, badged, 64, SEL_CAP_INIT_CNODE, object_cap[q->user_interrupt],
                                 64, SEL_CAN_WRITE, q->badge), "minting an interrupt token", c->name);
            check(sel_irq_handler_set_user_interrupt(handler, badged), "routing an interrupt as a token", c->name);
        } else {
            check(sel_cnode_mint(SEL_CAP_INIT_CNODE, badged, 64, SEL_CAP_INIT_CNODE, object_cap[q->notification], 64,
                                 SEL_CAN_WRITE, q->badge), "badging a notification", c->name);
            check(sel_irq_handler_set_notification(handler, badged), "routing an interrupt", c->name);
        }
        check(sel_cnode_move(object_cap[c->cnode], q->slot, c->radix, SEL_CAP_INIT_CNODE, handler, 64),
              "giving an interrupt handler", c->name);
    }
}

/* ---- the debug capability: kept, except for the component-test driver ---------------- */

static void give_debug_caps(void)
{
    for (uint32_t i = 0; i < spec->num_components; i++) {
        const struct spec_component *c = &spec->components[i];
        if (c->debug_slot)
            check(sel_cnode_copy(object_cap[c->cnode], c->debug_slot, c->radix, SEL_CAP_INIT_CNODE, SEL_CAP_DEBUG,
                                 64, SEL_ALL_RIGHTS), "giving the debug capability", c->name);
    }
}

/* ---- threads ----------------------------------------------------------------------------- */

static void setup_threads(void)
{
    for (uint32_t i = 0; i < spec->num_threads; i++) {
        const struct spec_thread *t = &spec->threads[i];
        const struct spec_component *c = &spec->components[t->component];
        sel_cptr_t tcb = object_cap[t->tcb];
        if (c->hart >= bi->num_harts)
            fail("component %s runs on hart %u, but this machine has %lu", c->name, c->hart,
                 (unsigned long)bi->num_harts);
        /* Faults come to us, badged with the thread's number. */
        sel_cptr_t fault = slot();
        check(sel_cnode_mint(SEL_CAP_INIT_CNODE, fault, 64, SEL_CAP_INIT_CNODE, fault_ep, 64, SEL_CAN_WRITE, i + 1),
              "badging the fault endpoint", t->name);
        check(sel_tcb_configure(tcb, fault, object_cap[c->cnode], sel_cnode_guard(0, 64 - c->radix),
                                object_cap[c->vspace], t->ipc_buffer, object_cap[t->ipc_frame]),
              "configuring the thread", t->name);
        check(sel_tcb_set_sched_params(tcb, SEL_CAP_INIT_TCB, 0, c->priority), "setting the priority", t->name);
        check(sel_tcb_set_affinity(tcb, c->hart), "setting the hart", t->name);
        if (t->bound_notification >= 0)
            check(sel_tcb_bind_notification(tcb, object_cap[t->bound_notification]), "binding the notification",
                  t->name);
        if (t->bound_user_interrupt >= 0)
            check(sel_tcb_bind_user_interrupt(tcb, object_cap[t->bound_user_interrupt]),
                  "binding the user interrupt", t->name);
        sel_user_context_t regs = { 0 };
        regs.pc = elves[t->component].entry;
        regs.sp = t->stack_top;
        regs.a0 = t->role;
        regs.a1 = t->ipc_buffer;
        regs.a2 = c->debug_slot;
        check(sel_tcb_write_registers(tcb, false, SEL_USER_CONTEXT_WORDS, &regs), "setting registers", t->name);
        /* The kernel puts its name before what the thread prints. */
        check(sel_debug_name_thread(tcb, t->name), "naming the thread", t->name);
    }
}

/* ---- faults ---------------------------------------------------------------------------------- */

static const char *fault_kind(sel_word_t label, sel_word_t cause)
{
    switch (label) {
    case SEL_FAULT_VM:
        switch (cause) {
        case 12: return "page fault fetching an instruction";
        case 13: return "page fault reading";
        case 15: return "page fault writing";
        case 1: return "access fault fetching an instruction";
        case 5: return "access fault reading";
        case 7: return "access fault writing";
        default: return "memory fault";
        }
    case SEL_FAULT_USER_EXCEPTION:
        switch (cause) {
        case 0: return "misaligned instruction";
        case 2: return "illegal instruction";
        case 3: return "breakpoint";
        case 4: return "misaligned read";
        case 6: return "misaligned write";
        default: return "exception";
        }
    case SEL_FAULT_UNKNOWN_SYSCALL:
        return "unknown system call";
    case SEL_FAULT_CAP:
        return "capability fault (a send or receive on a missing capability)";
    default:
        return "fault";
    }
}

/* ---- what system information (loader/system/) reads ------------------------------------------ */

const struct spec *loader_spec(void) { return spec; }
sel_cptr_t loader_object_cap(uint32_t object) { return object_cap[object]; }
uint32_t loader_faults(uint32_t component) { return faults[component]; }
bool loader_stopped(uint32_t component) { return stopped[component]; }
sel_word_t loader_num_harts(void) { return bi->num_harts; }

/*
 * The console's component faulted: give the UART back to the kernel (it
 * prints what the component had not read), so the report below and
 * everything after it is seen.
 */
static void release_console(const struct spec_component *c, uint32_t index)
{
    for (uint32_t i = 0; i < spec->num_irqs; i++) {
        const struct spec_irq *q = &spec->irqs[i];
        if (q->component == index && q->irq == SEL_IRQ_KERNEL_CONSOLE)
            sel_cnode_delete(object_cap[c->cnode], q->slot, c->radix);
    }
}

static void report_fault(const struct spec_thread *t, sel_msginfo_t info)
{
    const struct spec_component *c = &spec->components[t->component];
    sel_word_t label = sel_msginfo_label(info);
    sel_word_t pc = sel_get_mr(0), detail = 0, cause = 0;
    if (label == SEL_FAULT_VM) {
        detail = sel_get_mr(SEL_VM_FAULT_ADDR);
        cause = sel_get_mr(SEL_VM_FAULT_FSR);
    } else if (label == SEL_FAULT_USER_EXCEPTION) {
        cause = sel_get_mr(SEL_USER_EXCEPTION_CAUSE);
    } else if (label == SEL_FAULT_UNKNOWN_SYSCALL) {
        detail = sel_get_mr(SEL_UNKNOWN_SYSCALL_NUMBER);
    } else if (label == SEL_FAULT_CAP) {
        detail = sel_get_mr(SEL_CAP_FAULT_ADDR);
    }
    char symbol[96] = "";
    char where[128];
    if (elf_symbolize(&elves[t->component], pc, symbol, sizeof(symbol)))
        snprintf(where, sizeof(where), " (%s)", symbol);
    else
        where[0] = 0;
    printf("loader: component '%s' (thread %s) faulted: %s at pc %#lx%s", c->name, t->name,
           fault_kind(label, cause), (unsigned long)pc, where);
    if (label == SEL_FAULT_VM)
        printf(", address %#lx", (unsigned long)detail);
    else if (label == SEL_FAULT_UNKNOWN_SYSCALL)
        printf(", number %ld", (long)detail);
    else if (label == SEL_FAULT_CAP)
        printf(", capability %lu", (unsigned long)detail);
    printf("\nloader: component '%s' is stopped; the rest of the system runs on\n", c->name);
}

/*
 * Faults (badged with the thread's number) and system-information
 * requests (badged with RPC_BADGE and the client's number: loader_rpc.c)
 * arrive at one endpoint.  A fault is never answered: the thread stays
 * stopped; a request is answered at once.
 */
static _Noreturn void serve(void)
{
    for (;;) {
        sel_word_t badge = 0;
        sel_msginfo_t info = sel_recv(fault_ep, &badge);
        if (badge & LOADER_RPC_BADGE) {
            sel_reply(loader_rpc(badge, info));
            continue;
        }
        if (badge == 0 || badge > spec->num_threads) {
            printf("loader: a fault arrived with unknown badge %lu\n", (unsigned long)badge);
            continue;
        }
        const struct spec_thread *t = &spec->threads[badge - 1];
        const struct spec_component *c = &spec->components[t->component];
        /* The invocations below reuse the IPC buffer: keep the fault message for the report. */
        sel_word_t message[8];
        for (int i = 0; i < 8; i++)
            message[i] = sel_get_mr(i);
        for (uint32_t i = 0; i < c->num_threads; i++)
            sel_tcb_suspend(object_cap[spec->threads[c->first_thread + i].tcb]);
        faults[t->component]++;
        stopped[t->component] = true;
        release_console(c, t->component);
        for (int i = 0; i < 8; i++)
            sel_set_mr(i, message[i]);
        report_fault(t, info);
    }
}

int main(void)
{
    bi = sel_get_bootinfo();
    sel_alloc_init(&alloc, bi);
    printf("loader: system '%s': %u components, %u objects, %u caps, %u mappings\n", spec->system,
           spec->num_components, spec->num_objects, spec->num_caps, spec->num_mappings);

    elves = calloc(spec->num_components, sizeof(*elves));
    faults = calloc(spec->num_components, sizeof(*faults));
    stopped = calloc(spec->num_components, sizeof(*stopped));
    if (!elves || !faults || !stopped)
        fail("out of memory");
    create_objects();
    /* The spec's endpoint when components ask us for system information; else one of our own. */
    fault_ep = spec->loader_endpoint >= 0 ? object_cap[spec->loader_endpoint]
                                          : object(SEL_ENDPOINT_OBJECT, 0, "the fault endpoint");

    for (uint32_t i = 0; i < spec->num_caps; i++) {
        const struct spec_cap *cap = &spec->caps[i];
        const struct spec_component *c = &spec->components[cap->component];
        sel_error_t err = sel_cnode_mint(object_cap[c->cnode], cap->slot, c->radix, SEL_CAP_INIT_CNODE,
                                         object_cap[cap->object], 64, cap->rights, cap->badge);
        if (err)
            fail("component %s: placing %s in slot %u failed: %s", c->name, spec->objects[cap->object].name,
                 cap->slot, sel_error_name(err));
    }
    for (uint32_t i = 0; i < spec->num_components; i++)
        load_elf(&spec->components[i], i);
    fill_constants();
    for (uint32_t i = 0; i < spec->num_mappings; i++) {
        const struct spec_mapping *m = &spec->mappings[i];
        map(object_cap[m->frame], object_cap[m->vspace], m->vaddr, m->writable ? SEL_READ_WRITE : SEL_CAN_READ,
            false, spec->objects[m->frame].name);
    }
    route_irqs();
    give_debug_caps();
    setup_threads();

    for (uint32_t i = 0; i < spec->num_components; i++) {
        const struct spec_component *c = &spec->components[i];
        printf("loader:   %-12s priority %3u, hart %u, %u thread%s, image at %#lx\n", c->name, c->priority, c->hart,
               c->num_threads, c->num_threads == 1 ? "" : "s", (unsigned long)c->image_base);
    }
    sel_word_t now;
    __asm__ volatile("rdtime %0" : "=r"(now));
    printf("loader: all %u components running (%lu ms after power-on, %u slots used)\n", spec->num_components,
           (unsigned long)(now * 1000 / bi->timebase_frequency), scratch_slots_used);
    /* Every thread: a component holds no TCB cap; a server thread waits at its gate until init() has run. */
    for (uint32_t i = 0; i < spec->num_threads; i++)
        check(sel_tcb_resume(object_cap[spec->threads[i].tcb]), "starting", spec->threads[i].name);
    serve();
}
