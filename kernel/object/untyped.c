/*
 * Untyped memory.  Retype carves objects from an untyped region at its
 * watermark, each naturally aligned; their caps become children of the
 * untyped cap.  When the cap has no children left (all revoked or deleted)
 * the watermark starts again from zero.  Objects are zeroed here, except
 * device memory, which the kernel never touches.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/hart.h>
#include <kernel/invocation.h>
#include <kernel/string.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>

static struct cap create_object(word_t type, paddr_t pa, unsigned object_bits, word_t size_bits, bool device)
{
    void *kva = device ? NULL : paddr_to_kernel(pa);
    if (!device && type != SEL_UNTYPED_OBJECT)
        memset(kva, 0, BIT(object_bits));

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
    word_t watermark = cdt_has_children(untyped) ? untyped->cap.data : 0;
    int64_t start = untyped_place(watermark, region_bits, (unsigned)object_bits, count);
    if (start < 0) {
        inv_reply(inv, 0, watermark < BIT(region_bits) ? BIT(region_bits) - watermark : 0);
        return SEL_NOT_ENOUGH_MEMORY;
    }

    paddr_t base = untyped->cap.ptr + (word_t)start;
    for (word_t i = 0; i < count; i++) {
        struct cap cap = create_object(type, base + (i << object_bits), (unsigned)object_bits, size_bits, device);
        cap_insert(&dest[i], &cap, untyped);
    }
    untyped->cap.data = (word_t)start + (count << object_bits);
    return SEL_NO_ERROR;
}
