/* CNodes: capability lookup and the operations on slots. */
#ifndef KERNEL_CNODE_H
#define KERNEL_CNODE_H

#include <kernel/cap.h>
#include <kernel/tcb.h>

struct lookup {
    struct cte *slot;       /* NULL on failure */
    word_t failure;         /* enum sel_lookup_failure */
};

static inline struct cte *cnode_slots(const struct cap *cnode_cap) { return (struct cte *)cnode_cap->ptr; }

/* Finds the cap that cptr names in t's CSpace (all 64 bits, stopping at a non-CNode cap). */
struct lookup lookup_cap(struct tcb *t, word_t cptr);
/* Finds the slot at (index, depth) under root, consuming exactly depth bits. */
struct lookup lookup_slot(const struct cap *root, word_t index, unsigned depth);

/* The cap that a copy of the one in src may be; returns SEL_NO_ERROR or why it cannot be copied. */
word_t cap_derive(const struct cte *src, struct cap *out);

/* Deletes the cap in slot and everything its deletion destroys, in one go (the kernel's own deletions). */
void cap_delete(struct cte *slot);
/* Deletes every descendant of the cap in slot, in one go. */
void cap_revoke(struct cte *slot);
/*
 * The same for the Delete and Revoke invocations, with preemption points:
 * SEL_NO_ERROR when done, KERNEL_PREEMPTED (preempt.h) to be called again.
 * Both also finish the reap list (what earlier preempted calls left).
 */
word_t cap_delete_preemptible(struct cte *slot);
word_t cap_revoke_preemptible(struct cte *slot);
/* Finishes the reap list, with preemption points: before memory is reused (Retype, MakePool). */
word_t cap_reap_preemptible(void);
/* Places cap in the empty slot dest as a child of parent (NULL: no parent). */
void cap_insert(struct cte *dest, const struct cap *cap, struct cte *parent);

/* Queues a CNode for its slots to be deleted (its last cap went). */
void reap_cnode(struct cte *slots, unsigned radix);
/* Queues a TCB for its internal slots to be deleted. */
void reap_tcb(struct tcb *t);

struct invocation;
word_t decode_cnode_invocation(struct invocation *inv);

#endif
