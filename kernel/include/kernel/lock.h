/* The big kernel lock: one hart in the kernel at a time, as in seL4's SMP kernel. */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <kernel/hart.h>

void kernel_lock(struct hart *h);
void kernel_unlock(void);

#endif
