/*
 * Sv39 page tables.  The kernel maps all of physical memory (RAM and the
 * device space below it) at KERNEL_BASE with 1 GiB pages in the upper half
 * of every VSpace root; user mappings live in the lower half.
 */
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/vspace.h>
#include "csr.h"
#include "sbi.h"

pte_t boot_root_table[PT_ENTRIES] __attribute__((aligned(4096), section(".data.boot_page_table")));
pte_t kernel_root_table[PT_ENTRIES] __attribute__((aligned(4096)));
word_t kernel_satp;
word_t vspace_generation = 1;
struct asid_pool *asid_table[SEL_NUM_ASID_POOLS];

#define KERNEL_FIRST_ENTRY (PT_ENTRIES / 2)

void vm_init_kernel(paddr_t ram_end)
{
    /* All of physical memory up to the end of RAM, and at least the first 4 GiB of device space. */
    word_t gib = ALIGN_UP(ram_end, BIT(30)) >> 30;
    if (gib < 4)
        gib = 4;
    if (gib > PT_ENTRIES / 2 - 1)
        gib = PT_ENTRIES / 2 - 1;
    for (word_t i = 0; i < gib; i++)
        kernel_root_table[KERNEL_FIRST_ENTRY + i] =
            pte_make(i << 30, PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D);
    kernel_satp = SATP_MODE_SV39 | (kernel_to_paddr(kernel_root_table) >> 12);
    vm_activate_kernel();
}

void vm_activate_kernel(void)
{
    sfence_vma_all();
    csr_write(satp, kernel_satp);
    sfence_vma_all();
}

void vm_copy_kernel_mappings(pte_t *root)
{
    memcpy(&root[KERNEL_FIRST_ENTRY], &kernel_root_table[KERNEL_FIRST_ENTRY],
           sizeof(pte_t) * (PT_ENTRIES - KERNEL_FIRST_ENTRY));
}

bool vm_boot_map(pte_t *root, vaddr_t va, paddr_t pa, word_t pte_bits, paddr_t (*alloc)(void))
{
    pte_t *table = root;
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &table[pt_index(va, level)];
        if (!(*pte & PTE_V)) {
            paddr_t pt = alloc();
            if (!pt)
                return false;
            *pte = pte_make(pt, PTE_V);
        } else if (pte_is_leaf(*pte)) {
            return false;
        }
        table = paddr_to_kernel(pte_paddr(*pte));
    }
    pte_t *leaf = &table[pt_index(va, 0)];
    if (*leaf & PTE_V)
        return false;
    *leaf = pte_make(pa, pte_bits | PTE_V | PTE_A | PTE_D);
    return true;
}

struct walk vm_walk(pte_t *root, vaddr_t va, int target_level)
{
    pte_t *table = root;
    for (int level = 2; level > target_level; level--) {
        pte_t pte = table[pt_index(va, level)];
        if (!(pte & PTE_V))
            return (struct walk){ NULL, level, false };
        if (pte_is_leaf(pte))
            return (struct walk){ NULL, level, true };
        table = paddr_to_kernel(pte_paddr(pte));
    }
    return (struct walk){ &table[pt_index(va, target_level)], target_level, false };
}

/*
 * A remote fence costs about a millisecond of M-mode work on the other
 * hart, so only harts that have run asid since they last flushed it get one.
 */
void vm_flush_asid(word_t asid)
{
    struct hart *self = this_hart();
    word_t mask = 0;
    sfence_vma_asid(asid);
    self->asid_used[asid / 64] &= ~BIT(asid % 64);
    if (((self->satp >> 44) & 0xffff) == asid)
        self->asid_used[asid / 64] |= BIT(asid % 64);
    vspace_generation++;   /* threads re-mark asid_used when they next run (switch.h) */
    for (unsigned i = 0; i < num_harts; i++) {
        struct hart *h = &harts[i];
        if (h == self || !h->online || h->hartid >= 64 || !(h->asid_used[asid / 64] & BIT(asid % 64)))
            continue;
        mask |= BIT(h->hartid);
        if (((h->satp >> 44) & 0xffff) != asid)
            h->asid_used[asid / 64] &= ~BIT(asid % 64);
    }
    if (mask)
        sbi_remote_sfence_vma_asid(mask, asid);
}

void vm_leave_vspace(pte_t *root)
{
    word_t ppn = kernel_to_paddr(root) >> 12;
    for (unsigned i = 0; i < num_harts; i++) {
        struct hart *h = &harts[i];
        if ((h->satp & MASK(44)) != ppn || h->satp == kernel_satp)
            continue;
        if (h == this_hart()) {
            csr_write(satp, kernel_satp);
            h->satp = kernel_satp;
        } else if (h->current) {
            /* Stop its thread there (the stall also switches that hart to the kernel's table). */
            struct tcb *t = h->current;
            thread_evict(t);
            thread_readmit(t);
        }
    }
}
