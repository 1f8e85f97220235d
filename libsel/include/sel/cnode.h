/*
 * CNodes: tables of capability slots.  A slot is named by a CNode cap
 * (root), an index and a depth in bits, as in seL4.
 */
#ifndef SEL_CNODE_H
#define SEL_CNODE_H

#include <sel/abi.h>

/* Deletes every capability derived from the one in the slot; returns SEL_NO_ERROR or a lookup error. */
sel_error_t sel_cnode_revoke(sel_cptr_t root, sel_word_t index, sel_word_t depth);

/* Deletes the capability in the slot (destroying the object if it was the last cap to it). */
sel_error_t sel_cnode_delete(sel_cptr_t root, sel_word_t index, sel_word_t depth);

/*
 * Makes every thread blocked sending with the badge of the endpoint cap in
 * the slot restart; the cap must have all rights (SEL_ILLEGAL_OPERATION otherwise).
 */
sel_error_t sel_cnode_cancel_badged_sends(sel_cptr_t root, sel_word_t index, sel_word_t depth);

/* Copies the source cap to the empty destination slot with rights reduced to rights. */
sel_error_t sel_cnode_copy(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth,
                           sel_rights_t rights);

/*
 * Like copy, also setting the badge (endpoints, notifications) or the guard
 * (CNodes, see sel_cnode_guard()).  SEL_ILLEGAL_OPERATION if the source is
 * already badged.
 */
sel_error_t sel_cnode_mint(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth,
                           sel_rights_t rights, sel_word_t badge);

/* Moves the source cap to the empty destination slot. */
sel_error_t sel_cnode_move(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth);

/*
 * Moves the source cap to the empty destination slot, setting its badge (if
 * it had none) or guard.  seL4's Mutate cannot badge endpoints; this one can.
 */
sel_error_t sel_cnode_mutate(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                             sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth,
                             sel_word_t badge);

/*
 * Moves the pivot cap to the destination and the source cap to the pivot
 * slot, setting their badges (the destination may be the source slot: a swap).
 */
sel_error_t sel_cnode_rotate(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                             sel_word_t dest_badge, sel_cptr_t pivot_root, sel_word_t pivot_index,
                             sel_word_t pivot_depth, sel_word_t pivot_badge, sel_cptr_t src_root,
                             sel_word_t src_index, sel_word_t src_depth);

#endif
