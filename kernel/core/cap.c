/*
 * Deleting capabilities and destroying objects.
 *
 * Deleting the last cap to an object destroys it.  Destroying a CNode or a
 * TCB means deleting the caps it holds, which may destroy more CNodes: a
 * chain as long as user space cares to build.  Rather than recurse on the
 * kernel stack, a dying CNode or TCB is pushed on the reap list (linked
 * through its own memory) and reap() deletes their slots in a loop.  The
 * memory of a destroyed object is not reused before the syscall ends (only
 * Retype reuses memory), so reading dead slots in that loop is safe.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
#include <kernel/tcb.h>
#include <kernel/user_interrupt.h>
#include <kernel/vspace.h>

bool cap_same_object(const struct cap *a, const struct cap *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case SEL_CAP_TYPE_NULL:
        return false;
    case SEL_CAP_TYPE_UNTYPED:
    case SEL_CAP_TYPE_FRAME:
        return a->ptr == b->ptr && a->size_bits == b->size_bits;
    case SEL_CAP_TYPE_IRQ_HANDLER:
        return a->data == b->data;
    case SEL_CAP_TYPE_IRQ_CONTROL:
    case SEL_CAP_TYPE_ASID_CONTROL:
    case SEL_CAP_TYPE_DEBUG:
        return true;
    default:
        return a->ptr == b->ptr;
    }
}

bool cap_is_final(const struct cte *slot)
{
    const struct cap *c = &slot->cap;
    /* Caps to one object are contiguous among siblings (cdt.h), so these four suffice. */
    if (slot->parent && cap_same_object(&slot->parent->cap, c))
        return false;
    if (slot->first_child && cap_same_object(&slot->first_child->cap, c))
        return false;
    if (slot->prev && cap_same_object(&slot->prev->cap, c))
        return false;
    if (slot->next && cap_same_object(&slot->next->cap, c))
        return false;
    return true;
}

void cap_insert(struct cte *dest, const struct cap *cap, struct cte *parent)
{
    dest->cap = *cap;
    cdt_insert_child(parent, dest);
}

/* ---- the reap list --------------------------------------------------------- */

/*
 * Entries are tagged pointers: bit 0 set for a TCB; for a CNode, bits 1..6
 * hold its radix.  CNodes are at least 128-byte aligned and TCBs 1 KiB.
 */
#define REAP_TCB 1u
#define REAP_TAG_BITS 7

static word_t reap_head;
static bool reaping;

void reap_cnode(struct cte *slots, unsigned radix)
{
    slots[0].reap_link = reap_head;
    reap_head = (word_t)slots | ((word_t)radix << 1);
}

void reap_tcb(struct tcb *t)
{
    t->reap_link = reap_head;
    reap_head = (word_t)t | REAP_TCB;
}

static void delete_one(struct cte *slot);

static void reap(void)
{
    if (reaping)
        return; /* an outer call is already draining the list */
    reaping = true;
    while (reap_head) {
        word_t entry = reap_head;
        if (entry & REAP_TCB) {
            struct tcb *t = (struct tcb *)(entry & ~MASK(REAP_TAG_BITS));
            reap_head = t->reap_link;
            for (unsigned i = 0; i < TCB_NUM_SLOTS; i++)
                delete_one(&t->slots[i]);
        } else {
            struct cte *slots = (struct cte *)(entry & ~MASK(REAP_TAG_BITS));
            unsigned radix = (entry >> 1) & 63;
            reap_head = slots[0].reap_link;
            for (word_t i = 0; i < BIT(radix); i++)
                delete_one(&slots[i]);
        }
    }
    reaping = false;
}

/* What deleting cap means for its object; final says whether it was the last cap. */
static void finalise(struct cap *cap, bool final)
{
    switch (cap->type) {
    case SEL_CAP_TYPE_FRAME:
        /* Each frame cap holds its own mapping. */
        if (cap->flags & CAP_MAPPED)
            frame_unmap_cap(cap);
        break;
    case SEL_CAP_TYPE_PAGE_TABLE:
        if (cap->flags & CAP_VSPACE_ROOT)
            vspace_generation++;   /* a thread may have used this cap: recompute cached satps */
        if (final)
            page_table_destroy(cap);
        break;
    case SEL_CAP_TYPE_ASID_POOL:
        if (final)
            asid_pool_destroy(cap);
        break;
    case SEL_CAP_TYPE_ENDPOINT:
        if (final)
            endpoint_cancel_all(endpoint_of(cap));
        break;
    case SEL_CAP_TYPE_NOTIFICATION:
        if (final) {
            struct notification *n = notification_of(cap);
            notification_cancel_all(n);
            if (n->bound_tcb)
                tcb_unbind_notification(n->bound_tcb);
        }
        break;
    case SEL_CAP_TYPE_USER_INTERRUPT:
        if (final)
            user_interrupt_destroy(user_interrupt_of(cap));
        break;
    case SEL_CAP_TYPE_CNODE:
        if (final)
            reap_cnode(cnode_slots(cap), cap->size_bits);
        break;
    case SEL_CAP_TYPE_TCB:
        if (final)
            tcb_destroy(tcb_of(cap));
        break;
    case SEL_CAP_TYPE_IRQ_HANDLER:
        if (final)
            irq_handler_destroy((unsigned)cap->data);
        break;
    default:
        break;
    }
}

static void delete_one(struct cte *slot)
{
    if (cap_is_null(&slot->cap))
        return;
    struct cap cap = slot->cap;
    bool final = cap_is_final(slot);
    /*
     * A copy of an untyped cap that retyped objects hands its watermark to
     * the cap it was copied from, which inherits those objects as children.
     */
    if (cap.type == SEL_CAP_TYPE_UNTYPED && slot->parent && cap_same_object(&slot->parent->cap, &cap) &&
        slot->parent->cap.data < cap.data)
        slot->parent->cap.data = cap.data;
    cdt_remove(slot);
    slot->cap = cap_null();
    finalise(&cap, final);
}

void cap_delete(struct cte *slot)
{
    delete_one(slot);
    reap();
}

void cap_revoke(struct cte *slot)
{
    /* Delete leaves first: no step recurses, and the tree stays valid after each. */
    struct cap original = slot->cap;
    while (slot->first_child && slot->cap.type == original.type && slot->cap.ptr == original.ptr) {
        delete_one(cdt_first_leaf(slot));
        reap();
    }
}
