/*
 * ASID control and ASID pools.  ASIDControl turns a 4 KiB untyped into a
 * pool of 512 ASIDs; assigning one to a page table makes it a VSpace root
 * (with the kernel's mappings copied into its upper half).  The ASID is
 * also the hardware ASID in satp.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/invocation.h>
#include <kernel/preempt.h>
#include <kernel/string.h>
#include <kernel/vspace.h>

void asid_pool_destroy(struct cap *cap)
{
    struct asid_pool *pool = (struct asid_pool *)cap->ptr;
    word_t index = cap->data >> 9;
    if (asid_table[index] != pool)
        return;
    for (word_t i = 0; i < SEL_ASID_POOL_ENTRIES; i++) {
        if (pool->vspace[i]) {
            vm_leave_vspace(pool->vspace[i]);
            vm_flush_asid(cap->data + i);
        }
    }
    asid_table[index] = NULL;
    vspace_generation++;
}

/* MakePool(index, depth); extra caps: the untyped (4 KiB, unused), the destination root CNode. */
word_t decode_asid_control_invocation(struct invocation *inv)
{
    if (inv->label != SEL_ASID_CONTROL_MAKE_POOL)
        return SEL_ILLEGAL_OPERATION;
    if (inv->length < 2 || inv->extra_count < 2)
        return SEL_TRUNCATED_MESSAGE;
    struct cte *untyped = inv->extra[0];
    struct cap *root = inv_extra_cap(inv, 1);

    unsigned index = 0;
    while (index < SEL_NUM_ASID_POOLS && asid_table[index])
        index++;
    if (index == SEL_NUM_ASID_POOLS)
        return SEL_DELETE_FIRST;   /* every pool is in use */
    if (untyped->cap.type != SEL_CAP_TYPE_UNTYPED || untyped->cap.size_bits != SEL_ASID_POOL_BITS ||
        (untyped->cap.flags & CAP_DEVICE))
        return inv_error_cap(inv, 1);
    if (cdt_has_children(untyped))
        return SEL_REVOKE_FIRST;
    word_t depth = inv_arg(inv, 1);
    if (depth < 1 || depth > SEL_WORD_BITS)
        return inv_error_range(inv, 1, SEL_WORD_BITS);
    struct lookup l = lookup_slot(root, inv_arg(inv, 0), (unsigned)depth);
    if (!l.slot)
        return inv_error_lookup(inv, false, l.failure);
    if (!cap_is_null(&l.slot->cap))
        return SEL_DELETE_FIRST;

    /* The untyped's memory is reused: no dying object may still be in it (cap.c). */
    if (cap_reap_preemptible() == KERNEL_PREEMPTED)
        return KERNEL_PREEMPTED;
    struct asid_pool *pool = paddr_to_kernel(untyped->cap.ptr);
    memset(pool, 0, sizeof(*pool));
    untyped->cap.data = BIT(SEL_ASID_POOL_BITS);
    struct cap cap = cap_make(SEL_CAP_TYPE_ASID_POOL, (word_t)pool, (word_t)index << 9, SEL_ALL_RIGHTS);
    cap_insert(l.slot, &cap, untyped);
    asid_table[index] = pool;
    return SEL_NO_ERROR;
}

/* Assign, extra cap 0: the page table to become a VSpace root. */
word_t decode_asid_pool_invocation(struct invocation *inv)
{
    if (inv->label != SEL_ASID_POOL_ASSIGN)
        return SEL_ILLEGAL_OPERATION;
    if (inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    struct cap *pool_cap = &inv->slot->cap;
    struct asid_pool *pool = (struct asid_pool *)pool_cap->ptr;
    struct cap *pt = inv_extra_cap(inv, 0);
    if (pt->type != SEL_CAP_TYPE_PAGE_TABLE || (pt->flags & (CAP_MAPPED | CAP_VSPACE_ROOT)))
        return inv_error_cap(inv, 1);
    if (asid_table[pool_cap->data >> 9] != pool)
        return inv_error_cap(inv, 0);

    word_t i = pool_cap->data == 0 ? 1 : 0;   /* ASID 0 means "none" */
    while (i < SEL_ASID_POOL_ENTRIES && pool->vspace[i])
        i++;
    if (i == SEL_ASID_POOL_ENTRIES)
        return SEL_DELETE_FIRST;   /* the pool is full */

    pte_t *table = (pte_t *)pt->ptr;
    vm_copy_kernel_mappings(table);
    pool->vspace[i] = table;
    pt->flags |= CAP_VSPACE_ROOT;
    pt->asid = (uint16_t)(pool_cap->data + i);
    /* The ASID may have been used before: drop stale translations. */
    vm_flush_asid(pt->asid);
    return SEL_NO_ERROR;
}
