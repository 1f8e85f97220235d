/* Entry points between the trap path, the scheduler and the rest of the kernel. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <kernel/hart.h>

/* Handles a trap from user mode; ctx is the trapping thread's saved context. */
NORETURN void handle_trap(struct user_context *ctx, word_t scause);
/* Picks what this hart runs next and returns to it (or idles until there is something). */
NORETURN void kernel_exit(struct hart *h);
NORETURN void restore_user(struct user_context *ctx);
void handle_syscall(struct tcb *t);
/* The rest of handle_trap, once the lock is held. */
NORETURN void handle_trap_locked(struct hart *h, struct tcb *t, word_t scause);
/*
 * Call and ReplyRecv, entered from entry.S; they continue in handle_trap or
 * handle_trap_locked when they cannot help, so they never return (fastpath.c).
 */
void fastpath_call(struct user_context *ctx);
/* Whether traps go through the fastpath (from boot; DebugFastpath changes it for tests). */
extern bool fastpath_enabled;
/* Makes h's trap entry agree with fastpath_enabled (h is this hart). */
void arch_follow_fastpath_setting(struct hart *h);
void fastpath_reply_recv(struct user_context *ctx);
/* The time (the timebase: rdtime's units). */
word_t timer_now(void);
extern unsigned boot_hart_index;
/* The root task's CNode (boot.c): its threads are the ones whose CSpace it is. */
extern struct cte *root_cnode;
/* Powers the machine off, QEMU exiting with status. */
NORETURN void machine_poweroff(int status);

#endif
