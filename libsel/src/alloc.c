/* A bump allocator over the boot untypeds: see sel/alloc.h. */
#include <sel/alloc.h>

#define DYNAMIC_VADDR 0x1000000000ull   /* where sel_alloc_map_pages() starts */

void sel_alloc_init(sel_allocator_t *a, const sel_bootinfo_t *bi)
{
    a->root = SEL_CAP_INIT_CNODE;
    a->slot_start = a->slot_next = bi->empty.start;
    a->slot_end = bi->empty.end;
    a->num_untypeds = 0;
    /* Largest first, so that big objects find room. */
    for (int bits = 63; bits >= 4; bits--)
        for (sel_word_t i = 0; i < bi->num_untypeds && a->num_untypeds < SEL_ALLOC_MAX_UNTYPEDS; i++)
            if (!bi->untyped_list[i].is_device && bi->untyped_list[i].size_bits == bits)
                a->untyped[a->num_untypeds++] = bi->untyped.start + i;
    a->vspace = SEL_CAP_INIT_VSPACE;
    a->vaddr_start = a->vaddr_next = DYNAMIC_VADDR;
}

sel_cptr_t sel_alloc_slot(sel_allocator_t *a)
{
    return a->slot_next < a->slot_end ? a->slot_next++ : 0;
}

sel_cptr_t sel_alloc_object(sel_allocator_t *a, sel_object_type_t type, sel_word_t size_bits)
{
    sel_cptr_t slot = sel_alloc_slot(a);
    if (!slot)
        return 0;
    for (unsigned i = 0; i < a->num_untypeds; i++)
        if (sel_untyped_retype(a->untyped[i], type, size_bits, a->root, 0, 0, slot, 1) == SEL_NO_ERROR)
            return slot;
    a->slot_next--;
    return 0;
}

sel_error_t sel_alloc_map_frame(sel_allocator_t *a, sel_cptr_t frame, sel_cptr_t vspace, sel_word_t vaddr,
                                sel_rights_t rights, sel_word_t attributes)
{
    for (int level = 0; level < 3; level++) {
        sel_error_t err = sel_frame_map(frame, vspace, vaddr, rights, attributes);
        if (err != SEL_FAILED_LOOKUP)
            return err;
        sel_cptr_t pt = sel_alloc_object(a, SEL_PAGE_TABLE_OBJECT, 0);
        if (!pt)
            return SEL_NOT_ENOUGH_MEMORY;
        err = sel_page_table_map(pt, vspace, vaddr, SEL_VM_DEFAULT);
        if (err)
            return err;
    }
    return SEL_FAILED_LOOKUP;
}

void *sel_alloc_map_pages(sel_allocator_t *a, sel_word_t n)
{
    sel_word_t start = a->vaddr_next;
    for (sel_word_t i = 0; i < n; i++) {
        sel_cptr_t frame = sel_alloc_object(a, SEL_FRAME_4K_OBJECT, 0);
        if (!frame || sel_alloc_map_frame(a, frame, a->vspace, start + i * 4096, SEL_READ_WRITE,
                                          SEL_VM_EXECUTE_NEVER) != SEL_NO_ERROR)
            return NULL;
    }
    a->vaddr_next = start + n * 4096 + 4096;   /* and a guard page */
    return (void *)start;
}

void sel_alloc_reset(sel_allocator_t *a)
{
    for (unsigned i = 0; i < a->num_untypeds; i++)
        sel_cnode_revoke(a->root, a->untyped[i], SEL_WORD_BITS);
    for (sel_word_t s = a->slot_start; s < a->slot_next; s++)
        sel_cnode_delete(a->root, s, SEL_WORD_BITS);
    a->slot_next = a->slot_start;
    a->vaddr_next = a->vaddr_start;
}
