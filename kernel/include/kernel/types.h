/* Basic types and helpers for the freestanding kernel. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t word_t;
typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;

#define BIT(n)            (1ull << (n))
/* The low n bits set; n may be 64. */
#define MASK(n)           ((n) >= 64 ? ~0ull : BIT(n) - 1)
#define ALIGN_DOWN(x, a)  ((x) & ~((word_t)(a) - 1))
#define ALIGN_UP(x, a)    (((x) + (word_t)(a) - 1) & ~((word_t)(a) - 1))
#define IS_ALIGNED(x, bits) (((x) & MASK(bits)) == 0)
#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define likely(x)         __builtin_expect(!!(x), 1)
#define unlikely(x)       __builtin_expect(!!(x), 0)
#define UNUSED            __attribute__((unused))
#define NORETURN          __attribute__((noreturn))
#define PACKED            __attribute__((packed))

/* Shifts that are defined for a count of 64 (C leaves x >> 64 undefined). */
static inline word_t shift_right(word_t x, unsigned n) { return n >= 64 ? 0 : x >> n; }
static inline word_t shift_left(word_t x, unsigned n) { return n >= 64 ? 0 : x << n; }

#endif
