/*
 * The user-interrupt CSRs of the RISC-V N extension, as memory.
 *
 * The N extension (user-level interrupts) was a draft, removed from the
 * privileged specification in v1.12, and QEMU has none, so the kernel
 * emulates it: these eight words in each thread's IPC buffer stand for its
 * CSRs, under their names, with the same meaning.  The kernel reads them
 * when it decides whether to interrupt the thread and writes them when it
 * does; the thread reads and writes them as it would the CSRs.  If hardware
 * support appears, these become csrr/csrw and sel/uintr.h stays as it is.
 *
 * Differences from the draft, all to serve tokens (sel/uintr.h):
 * - uip and uie have one bit per token bit (64 sources, as in UINTC), not
 *   the draft's three (software, timer, external); ucause is always a user
 *   software interrupt.
 * - The kernel saves the interrupted registers itself (the handler may use
 *   any register), and delivers the bits taken in a0 as well as utval.
 */
#ifndef SEL_UINTR_CSRS_H
#define SEL_UINTR_CSRS_H

#include <sel/types.h>

typedef struct sel_uintr_csrs {
    sel_word_t ustatus;     /* SEL_USTATUS_UIE, SEL_USTATUS_UPIE */
    sel_word_t uie;         /* which pending bits may interrupt */
    sel_word_t uip;         /* bits raised and not yet delivered (the kernel keeps it current) */
    sel_word_t utvec;       /* the handler's address; 0: none (nothing is delivered) */
    sel_word_t uscratch;    /* for the thread's own use, typically by the handler */
    sel_word_t uepc;        /* in a handler: where uret resumes (the interrupted pc; may be changed) */
    sel_word_t ucause;      /* in a handler: SEL_UCAUSE_USER_SOFTWARE */
    sel_word_t utval;       /* in a handler: the bits this entry delivered (also in a0) */
} sel_uintr_csrs_t;

#define SEL_USTATUS_UIE   (1ull << 0)   /* user interrupts enabled */
#define SEL_USTATUS_UPIE  (1ull << 4)   /* UIE before the handler was entered; uret restores it */
#define SEL_UCAUSE_USER_SOFTWARE ((1ull << 63) | 0)

#endif
