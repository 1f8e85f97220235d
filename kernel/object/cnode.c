/*
 * CNodes: capability lookup through guarded radix tables (as in seL4), and
 * the CNode invocations Copy, Mint, Move, Mutate, Rotate, Delete, Revoke
 * and CancelBadgedSends.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>

/*
 * Resolves cptr, depth bits long, from root.  Each CNode level consumes its
 * guard (which must match) and then radix bits of index.  With exact, the
 * lookup must consume exactly depth bits; otherwise it stops at the first
 * cap that is not a CNode.
 */
static struct lookup resolve(const struct cap *root, word_t cptr, unsigned depth, bool exact)
{
    const struct cap *node = root;
    unsigned remaining = depth;

    if (node->type != SEL_CAP_TYPE_CNODE)
        return (struct lookup){ NULL, SEL_LOOKUP_INVALID_ROOT };
    for (;;) {
        unsigned radix = node->size_bits, guard_bits = node->guard_bits;
        unsigned level = radix + guard_bits;
        if (level > remaining)
            return (struct lookup){ NULL, SEL_LOOKUP_DEPTH_MISMATCH };
        word_t guard = shift_right(cptr, remaining - guard_bits) & MASK(guard_bits);
        if (guard != (node->data & MASK(guard_bits)))
            return (struct lookup){ NULL, SEL_LOOKUP_GUARD_MISMATCH };
        word_t index = shift_right(cptr, remaining - level) & MASK(radix);
        struct cte *slot = &cnode_slots(node)[index];
        remaining -= level;
        if (remaining == 0)
            return (struct lookup){ slot, SEL_LOOKUP_NO_FAILURE };
        if (slot->cap.type != SEL_CAP_TYPE_CNODE)
            return exact ? (struct lookup){ NULL, SEL_LOOKUP_DEPTH_MISMATCH }
                         : (struct lookup){ slot, SEL_LOOKUP_NO_FAILURE };
        node = &slot->cap;
    }
}

struct lookup lookup_cap(struct tcb *t, word_t cptr)
{
    return resolve(&t->slots[TCB_CSPACE].cap, cptr, SEL_WORD_BITS, false);
}

struct lookup lookup_slot(const struct cap *root, word_t index, unsigned depth)
{
    return resolve(root, index, depth, true);
}

/*
 * The cap a copy of src may be: frames lose their mapping, untyped caps may
 * only be copied while they have no children, page tables only while mapped
 * (so that no two caps map one table twice), IRQControl never.
 */
word_t cap_derive(const struct cte *src, struct cap *out)
{
    *out = src->cap;
    switch (src->cap.type) {
    case SEL_CAP_TYPE_NULL:
        return SEL_FAILED_LOOKUP;
    case SEL_CAP_TYPE_UNTYPED:
        return cdt_has_children(src) ? SEL_REVOKE_FIRST : SEL_NO_ERROR;
    case SEL_CAP_TYPE_FRAME:
        out->flags &= ~CAP_MAPPED;
        out->asid = 0;
        out->data = 0;
        return SEL_NO_ERROR;
    case SEL_CAP_TYPE_PAGE_TABLE:
        return (src->cap.flags & (CAP_MAPPED | CAP_VSPACE_ROOT)) ? SEL_NO_ERROR : SEL_ILLEGAL_OPERATION;
    case SEL_CAP_TYPE_IRQ_CONTROL:
    case SEL_CAP_TYPE_ZOMBIE:   /* a Delete in progress: there is nothing to copy */
        return SEL_ILLEGAL_OPERATION;
    default:
        return SEL_NO_ERROR;
    }
}

/* Applies Mint/Mutate data: a badge to endpoints, notifications and user interrupts, a guard to CNodes. */
static word_t update_cap_data(struct cap *cap, word_t data)
{
    switch (cap->type) {
    case SEL_CAP_TYPE_ENDPOINT:
    case SEL_CAP_TYPE_NOTIFICATION:
    case SEL_CAP_TYPE_USER_INTERRUPT:
        if (data == 0)
            return SEL_NO_ERROR;
        if (cap->data != 0)
            return SEL_ILLEGAL_OPERATION; /* a badge cannot be changed once set */
        cap->data = data;
        return SEL_NO_ERROR;
    case SEL_CAP_TYPE_CNODE: {
        unsigned guard_bits = data & 63;
        if (guard_bits + cap->size_bits > SEL_WORD_BITS)
            return SEL_INVALID_ARGUMENT;
        cap->guard_bits = (uint8_t)guard_bits;
        cap->data = shift_right(data, 6) & MASK(guard_bits);
        return SEL_NO_ERROR;
    }
    default:
        return SEL_NO_ERROR;
    }
}

/* Looks up a slot named by (root cap, index, depth); source says which side, for errors. */
static word_t lookup_target(struct invocation *inv, const struct cap *root, word_t index, word_t depth,
                            bool source, struct cte **out)
{
    if (depth < 1 || depth > SEL_WORD_BITS)
        return inv_error_range(inv, 1, SEL_WORD_BITS);
    struct lookup l = lookup_slot(root, index, (unsigned)depth);
    if (!l.slot)
        return inv_error_lookup(inv, source, l.failure);
    *out = l.slot;
    return SEL_NO_ERROR;
}

static word_t decode_copy_like(struct invocation *inv, struct cte *dest)
{
    word_t label = inv->label;
    unsigned nargs = label == SEL_CNODE_MINT ? 6 : label == SEL_CNODE_MOVE ? 4 : 5;
    if (inv->length < nargs || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;

    struct cte *src;
    word_t err = lookup_target(inv, inv_extra_cap(inv, 0), inv_arg(inv, 2), inv_arg(inv, 3), true, &src);
    if (err)
        return err;
    if (!cap_is_null(&dest->cap))
        return SEL_DELETE_FIRST;
    if (cap_is_null(&src->cap))
        return inv_error_lookup(inv, true, SEL_LOOKUP_MISSING_CAPABILITY);

    struct cap cap;
    switch (label) {
    case SEL_CNODE_COPY:
    case SEL_CNODE_MINT:
        err = cap_derive(src, &cap);
        if (err)
            return err;
        cap.rights &= (uint8_t)inv_arg(inv, 4);
        if (label == SEL_CNODE_MINT && (err = update_cap_data(&cap, inv_arg(inv, 5))) != SEL_NO_ERROR)
            return err == SEL_INVALID_ARGUMENT ? inv_error_argument(inv, 5) : err;
        cap_insert(dest, &cap, src);
        return SEL_NO_ERROR;
    case SEL_CNODE_MOVE:
    case SEL_CNODE_MUTATE:
        cap = src->cap;
        if (label == SEL_CNODE_MUTATE && (err = update_cap_data(&cap, inv_arg(inv, 4))) != SEL_NO_ERROR)
            return err == SEL_INVALID_ARGUMENT ? inv_error_argument(inv, 4) : err;
        dest->cap = cap;
        cdt_move(src, dest);
        src->cap = cap_null();
        return SEL_NO_ERROR;
    }
    return SEL_ILLEGAL_OPERATION;
}

/*
 * Rotate: pivot -> dest and src -> pivot, with new badges.  dest may be src
 * (a swap); otherwise it must be empty.  Arguments: dest_index, dest_depth,
 * dest_badge, pivot_index, pivot_depth, pivot_badge, src_index, src_depth;
 * extra caps: pivot root, src root.
 */
static word_t decode_rotate(struct invocation *inv, struct cte *dest)
{
    if (inv->length < 8 || inv->extra_count < 2)
        return SEL_TRUNCATED_MESSAGE;
    struct cte *pivot, *src;
    word_t err = lookup_target(inv, inv_extra_cap(inv, 0), inv_arg(inv, 3), inv_arg(inv, 4), true, &pivot);
    if (err)
        return err;
    err = lookup_target(inv, inv_extra_cap(inv, 1), inv_arg(inv, 6), inv_arg(inv, 7), true, &src);
    if (err)
        return err;
    if (pivot == src || pivot == dest)
        return SEL_ILLEGAL_OPERATION;
    if (src != dest && !cap_is_null(&dest->cap))
        return SEL_DELETE_FIRST;
    if (cap_is_null(&src->cap) || cap_is_null(&pivot->cap))
        return inv_error_lookup(inv, true, SEL_LOOKUP_MISSING_CAPABILITY);

    struct cap new_dest = pivot->cap, new_pivot = src->cap;
    if ((err = update_cap_data(&new_dest, inv_arg(inv, 2))) != SEL_NO_ERROR ||
        (err = update_cap_data(&new_pivot, inv_arg(inv, 5))) != SEL_NO_ERROR)
        return err;

    /* Through a temporary slot, so that dest == src (a swap) works too. */
    struct cte tmp = { 0 };
    tmp.cap = new_pivot;
    cdt_move(src, &tmp);
    src->cap = cap_null();
    dest->cap = new_dest;
    cdt_move(pivot, dest);
    pivot->cap = new_pivot;
    cdt_move(&tmp, pivot);
    return SEL_NO_ERROR;
}

word_t decode_cnode_invocation(struct invocation *inv)
{
    if (inv->label < SEL_CNODE_REVOKE || inv->label > SEL_CNODE_ROTATE)
        return SEL_ILLEGAL_OPERATION;
    if (inv->length < 2)
        return SEL_TRUNCATED_MESSAGE;

    struct cte *target;
    word_t err = lookup_target(inv, &inv->slot->cap, inv_arg(inv, 0), inv_arg(inv, 1), false, &target);
    if (err)
        return err;

    switch (inv->label) {
    case SEL_CNODE_REVOKE:
        return cap_revoke_preemptible(target);   /* (preemptible: the syscall is then made again) */
    case SEL_CNODE_DELETE:
        return cap_delete_preemptible(target);
    case SEL_CNODE_CANCEL_BADGED_SENDS:
        /* As in seL4, only a cap with every right may cancel other senders. */
        if (target->cap.type != SEL_CAP_TYPE_ENDPOINT || (target->cap.rights & SEL_ALL_RIGHTS) != SEL_ALL_RIGHTS)
            return SEL_ILLEGAL_OPERATION;
        if (target->cap.data)
            endpoint_cancel_badged_sends(endpoint_of(&target->cap), target->cap.data);
        return SEL_NO_ERROR;
    case SEL_CNODE_ROTATE:
        return decode_rotate(inv, target);
    default:
        return decode_copy_like(inv, target);
    }
}
