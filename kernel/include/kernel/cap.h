/*
 * Capabilities and the slots that hold them.
 *
 * A capability is three words of plain fields.  A slot (cte, "capability
 * table entry") holds one capability and its place in the capability
 * derivation tree (CDT): Copy, Mint and Retype make the new cap a child of
 * its source, Revoke deletes all descendants, and every cap to one object
 * lies in the subtree of the cap that Retype created for it.
 */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <kernel/types.h>
#include <sel/abi.h>

/* cap.flags */
#define CAP_DEVICE       (1u << 0)  /* untyped/frame: device memory, never zeroed by the kernel */
#define CAP_MAPPED       (1u << 1)  /* frame/page table: mapped at (asid, data) */
#define CAP_VSPACE_ROOT  (1u << 2)  /* page table: a VSpace root holding ASID asid */

struct cap {
    uint8_t type;        /* enum sel_cap_type */
    uint8_t rights;      /* SEL_CAN_* */
    uint8_t size_bits;   /* untyped and frame size; CNode radix */
    uint8_t flags;       /* CAP_* above */
    union {
        struct {
            uint8_t guard_bits;  /* CNode guard size */
            uint8_t pad;
            uint16_t asid;       /* frame, page table: ASID of the mapping */
        };
        /*
         * Untyped of RAM, 4 KiB or more: the memory from the watermark up
         * to this many 4 KiB pages is known to be zero (Retype zeroes ahead
         * of the objects, in pieces it can be preempted between).
         */
        uint32_t zeroed_pages;
    };
    /* Kernel address of the object; physical address for untyped and frames. */
    word_t ptr;
    /*
     * endpoint, notification: badge; CNode: guard; untyped: bytes used
     * (the watermark); frame, page table: mapped address; IRQ handler: the
     * IRQ; ASID pool: its first ASID; zombie: the object being destroyed.
     */
    word_t data;
};

struct cte {
    struct cap cap;
    struct cte *parent;
    struct cte *first_child;
    struct cte *next;          /* siblings: children of the same parent */
    struct cte *prev;
    /* Free for the owner of the slot: a dying CNode links itself into the reap list here. */
    word_t reap_link;
};

_Static_assert(sizeof(struct cap) == 3 * sizeof(word_t), "a cap is three words");
_Static_assert(sizeof(struct cte) == BIT(SEL_SLOT_BITS), "a slot is 2^SEL_SLOT_BITS bytes");

static inline struct cap cap_null(void)
{
    struct cap c = { 0 };
    return c;
}

static inline bool cap_is_null(const struct cap *c) { return c->type == SEL_CAP_TYPE_NULL; }

static inline struct cap cap_make(uint8_t type, word_t ptr, word_t data, uint8_t rights)
{
    struct cap c = { 0 };
    c.type = type;
    c.ptr = ptr;
    c.data = data;
    c.rights = rights;
    return c;
}

/* True if a and b name the same object (or, for untyped and frames, the same memory). */
bool cap_same_object(const struct cap *a, const struct cap *b);

/* True if the cap in slot is the last one naming its object. */
bool cap_is_final(const struct cte *slot);

#endif
