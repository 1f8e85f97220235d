/*
 * The capability derivation tree.  Pure pointer manipulation on slots, with
 * no knowledge of what the caps are: tested on the host (tests/host).
 *
 * Invariants, kept by these operations and by the kernel's rules on copying:
 *  - caps to one object are contiguous in their parent's child list;
 *  - if any child of a slot names the slot's own object (a copy), the first
 *    child does (untyped caps with children cannot be copied, and an untyped
 *    whose first child is a copy cannot retype).
 * So finality is decided by looking at a slot's parent, first child and two
 * siblings only.  Removing a node with no parent leaves its children as
 * parentless siblings, still linked to each other.
 */
#ifndef KERNEL_CDT_H
#define KERNEL_CDT_H

#include <kernel/cap.h>

/* Links child (not in the tree) as the first child of parent (NULL: a root). */
void cdt_insert_child(struct cte *parent, struct cte *child);

/* Unlinks node; its children take its place, in order, among its siblings. */
void cdt_remove(struct cte *node);

/* Moves node's place in the tree to the unlinked slot dest. */
void cdt_move(struct cte *node, struct cte *dest);

static inline bool cdt_has_children(const struct cte *node) { return node->first_child != NULL; }

/* Returns a descendant of node that has no children (NULL if node has none). */
struct cte *cdt_first_leaf(const struct cte *node);

#endif
