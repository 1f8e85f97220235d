/* Untyped memory and retyping it into objects. */
#ifndef KERNEL_UNTYPED_H
#define KERNEL_UNTYPED_H

#include <kernel/cap.h>
#include <sel/abi.h>

/* Returns log2 of the size of an object of type with size_bits, or -1 if invalid. */
static inline int object_size_bits(word_t type, word_t size_bits)
{
    switch (type) {
    case SEL_UNTYPED_OBJECT:
        return size_bits >= SEL_MIN_UNTYPED_BITS && size_bits <= SEL_MAX_UNTYPED_BITS ? (int)size_bits : -1;
    case SEL_TCB_OBJECT:
        return SEL_TCB_BITS;
    case SEL_ENDPOINT_OBJECT:
        return SEL_ENDPOINT_BITS;
    case SEL_NOTIFICATION_OBJECT:
        return SEL_NOTIFICATION_BITS;
    case SEL_USER_INTERRUPT_OBJECT:
        return SEL_USER_INTERRUPT_BITS;
    case SEL_CNODE_OBJECT:
        return size_bits >= SEL_MIN_CNODE_RADIX && size_bits <= SEL_MAX_CNODE_RADIX
                   ? (int)(size_bits + SEL_SLOT_BITS) : -1;
    case SEL_PAGE_TABLE_OBJECT:
        return SEL_PAGE_TABLE_BITS;
    case SEL_FRAME_4K_OBJECT:
        return SEL_PAGE_BITS;
    case SEL_FRAME_2M_OBJECT:
        return SEL_LARGE_PAGE_BITS;
    default:
        return -1;
    }
}

/*
 * Where in an untyped region of 2^region_bits bytes, used up to watermark,
 * count objects of 2^object_bits bytes go: returns the offset of the first,
 * or -1 if they do not fit.  Pure, tested on the host.
 */
static inline int64_t untyped_place(word_t watermark, unsigned region_bits, unsigned object_bits, word_t count)
{
    if (object_bits > region_bits || count == 0 || count > SEL_RETYPE_MAX_OBJECTS)
        return -1;
    word_t start = ALIGN_UP(watermark, BIT(object_bits));
    if (start < watermark || start > BIT(region_bits))
        return -1;
    if (count > (BIT(region_bits) - start) >> object_bits)
        return -1;
    return (int64_t)start;
}

struct invocation;
word_t decode_untyped_invocation(struct invocation *inv);

#endif
