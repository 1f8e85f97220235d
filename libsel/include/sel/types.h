/*
 * Basic types of the kernel/user interface: words, capability pointers,
 * error codes, rights and the message tag.  Shared by the kernel and
 * user space, so it depends on nothing but <stdint.h>.
 */
#ifndef SEL_TYPES_H
#define SEL_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t sel_word_t;
/* A capability pointer: an address in a thread's CSpace. */
typedef sel_word_t sel_cptr_t;

/*
 * Error codes, numbered as in seL4.  An invocation that fails returns one of
 * these as the label of its reply; some also leave details in the message
 * registers (see the comment at each code).
 */
typedef enum sel_error {
    SEL_NO_ERROR = 0,
    SEL_INVALID_ARGUMENT = 1,    /* MR0: index of the offending argument */
    SEL_INVALID_CAPABILITY = 2,  /* MR0: index of the offending cap (0 = invoked cap, 1.. = extra caps) */
    SEL_ILLEGAL_OPERATION = 3,   /* the object cannot do that in its current state */
    SEL_RANGE_ERROR = 4,         /* MR0: smallest allowed value, MR1: largest allowed value */
    SEL_ALIGNMENT_ERROR = 5,     /* an address or size is not aligned as required */
    SEL_FAILED_LOOKUP = 6,       /* MR0: 1 for a source slot or an extra cap, 0 for a destination; MR1: lookup failure kind */
    SEL_TRUNCATED_MESSAGE = 7,   /* fewer message words or extra caps than the invocation needs */
    SEL_DELETE_FIRST = 8,        /* the destination slot or mapping is occupied */
    SEL_REVOKE_FIRST = 9,        /* the object has children that must be revoked first */
    SEL_NOT_ENOUGH_MEMORY = 10,  /* MR0: bytes still free in the untyped */
    SEL_NUM_ERRORS
} sel_error_t;

/* Kinds of lookup failure reported in MR1 with SEL_FAILED_LOOKUP. */
enum sel_lookup_failure {
    SEL_LOOKUP_NO_FAILURE = 0,
    SEL_LOOKUP_INVALID_ROOT = 1,      /* the root is not a CNode capability */
    SEL_LOOKUP_MISSING_CAPABILITY = 2,/* the slot is empty or of the wrong type */
    SEL_LOOKUP_DEPTH_MISMATCH = 3,    /* the depth does not match the CNode levels */
    SEL_LOOKUP_GUARD_MISMATCH = 4,    /* a guard did not match the address */
};

/*
 * Capability rights.  Write allows sending (Send/Signal) and writable
 * mappings, Read allows receiving and readable mappings, Grant allows
 * capabilities to travel through an endpoint, GrantReply allows them to
 * travel in the reply to a Call.
 */
typedef uint8_t sel_rights_t;
#define SEL_CAN_WRITE        (1u << 0)
#define SEL_CAN_READ         (1u << 1)
#define SEL_CAN_GRANT        (1u << 2)
#define SEL_CAN_GRANT_REPLY  (1u << 3)
#define SEL_ALL_RIGHTS       (SEL_CAN_WRITE | SEL_CAN_READ | SEL_CAN_GRANT | SEL_CAN_GRANT_REPLY)
#define SEL_READ_WRITE       (SEL_CAN_WRITE | SEL_CAN_READ)
#define SEL_NO_RIGHTS        0u

/* Message size limits. */
#define SEL_MSG_MAX_LENGTH      120   /* message registers in one message */
#define SEL_MSG_MAX_EXTRA_CAPS  3     /* capabilities sent with one message */
#define SEL_FAST_MESSAGE_REGISTERS 4  /* message registers passed in a2..a5 */
#define SEL_WORD_BITS           64

/*
 * The message tag travels in register a1 with every message:
 *   bits 63..12 label, 11..9 caps unwrapped, 8..7 extra caps, 6..0 length.
 */
typedef struct sel_msginfo {
    sel_word_t words[1];
} sel_msginfo_t;

static inline sel_msginfo_t sel_msginfo_new(sel_word_t label, sel_word_t caps_unwrapped,
                                            sel_word_t extra_caps, sel_word_t length)
{
    sel_msginfo_t info = { { (label << 12) | ((caps_unwrapped & 0x7) << 9) |
                             ((extra_caps & 0x3) << 7) | (length & 0x7f) } };
    return info;
}

static inline sel_word_t sel_msginfo_label(sel_msginfo_t info) { return info.words[0] >> 12; }
static inline sel_word_t sel_msginfo_caps_unwrapped(sel_msginfo_t info) { return (info.words[0] >> 9) & 0x7; }
static inline sel_word_t sel_msginfo_extra_caps(sel_msginfo_t info) { return (info.words[0] >> 7) & 0x3; }
static inline sel_word_t sel_msginfo_length(sel_msginfo_t info) { return info.words[0] & 0x7f; }

/* Data for Mint of a CNode cap: a guard of guard_bits bits (seL4's CNode cap data). */
static inline sel_word_t sel_cnode_guard(sel_word_t guard, sel_word_t guard_bits)
{
    return (guard << 6) | (guard_bits & 0x3f);
}

#endif
