/* The user side of user-interrupt tokens (sel/uintr.h). */
#include <sel/uintr.h>

static __thread sel_uintr_handler_t handler;

/* Called by sel__uintr_entry (uintr_entry.S) with the kernel's a0 and a1. */
void sel__uintr_dispatch(sel_word_t bits, sel_word_t uepc);
void sel__uintr_dispatch(sel_word_t bits, sel_word_t uepc)
{
    if (handler)
        handler(bits, uepc);
}

void sel_uintr_set_handler(sel_uintr_handler_t new_handler)
{
    extern char sel__uintr_entry[];
    handler = new_handler;
    sel_uintr_csrs()->utvec = (sel_word_t)sel__uintr_entry;
}

/* After unmasking, anything pending must be delivered now, as hardware would: enter the kernel if so. */
static void deliver_pending(volatile sel_uintr_csrs_t *csrs)
{
    /*
     * A full fence between our store (UIE or uie) and our load of uip: a
     * token's raise stores uip and then loads ustatus and uie, so one of us
     * sees the other's store (the kernel delivers, or we enter it).
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((csrs->ustatus & SEL_USTATUS_UIE) && (csrs->uip & csrs->uie))
        sel_null_syscall();   /* the way out of the kernel delivers */
}

void sel_uintr_enable_bits(sel_word_t mask)
{
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    csrs->uie |= mask;
    deliver_pending(csrs);
}

bool sel_uintr_enable(void)
{
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    sel_word_t status = csrs->ustatus;
    csrs->ustatus = status | SEL_USTATUS_UIE;
    deliver_pending(csrs);
    return status & SEL_USTATUS_UIE;
}
