/* Constants shared by the assembly files and C. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

/* Plain numbers only, so that assembly can use it. */
#include <kernel/config.h>

#define SATP_SV39         (8 << 60)

/* struct user_context: regs[32] (pc, x1..x31), then kernel_sp and hart. */
#define CTX_REG(n)        ((n) * 8)
#define CTX_KERNEL_SP     (32 * 8)
#define CTX_HART          (33 * 8)

#endif
