/*
 * A simple object allocator for a root task: slots from the root CNode's
 * empty range, objects retyped one at a time from the boot untypeds, and
 * frames mapped at fresh addresses with page tables added as needed.
 * Nothing is freed one by one: sel_alloc_reset() revokes every untyped,
 * destroying all that was allocated, and starts again.
 */
#ifndef SEL_ALLOC_H
#define SEL_ALLOC_H

#include <sel/sel.h>

#define SEL_ALLOC_MAX_UNTYPEDS 32

typedef struct sel_allocator {
    sel_cptr_t root;                 /* the CNode slots come from (depth 64) */
    sel_word_t slot_start, slot_next, slot_end;
    sel_cptr_t untyped[SEL_ALLOC_MAX_UNTYPEDS];
    unsigned num_untypeds;
    sel_cptr_t vspace;               /* where sel_alloc_map_pages() maps */
    sel_word_t vaddr_start, vaddr_next;
} sel_allocator_t;

/* Takes over the root task's empty slots and all of its RAM untypeds. */
void sel_alloc_init(sel_allocator_t *a, const sel_bootinfo_t *bi);

/* Returns a free slot of the root CNode, or 0 if there are none left. */
sel_cptr_t sel_alloc_slot(sel_allocator_t *a);

/* Creates one object and returns the slot holding its cap, or 0 if memory or slots ran out. */
sel_cptr_t sel_alloc_object(sel_allocator_t *a, sel_object_type_t type, sel_word_t size_bits);

/*
 * Maps frame at vaddr in vspace, creating page tables as needed.  Returns
 * SEL_NO_ERROR or the error of the mapping.
 */
sel_error_t sel_alloc_map_frame(sel_allocator_t *a, sel_cptr_t frame, sel_cptr_t vspace, sel_word_t vaddr,
                                sel_rights_t rights, sel_word_t attributes);

/* Allocates n fresh 4 KiB frames mapped read-write at consecutive addresses in the root task. */
void *sel_alloc_map_pages(sel_allocator_t *a, sel_word_t n);

/* Destroys everything allocated since sel_alloc_init() and empties the slots it used. */
void sel_alloc_reset(sel_allocator_t *a);

#endif
