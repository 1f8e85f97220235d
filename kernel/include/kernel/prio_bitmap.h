/*
 * A two-level bitmap of the 256 priorities that have ready threads: the
 * highest ready priority is found in O(1) with two count-leading-zeros.
 * Pure code, tested on the host (tests/host).
 */
#ifndef KERNEL_PRIO_BITMAP_H
#define KERNEL_PRIO_BITMAP_H

#include <kernel/types.h>

#define PRIO_WORDS 4   /* 256 priorities / 64 bits */

struct prio_bitmap {
    word_t top;                 /* bit i: words[i] is not zero */
    word_t words[PRIO_WORDS];
};

static inline void prio_bitmap_set(struct prio_bitmap *b, unsigned prio)
{
    b->words[prio / 64] |= BIT(prio % 64);
    b->top |= BIT(prio / 64);
}

static inline void prio_bitmap_clear(struct prio_bitmap *b, unsigned prio)
{
    b->words[prio / 64] &= ~BIT(prio % 64);
    if (!b->words[prio / 64])
        b->top &= ~BIT(prio / 64);
}

static inline bool prio_bitmap_empty(const struct prio_bitmap *b) { return b->top == 0; }

/* Whether prio or some priority above it is set: prio_bitmap_highest(b) >= prio, without searching. */
static inline bool prio_bitmap_any_at_or_above(const struct prio_bitmap *b, unsigned prio)
{
    unsigned w = prio / 64;
    word_t in_word = b->words[w] & ~(BIT(prio % 64) - 1);
    /* The words above w; 2 << 63 wraps to 0, so for the last word the mask is empty. */
    word_t in_words_above = b->top & ~((2ull << w) - 1);
    return (in_word | in_words_above) != 0;
}

/* Index of the highest set bit of x (x != 0), without libgcc (rv64imac has no clz). */
static inline unsigned highest_bit(word_t x)
{
    unsigned n = 0;
    if (x >> 32) { n += 32; x >>= 32; }
    if (x >> 16) { n += 16; x >>= 16; }
    if (x >> 8) { n += 8; x >>= 8; }
    if (x >> 4) { n += 4; x >>= 4; }
    if (x >> 2) { n += 2; x >>= 2; }
    if (x >> 1) { n += 1; }
    return n;
}

/* Returns the highest priority set; the bitmap must not be empty. */
static inline unsigned prio_bitmap_highest(const struct prio_bitmap *b)
{
    unsigned w = highest_bit(b->top);
    return w * 64 + highest_bit(b->words[w]);
}

#endif
