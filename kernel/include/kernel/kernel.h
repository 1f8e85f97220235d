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
/* Powers the machine off, QEMU exiting with status. */
NORETURN void machine_poweroff(int status);

#endif
