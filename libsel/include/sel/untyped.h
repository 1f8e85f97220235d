/* Untyped memory: the only source of kernel objects. */
#ifndef SEL_UNTYPED_H
#define SEL_UNTYPED_H

#include <sel/abi.h>

/*
 * Creates num_objects objects of type (size_bits gives the size of untyped
 * objects and the radix of CNodes; it is ignored for fixed-size types) from
 * untyped, placing their caps in slots node_offset.. of the CNode found at
 * (node_index, node_depth) in root (depth 0 means root itself).
 * Returns SEL_NO_ERROR, or why not: SEL_NOT_ENOUGH_MEMORY, SEL_DELETE_FIRST
 * (a destination slot is occupied), SEL_RANGE_ERROR, SEL_INVALID_ARGUMENT,
 * SEL_FAILED_LOOKUP, SEL_REVOKE_FIRST.
 */
sel_error_t sel_untyped_retype(sel_cptr_t untyped, sel_object_type_t type, sel_word_t size_bits,
                               sel_cptr_t root, sel_word_t node_index, sel_word_t node_depth,
                               sel_word_t node_offset, sel_word_t num_objects);

/* Returns the size in bytes of one object of type with size_bits (0 if the type is unknown). */
sel_word_t sel_object_size(sel_object_type_t type, sel_word_t size_bits);

#endif
