/* Address spaces: frames, page tables, ASIDs (RISC-V Sv39). */
#ifndef SEL_VSPACE_H
#define SEL_VSPACE_H

#include <sel/abi.h>

/*
 * Maps the frame at vaddr in vspace with rights (SEL_CAN_READ, SEL_CAN_WRITE,
 * reduced to the cap's) and attributes (SEL_VM_EXECUTE_NEVER).  RISC-V has
 * no write-only pages: Write without Read maps execute-only, and with
 * SEL_VM_EXECUTE_NEVER as well it is SEL_INVALID_ARGUMENT.
 * SEL_FAILED_LOOKUP if a page table is missing, SEL_DELETE_FIRST if the
 * address is already mapped, SEL_ALIGNMENT_ERROR if vaddr is not aligned to
 * the frame size, SEL_INVALID_CAPABILITY if the cap is mapped elsewhere.
 */
sel_error_t sel_frame_map(sel_cptr_t frame, sel_cptr_t vspace, sel_word_t vaddr, sel_rights_t rights,
                          sel_word_t attributes);

/* Removes the frame cap's mapping (nothing if it is not mapped). */
sel_error_t sel_frame_unmap(sel_cptr_t frame);

/* Stores the frame's physical address in *paddr (for DMA). */
sel_error_t sel_frame_get_address(sel_cptr_t frame, sel_word_t *paddr);

/* Maps the page table into vspace at the next missing level covering vaddr. */
sel_error_t sel_page_table_map(sel_cptr_t page_table, sel_cptr_t vspace, sel_word_t vaddr,
                               sel_word_t attributes);

/* Unmaps the page table from its parent. */
sel_error_t sel_page_table_unmap(sel_cptr_t page_table);

/* Makes an ASID pool from untyped (4 KiB, unused), its cap placed at (index, depth) in root. */
sel_error_t sel_asid_control_make_pool(sel_cptr_t asid_control, sel_cptr_t untyped, sel_cptr_t root,
                                       sel_word_t index, sel_word_t depth);

/* Gives the page table vspace an ASID from pool, making it a VSpace root. */
sel_error_t sel_asid_pool_assign(sel_cptr_t pool, sel_cptr_t vspace);

#endif
