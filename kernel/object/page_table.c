/*
 * Page tables.  One 4 KiB object serves every Sv39 level: mapped into a
 * VSpace, it becomes the next missing level for its address; assigned an
 * ASID (asid_pool.c), it becomes a VSpace root.
 */
#include <kernel/cnode.h>
#include <kernel/invocation.h>
#include <kernel/string.h>
#include <kernel/vspace.h>

/* Clears the entry of the table above that points to this page table. */
static void unlink_from_parent(struct cap *cap)
{
    pte_t *root = asid_lookup(cap->asid);
    paddr_t pa = kernel_to_paddr((void *)cap->ptr);
    pte_t *table = root;
    for (int level = 2; table && level >= 1; level--) {
        pte_t *pte = &table[pt_index(cap->data, level)];
        if (!(*pte & PTE_V) || pte_is_leaf(*pte))
            return;
        if (pte_paddr(*pte) == pa) {
            *pte = 0;
            vm_flush_asid(cap->asid);
            return;
        }
        table = paddr_to_kernel(pte_paddr(*pte));
    }
}

void page_table_destroy(struct cap *cap)
{
    pte_t *table = (pte_t *)cap->ptr;
    if (cap->flags & CAP_VSPACE_ROOT) {
        if (asid_lookup(cap->asid) == table) {
            asid_table[cap->asid >> 9]->vspace[cap->asid & (SEL_ASID_POOL_ENTRIES - 1)] = NULL;
            vm_leave_vspace(table);
            vm_flush_asid(cap->asid);
        }
    } else if (cap->flags & CAP_MAPPED) {
        unlink_from_parent(cap);
    }
}

/* Map(vaddr, attributes), extra cap 0: the VSpace root. */
static word_t decode_map(struct invocation *inv, struct cap *pt)
{
    if (inv->length < 2 || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    if (pt->flags & (CAP_MAPPED | CAP_VSPACE_ROOT))
        return inv_error_cap(inv, 0);
    struct cap *vspace_cap = inv_extra_cap(inv, 0);
    pte_t *root = vspace_root_of(vspace_cap);
    if (!root)
        return inv_error_cap(inv, 1);
    word_t vaddr = inv_arg(inv, 0);
    if (vaddr >= SEL_USER_TOP)
        return inv_error_argument(inv, 0);

    pte_t *table = root;
    for (int level = 2; level >= 1; level--) {
        pte_t *pte = &table[pt_index(vaddr, level)];
        if (!(*pte & PTE_V)) {
            *pte = pte_make(kernel_to_paddr((void *)pt->ptr), PTE_V);
            pt->flags |= CAP_MAPPED;
            pt->asid = vspace_cap->asid;
            pt->data = ALIGN_DOWN(vaddr, BIT(12 + 9 * level));
            return SEL_NO_ERROR;
        }
        if (pte_is_leaf(*pte))
            return SEL_DELETE_FIRST;
        table = paddr_to_kernel(pte_paddr(*pte));
    }
    return SEL_DELETE_FIRST;   /* every level is already there */
}

word_t decode_page_table_invocation(struct invocation *inv)
{
    struct cap *pt = &inv->slot->cap;
    switch (inv->label) {
    case SEL_PAGE_TABLE_MAP:
        return decode_map(inv, pt);
    case SEL_PAGE_TABLE_UNMAP:
        if (pt->flags & CAP_VSPACE_ROOT)
            return SEL_ILLEGAL_OPERATION;
        if (!cap_is_final(inv->slot))
            return SEL_REVOKE_FIRST;   /* copies share the mapping */
        if (pt->flags & CAP_MAPPED) {
            unlink_from_parent(pt);
            /* Whatever it mapped goes with it, so it cannot reappear when mapped elsewhere. */
            memset((void *)pt->ptr, 0, BIT(SEL_PAGE_TABLE_BITS));
            pt->flags &= ~CAP_MAPPED;
            pt->asid = 0;
            pt->data = 0;
        }
        return SEL_NO_ERROR;
    default:
        return SEL_ILLEGAL_OPERATION;
    }
}
