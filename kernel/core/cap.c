/*
 * Deleting capabilities and destroying objects.
 *
 * Deleting the last cap to an object destroys it.  Destroying a CNode or a
 * TCB means deleting the caps it holds, which may destroy more CNodes: a
 * chain as long as user space cares to build, and a CNode of 2^26 slots.
 * Rather than recurse on the kernel stack, a dying CNode or TCB is pushed
 * on the reap list (linked through its own memory), and its slots are
 * deleted one at a time, each step leaving the tree consistent.  Revoke,
 * Delete and Retype do those steps with preemption points between them
 * (preempt.h), so a long destruction may take several calls; meanwhile the
 * slot that held the last cap holds a zombie (if a Delete made it), so
 * nothing else can be put there before the Delete is done.  The memory of
 * an object on the list must not be reused: every Retype that starts an
 * untyped afresh, and MakePool, first finishes the list.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
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
 * hold its radix (CNodes are at least 128-byte aligned, TCBs 1 KiB).  The
 * link to the next entry and the number of slots already deleted live in
 * the dying object: in the spare words of a CNode's slots 0 and 1 (a CNode
 * has two at least), in a TCB's reap_link and reap_progress.
 */
#define REAP_TCB 1u
#define REAP_TAG_BITS 7

static word_t reap_head;

static bool entry_is_tcb(word_t e) { return e & REAP_TCB; }
static struct tcb *entry_tcb(word_t e) { return (struct tcb *)(e & ~MASK(REAP_TAG_BITS)); }
static struct cte *entry_cnode(word_t e) { return (struct cte *)(e & ~MASK(REAP_TAG_BITS)); }

static word_t *entry_link(word_t e)
{
    return entry_is_tcb(e) ? &entry_tcb(e)->reap_link : &entry_cnode(e)[0].reap_link;
}

static word_t *entry_progress(word_t e)
{
    return entry_is_tcb(e) ? &entry_tcb(e)->reap_progress : &entry_cnode(e)[1].reap_link;
}

static word_t entry_slots(word_t e) { return entry_is_tcb(e) ? TCB_NUM_SLOTS : BIT((e >> 1) & 63); }

static struct cte *entry_slot(word_t e, word_t i)
{
    return entry_is_tcb(e) ? &entry_tcb(e)->slots[i] : &entry_cnode(e)[i];
}

static void reap_push(word_t e)
{
    *entry_link(e) = reap_head;
    *entry_progress(e) = 0;
    reap_head = e;
}

void reap_cnode(struct cte *slots, unsigned radix) { reap_push((word_t)slots | ((word_t)radix << 1)); }

void reap_tcb(struct tcb *t) { reap_push((word_t)t | REAP_TCB); }

/* What deleting cap means for its object (CNodes and TCBs aside: delete_one); final: it was the last cap. */
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
    case SEL_CAP_TYPE_IRQ_HANDLER:
        if (final)
            irq_handler_destroy((unsigned)cap->data);
        break;
    default:
        break;
    }
}

/* Takes slot out of the tree; an untyped left without children may hold dirty memory from now on. */
static void unlink_slot(struct cte *slot)
{
    struct cte *parent = slot->parent;
    cdt_remove(slot);
    if (parent && parent->cap.type == SEL_CAP_TYPE_UNTYPED && !parent->first_child)
        parent->cap.zeroed_pages = 0;
}

/*
 * Deletes the cap in slot.  The last cap to a CNode or TCB puts the object
 * on the reap list (its slots are deleted later, step by step), and with
 * leave_zombie the slot keeps a zombie until that is done.
 */
static void delete_one(struct cte *slot, bool leave_zombie)
{
    if (cap_is_null(&slot->cap))
        return;
    if (slot->cap.type == SEL_CAP_TYPE_ZOMBIE) {
        slot->cap = cap_null();   /* in a slot being reaped: its object is on the list anyway */
        return;
    }
    struct cap cap = slot->cap;
    bool final = cap_is_final(slot);
    /*
     * A copy of an untyped cap that retyped objects hands its watermark to
     * the cap it was copied from, which inherits those objects as children
     * (and forgets what it knew of zeroed memory: the copy may have used it).
     */
    if (cap.type == SEL_CAP_TYPE_UNTYPED && slot->parent && cap_same_object(&slot->parent->cap, &cap)) {
        if (slot->parent->cap.data < cap.data)
            slot->parent->cap.data = cap.data;
        slot->parent->cap.zeroed_pages = 0;
    }
    unlink_slot(slot);
    slot->cap = cap_null();
    if (final && (cap.type == SEL_CAP_TYPE_CNODE || cap.type == SEL_CAP_TYPE_TCB)) {
        if (cap.type == SEL_CAP_TYPE_TCB) {
            tcb_destroy(tcb_of(&cap));
            reap_tcb(tcb_of(&cap));
        } else {
            reap_cnode(cnode_slots(&cap), cap.size_bits);
        }
        if (leave_zombie) {
            slot->cap = cap_make(SEL_CAP_TYPE_ZOMBIE, cap.ptr, 0, 0);
            slot->cap.size_bits = cap.size_bits;
        }
        return;
    }
    finalise(&cap, final);
}

/* One step of the reap list's work; returns its cost in work units. */
static unsigned reap_step(void)
{
    word_t e = reap_head;
    word_t *progress = entry_progress(e);
    if (*progress == entry_slots(e)) {
        reap_head = *entry_link(e);   /* done: once its untyped is reset, its memory may be reused */
        return 1;
    }
    struct cte *slot = entry_slot(e, *progress);
    if (cap_is_null(&slot->cap)) {
        (*progress)++;
        return 1;
    }
    delete_one(slot, false);   /* a CNode this destroys goes on top and is reaped first */
    return 16;
}

/* Steps until the list is back to before (entries pushed since are done). */
static void reap_to(word_t before)
{
    while (reap_head && reap_head != before)
        reap_step();
}

void cap_delete(struct cte *slot)
{
    word_t before = reap_head;
    delete_one(slot, false);
    reap_to(before);
}

word_t cap_reap_preemptible(void)
{
    while (reap_head) {
        unsigned cost = reap_step();
        if (reap_head && preemption_point(cost))
            return KERNEL_PREEMPTED;
    }
    return SEL_NO_ERROR;
}

word_t cap_delete_preemptible(struct cte *slot)
{
    if (slot->cap.type != SEL_CAP_TYPE_ZOMBIE)
        delete_one(slot, true);
    word_t err = cap_reap_preemptible();
    if (err)
        return err;
    /* (If the slot was in an object this destroyed, the reaping cleared it already.) */
    if (slot->cap.type == SEL_CAP_TYPE_ZOMBIE)
        slot->cap = cap_null();
    return SEL_NO_ERROR;
}

/*
 * Deletes leaves first: no step recurses, and the tree is valid after each.
 * Between deletions it finishes what they put on the reap list.  The slot
 * itself may be destroyed on the way (it lies in a CNode made from the
 * untyped being revoked): its memory is not reused before the syscall
 * ends, and then it reads as empty.
 */
static word_t revoke(struct cte *slot, bool preemptible)
{
    struct cap original = slot->cap;
    for (;;) {
        unsigned cost;
        if (reap_head) {
            cost = reap_step();
        } else if (slot->first_child && slot->cap.type == original.type && slot->cap.ptr == original.ptr) {
            delete_one(cdt_first_leaf(slot), false);
            cost = 16;
        } else {
            return SEL_NO_ERROR;
        }
        if (preemptible && preemption_point(cost))
            return KERNEL_PREEMPTED;
    }
}

void cap_revoke(struct cte *slot) { revoke(slot, false); }

word_t cap_revoke_preemptible(struct cte *slot) { return revoke(slot, true); }
