/* Sv39 address spaces: page tables, frames, ASIDs. */
#ifndef KERNEL_VSPACE_H
#define KERNEL_VSPACE_H

#include <kernel/cap.h>
#include <kernel/config.h>

typedef word_t pte_t;

#define PTE_V  BIT(0)
#define PTE_R  BIT(1)
#define PTE_W  BIT(2)
#define PTE_X  BIT(3)
#define PTE_U  BIT(4)
#define PTE_G  BIT(5)
#define PTE_A  BIT(6)
#define PTE_D  BIT(7)
#define PTE_PPN_SHIFT 10
#define PT_ENTRIES 512
#define PT_LEVELS  3

static inline paddr_t pte_paddr(pte_t pte) { return (pte >> PTE_PPN_SHIFT) << 12; }
static inline pte_t pte_make(paddr_t pa, word_t bits) { return ((pa >> 12) << PTE_PPN_SHIFT) | bits; }
static inline bool pte_is_leaf(pte_t pte) { return (pte & (PTE_R | PTE_W | PTE_X)) != 0; }
/* Index into the page table of level (2 = root) for vaddr. */
static inline unsigned pt_index(vaddr_t va, int level) { return (va >> (12 + 9 * level)) & 0x1ff; }

static inline void *paddr_to_kernel(paddr_t pa) { return (void *)(pa + KERNEL_BASE); }
static inline paddr_t kernel_to_paddr(const void *p) { return (word_t)p - KERNEL_BASE; }

struct asid_pool {
    pte_t *vspace[SEL_ASID_POOL_ENTRIES];   /* the root page table for each ASID, or NULL */
};

extern struct asid_pool *asid_table[SEL_NUM_ASID_POOLS];
/*
 * Bumped whenever the satp of some thread may have changed: a VSpace-root
 * cap deleted, an ASID pool destroyed, a thread given a new VSpace.  Threads
 * cache their satp with the generation it was computed in.
 */
extern word_t vspace_generation;
extern pte_t kernel_root_table[PT_ENTRIES];
extern word_t kernel_satp;

/* Builds the kernel's page table from the memory map and switches to it. */
void vm_init_kernel(paddr_t ram_end);
/* Switches this hart to the kernel page table (secondary harts). */
void vm_activate_kernel(void);
/* Copies the kernel's mappings into a new VSpace root. */
void vm_copy_kernel_mappings(pte_t *root);
/* Returns the root page table of asid, or NULL. */
static inline __attribute__((always_inline)) pte_t *asid_lookup(word_t asid)
{
    struct asid_pool *pool = asid_table[(asid >> 9) % SEL_NUM_ASID_POOLS];
    if (!pool || asid == 0)
        return NULL;
    return pool->vspace[asid & (SEL_ASID_POOL_ENTRIES - 1)];
}

/* The satp for a thread's VSpace cap; the kernel's (no user mappings) if it is not a valid root. */
static inline __attribute__((always_inline)) word_t vm_satp_for(const struct cap *vspace)
{
    if (vspace->type != SEL_CAP_TYPE_PAGE_TABLE || !(vspace->flags & CAP_VSPACE_ROOT))
        return kernel_satp;
    pte_t *root = (pte_t *)vspace->ptr;
    if (asid_lookup(vspace->asid) != root)
        return kernel_satp;
    return (8ull << 60) | ((word_t)vspace->asid << 44) | (kernel_to_paddr(root) >> 12);
}

/* Called on deletion of a frame cap / last cap of a page table or ASID pool. */
void frame_unmap_cap(struct cap *cap);
void page_table_destroy(struct cap *cap);
void asid_pool_destroy(struct cap *cap);

/*
 * Walking a VSpace towards va, to the entry at target_level (0: 4 KiB,
 * 1: 2 MiB).  pte is NULL if the walk stopped at level: its entry is
 * missing (a page table must be mapped) or, if blocked, a larger page.
 */
struct walk {
    pte_t *pte;
    int level;
    bool blocked;
};
struct walk vm_walk(pte_t *root, vaddr_t va, int target_level);
/* The root page table a VSpace cap names, or NULL if it is not a usable VSpace root. */
pte_t *vspace_root_of(const struct cap *cap);
/* Flushes asid's translations on every hart. */
void vm_flush_asid(word_t asid);
/* Makes every hart stop using root (it is about to be destroyed). */
void vm_leave_vspace(pte_t *root);

/* Boot-time mapping into the root task's VSpace; alloc gives zeroed page tables. */
bool vm_boot_map(pte_t *root, vaddr_t va, paddr_t pa, word_t pte_bits, paddr_t (*alloc)(void));

struct invocation;
word_t decode_frame_invocation(struct invocation *inv);
word_t decode_page_table_invocation(struct invocation *inv);
word_t decode_asid_control_invocation(struct invocation *inv);
word_t decode_asid_pool_invocation(struct invocation *inv);

#endif
