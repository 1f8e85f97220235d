/*
 * Untyped memory.  Retype carves objects from an untyped region at its
 * watermark, each naturally aligned; their caps become children of the
 * untyped cap.  When the cap has no children left (all revoked or deleted)
 * the watermark starts again from zero, once the reap list is finished
 * (no dying object may still be in that memory: cap.c).
 *
 * Objects start zeroed, except in device memory, which the kernel never
 * touches.  Retype zeroes the memory they take before it makes them, in
 * pieces with a preemption point between each (preempt.h), and records in
 * the cap how far the memory above the watermark is zero (zeroed_pages),
 * so that a Retype preempted and made again goes on where it stopped, and
 * nothing is made until all of it is zero.  An untyped left without
 * children forgets that (its memory may be dirty then).  Retyping 64 MiB
 * of CNode or frames thus never keeps the kernel for more than a piece.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/hart.h>
#include <kernel/invocation.h>
#include <kernel/preempt.h>
#include <kernel/string.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>

/* Makes an object in memory that is zero already (or device memory). */
static struct cap create_object(word_t type, paddr_t pa, unsigned object_bits, word_t size_bits, bool device)
{
    void *kva = device ? NULL : paddr_to_kernel(pa);

    struct cap cap = cap_make(SEL_CAP_TYPE_NULL, (word_t)kva, 0, SEL_ALL_RIGHTS);
    switch (type) {
    case SEL_UNTYPED_OBJECT:
        cap.type = SEL_CAP_TYPE_UNTYPED;
        cap.ptr = pa;
        cap.size_bits = (uint8_t)size_bits;
        cap.flags = device ? CAP_DEVICE : 0;
        break;
    case SEL_TCB_OBJECT:
        cap.type = SEL_CAP_TYPE_TCB;
        tcb_init(kva, this_hart()->index);
        break;
    case SEL_ENDPOINT_OBJECT:
        cap.type = SEL_CAP_TYPE_ENDPOINT;
        break;
    case SEL_NOTIFICATION_OBJECT:
        cap.type = SEL_CAP_TYPE_NOTIFICATION;
        break;
    case SEL_USER_INTERRUPT_OBJECT:
        cap.type = SEL_CAP_TYPE_USER_INTERRUPT;
        break;
    case SEL_CNODE_OBJECT:
        cap.type = SEL_CAP_TYPE_CNODE;
        cap.size_bits = (uint8_t)size_bits;
        break;
    case SEL_PAGE_TABLE_OBJECT:
        cap.type = SEL_CAP_TYPE_PAGE_TABLE;
        break;
    case SEL_FRAME_4K_OBJECT:
    case SEL_FRAME_2M_OBJECT:
        cap.type = SEL_CAP_TYPE_FRAME;
        cap.ptr = pa;
        cap.size_bits = (uint8_t)object_bits;
        cap.flags = device ? CAP_DEVICE : 0;
        break;
    }
    return cap;
}

/* Bytes zeroed between preemption points. */
#define ZERO_PIECE (16 * 1024)

/*
 * Makes [start, end) of the untyped's memory zero (start is at or above
 * the watermark), from where it is known to be zero already, piece by
 * piece: KERNEL_PREEMPTED if a preemption point stopped it (zeroed_pages
 * says how far it got), else SEL_NO_ERROR.  fresh: the untyped has no
 * children, so its watermark counts as 0.
 */
static word_t zero_ahead(struct cap *untyped, bool fresh, word_t start, word_t end)
{
    word_t size = BIT(untyped->size_bits);
    word_t known = (word_t)untyped->zeroed_pages << SEL_PAGE_BITS;
    if (!fresh) {
        /* Skip the alignment gap: it stays unused anyway, so [data, known) stays the zero part. */
        untyped->data = start;
    }
    word_t from = known > start ? known : start;
    word_t to = ALIGN_UP(end, BIT(SEL_PAGE_BITS));
    if (to > size)
        to = size;
    while (from < to) {
        word_t piece_end = ALIGN_DOWN(from, ZERO_PIECE) + ZERO_PIECE;
        if (piece_end > to)
            piece_end = to;
        memset(paddr_to_kernel(untyped->ptr + from), 0, piece_end - from);
        from = piece_end;
        untyped->zeroed_pages = (uint32_t)(from >> SEL_PAGE_BITS);
        if (from < to && preemption_point(ZERO_PIECE / 64))
            return KERNEL_PREEMPTED;
    }
    return SEL_NO_ERROR;
}

/*
 * Retype(type, size_bits, node_index, node_depth, node_offset, num_objects),
 * extra cap 0: the CNode root under which the destination CNode is found.
 */
word_t decode_untyped_invocation(struct invocation *inv)
{
    if (inv->label != SEL_UNTYPED_RETYPE)
        return SEL_ILLEGAL_OPERATION;
    if (inv->length < 6 || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;

    struct cte *untyped = inv->slot;
    word_t type = inv_arg(inv, 0), size_bits = inv_arg(inv, 1);
    word_t node_index = inv_arg(inv, 2), node_depth = inv_arg(inv, 3);
    word_t offset = inv_arg(inv, 4), count = inv_arg(inv, 5);
    bool device = untyped->cap.flags & CAP_DEVICE;

    if (type >= SEL_NUM_OBJECT_TYPES)
        return inv_error_argument(inv, 0);
    int object_bits = object_size_bits(type, size_bits);
    if (object_bits < 0) {
        if (type == SEL_CNODE_OBJECT)
            return inv_error_range(inv, SEL_MIN_CNODE_RADIX, SEL_MAX_CNODE_RADIX);
        return inv_error_range(inv, SEL_MIN_UNTYPED_BITS, SEL_MAX_UNTYPED_BITS);
    }
    if (device && type != SEL_UNTYPED_OBJECT && type != SEL_FRAME_4K_OBJECT && type != SEL_FRAME_2M_OBJECT)
        return inv_error_argument(inv, 0);   /* the kernel cannot keep its objects in device memory */
    if (count < 1 || count > SEL_RETYPE_MAX_OBJECTS)
        return inv_error_range(inv, 1, SEL_RETYPE_MAX_OBJECTS);

    /* The destination CNode: the root itself at depth 0, else the CNode cap at (index, depth). */
    struct cap *root = inv_extra_cap(inv, 0);
    struct cap *dest_cnode;
    if (node_depth == 0) {
        if (root->type != SEL_CAP_TYPE_CNODE)
            return inv_error_lookup(inv, false, SEL_LOOKUP_INVALID_ROOT);
        dest_cnode = root;
    } else {
        if (node_depth > SEL_WORD_BITS)
            return inv_error_range(inv, 0, SEL_WORD_BITS);
        struct lookup l = lookup_slot(root, node_index, (unsigned)node_depth);
        if (!l.slot)
            return inv_error_lookup(inv, false, l.failure);
        if (l.slot->cap.type != SEL_CAP_TYPE_CNODE)
            return inv_error_lookup(inv, false, SEL_LOOKUP_MISSING_CAPABILITY);
        dest_cnode = &l.slot->cap;
    }
    word_t slots = BIT(dest_cnode->size_bits);
    if (offset >= slots)
        return inv_error_range(inv, 0, slots - 1);
    if (count > slots - offset)
        return inv_error_range(inv, 1, slots - offset);
    struct cte *dest = cnode_slots(dest_cnode) + offset;
    for (word_t i = 0; i < count; i++)
        if (!cap_is_null(&dest[i].cap))
            return SEL_DELETE_FIRST;

    /* A copy of this untyped cap that exists keeps the watermark: retype through it. */
    if (untyped->first_child && cap_same_object(&untyped->first_child->cap, &untyped->cap))
        return SEL_REVOKE_FIRST;

    unsigned region_bits = untyped->cap.size_bits;
    bool fresh = !cdt_has_children(untyped);
    word_t watermark = fresh ? 0 : untyped->cap.data;
    int64_t start = untyped_place(watermark, region_bits, (unsigned)object_bits, count);
    if (start < 0) {
        inv_reply(inv, 0, watermark < BIT(region_bits) ? BIT(region_bits) - watermark : 0);
        return SEL_NOT_ENOUGH_MEMORY;
    }
    /* Starting afresh reuses memory: no dying object may still be in it (cap.c). */
    if (fresh && cap_reap_preemptible() == KERNEL_PREEMPTED)
        return KERNEL_PREEMPTED;

    word_t end = (word_t)start + (count << object_bits);
    if (!device && type != SEL_UNTYPED_OBJECT) {
        if (region_bits < SEL_PAGE_BITS) {
            memset(paddr_to_kernel(untyped->cap.ptr + (word_t)start), 0, end - (word_t)start);   /* tiny: at once */
        } else {
            word_t err = zero_ahead(&untyped->cap, fresh, (word_t)start, end);
            if (err)
                return err;
        }
    }

    paddr_t base = untyped->cap.ptr + (word_t)start;
    for (word_t i = 0; i < count; i++) {
        struct cap cap = create_object(type, base + (i << object_bits), (unsigned)object_bits, size_bits, device);
        cap_insert(&dest[i], &cap, untyped);
    }
    untyped->cap.data = end;
    return SEL_NO_ERROR;
}
