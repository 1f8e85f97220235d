/*
 * What the kernel hands the root task at boot: the initial capabilities at
 * fixed slots of its CNode, and a boot-info page (its address arrives in a0)
 * listing the untyped memory and where the rest of the boot image lies.
 * Shared by the kernel and user space.
 */
#ifndef SEL_BOOTINFO_H
#define SEL_BOOTINFO_H

#include <sel/types.h>

/* Slots of the root task's CNode filled at boot. */
enum sel_initial_cap {
    SEL_CAP_NULL = 0,
    SEL_CAP_INIT_TCB = 1,        /* the root task's own thread */
    SEL_CAP_INIT_CNODE = 2,      /* its CNode (radix in bootinfo, guard so that depth 64 resolves) */
    SEL_CAP_INIT_VSPACE = 3,     /* its VSpace root page table */
    SEL_CAP_IRQ_CONTROL = 4,
    SEL_CAP_ASID_CONTROL = 5,
    SEL_CAP_INIT_ASID_POOL = 6,
    SEL_CAP_BOOTINFO_FRAME = 7,
    SEL_CAP_INIT_IPC_BUFFER = 8,
    SEL_CAP_DEBUG = 9,           /* the debug capability: only the root task gets one (sel/abi.h) */
    SEL_NUM_INITIAL_CAPS
};

/* A range of slots [start, end). */
typedef struct sel_slot_region {
    sel_word_t start;
    sel_word_t end;
} sel_slot_region_t;

typedef struct sel_untyped_desc {
    sel_word_t paddr;
    uint8_t size_bits;
    uint8_t is_device;
    uint8_t padding[6];
} sel_untyped_desc_t;

#define SEL_BOOTINFO_MAGIC 0x6f666e49746f6f42ull /* "BootInfo" */
#define SEL_MAX_UNTYPEDS   200
#define SEL_MAX_HARTS      8

typedef struct sel_bootinfo {
    sel_word_t magic;
    sel_word_t boot_hart;            /* index of the hart the root task runs on */
    sel_word_t num_harts;            /* harts are numbered 0..num_harts-1 for SetAffinity */
    sel_word_t hart_ids[SEL_MAX_HARTS]; /* their hardware hart ids */
    sel_word_t timebase_frequency;   /* rdtime ticks per second */
    sel_word_t ipc_buffer;           /* address of the root task's IPC buffer */
    sel_word_t init_cnode_radix;
    sel_slot_region_t empty;         /* free slots of the root CNode */
    sel_slot_region_t untyped;       /* untyped caps, described by untyped_list */
    sel_slot_region_t user_image_frames; /* frames holding the root task's image */
    sel_slot_region_t archive_frames;    /* frames holding the boot archive */
    sel_word_t image_vaddr;          /* lowest address of the root task's image */
    sel_word_t archive_vaddr;        /* where the boot archive is mapped (read-only) */
    sel_word_t archive_size;
    sel_word_t num_untypeds;
    sel_untyped_desc_t untyped_list[SEL_MAX_UNTYPEDS];
} sel_bootinfo_t;

_Static_assert(sizeof(sel_bootinfo_t) <= 4096, "boot info fits in one page");

/*
 * The boot archive: the files the image carries besides the kernel (the
 * root task first).  A header, an array of entries, then the file data, each
 * file 4 KiB aligned.  Offsets are from the start of the archive.
 */
#define SEL_ARCHIVE_MAGIC 0x3148435241534c53ull /* "SLSARCH1" */
#define SEL_ARCHIVE_NAME_MAX 48

typedef struct sel_archive_entry {
    char name[SEL_ARCHIVE_NAME_MAX];
    uint64_t offset;
    uint64_t size;
} sel_archive_entry_t;

typedef struct sel_archive_header {
    uint64_t magic;
    uint64_t count;
    sel_archive_entry_t entries[];
} sel_archive_header_t;

#endif
