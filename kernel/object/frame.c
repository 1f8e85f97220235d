/*
 * Frames: 4 KiB and 2 MiB pages of memory.  Each frame cap can map its
 * frame once, recording where (ASID and address) in the cap itself; copies
 * of the cap map it elsewhere.  GetAddress gives drivers the physical
 * address for DMA.
 */
#include <kernel/cnode.h>
#include <kernel/invocation.h>
#include <kernel/vspace.h>

static int frame_level(const struct cap *frame) { return frame->size_bits == SEL_LARGE_PAGE_BITS ? 1 : 0; }

void frame_unmap_cap(struct cap *cap)
{
    pte_t *root = asid_lookup(cap->asid);
    if (root) {
        pte_t *pte = vm_walk(root, cap->data, frame_level(cap)).pte;
        /* Only if the mapping there is still this frame (the page table may have been reused). */
        if (pte && (*pte & PTE_V) && pte_is_leaf(*pte) && pte_paddr(*pte) == cap->ptr) {
            *pte = 0;
            vm_flush_asid(cap->asid);
        }
    }
    cap->flags &= ~CAP_MAPPED;
    cap->asid = 0;
    cap->data = 0;
}

pte_t *vspace_root_of(const struct cap *cap)
{
    if (cap->type != SEL_CAP_TYPE_PAGE_TABLE || !(cap->flags & CAP_VSPACE_ROOT))
        return NULL;
    pte_t *root = (pte_t *)cap->ptr;
    return asid_lookup(cap->asid) == root ? root : NULL;
}

/* Map(vaddr, rights, attributes), extra cap 0: the VSpace root. */
static word_t decode_map(struct invocation *inv, struct cap *frame)
{
    if (inv->length < 3 || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    word_t vaddr = inv_arg(inv, 0), rights = inv_arg(inv, 1) & frame->rights, attributes = inv_arg(inv, 2);
    struct cap *vspace_cap = inv_extra_cap(inv, 0);
    pte_t *root = vspace_root_of(vspace_cap);
    if (!root)
        return inv_error_cap(inv, 1);
    word_t size = BIT(frame->size_bits);
    if (!IS_ALIGNED(vaddr, frame->size_bits))
        return SEL_ALIGNMENT_ERROR;
    if (vaddr >= SEL_USER_TOP || size > SEL_USER_TOP - vaddr)
        return inv_error_argument(inv, 0);

    word_t bits = PTE_V | PTE_U | PTE_A | PTE_D;
    if (rights & SEL_CAN_READ)
        bits |= PTE_R;
    if ((rights & SEL_CAN_READ) && (rights & SEL_CAN_WRITE))
        bits |= PTE_W;   /* RISC-V has no write-only pages */
    if (!(attributes & SEL_VM_EXECUTE_NEVER))
        bits |= PTE_X;
    if (!(bits & (PTE_R | PTE_X)))
        return inv_error_argument(inv, 1);   /* such a PTE would point to a page table */

    bool remap = frame->flags & CAP_MAPPED;
    if (remap && (frame->asid != vspace_cap->asid || frame->data != vaddr))
        return inv_error_cap(inv, 0);   /* this cap is mapped elsewhere: map a copy */

    struct walk w = vm_walk(root, vaddr, frame_level(frame));
    pte_t *pte = w.pte;
    if (!pte) {
        if (w.blocked)
            return SEL_DELETE_FIRST;   /* a larger page covers the address */
        /* A page table is missing: MR2 gives the bits left to translate where it is needed. */
        inv_reply(inv, 0, 0);
        inv_reply(inv, 1, SEL_LOOKUP_MISSING_CAPABILITY);
        inv_reply(inv, 2, 12 + 9 * (word_t)w.level);
        return SEL_FAILED_LOOKUP;
    }
    if ((*pte & PTE_V) && !(remap && pte_is_leaf(*pte) && pte_paddr(*pte) == frame->ptr))
        return SEL_DELETE_FIRST;

    *pte = pte_make(frame->ptr, bits);
    frame->flags |= CAP_MAPPED;
    frame->asid = vspace_cap->asid;
    frame->data = vaddr;
    if (remap)
        vm_flush_asid(frame->asid);   /* the rights may have shrunk */
    return SEL_NO_ERROR;
}

word_t decode_frame_invocation(struct invocation *inv)
{
    struct cap *frame = &inv->slot->cap;
    switch (inv->label) {
    case SEL_FRAME_MAP:
        return decode_map(inv, frame);
    case SEL_FRAME_UNMAP:
        if (frame->flags & CAP_MAPPED)
            frame_unmap_cap(frame);
        return SEL_NO_ERROR;
    case SEL_FRAME_GET_ADDRESS:
        inv_reply(inv, 0, frame->ptr);
        return SEL_NO_ERROR;
    default:
        return SEL_ILLEGAL_OPERATION;
    }
}
