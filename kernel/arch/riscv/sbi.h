/* Calls into the SBI firmware (OpenSBI), SBI spec v1.0. */
#ifndef ARCH_SBI_H
#define ARCH_SBI_H

#include <kernel/types.h>

struct sbi_ret {
    long error;
    long value;
};

struct sbi_ret sbi_call(long ext, long fid, word_t a0, word_t a1, word_t a2);

void sbi_console_putchar(int c);
void sbi_set_timer(word_t when);
void sbi_send_ipi(word_t hart_mask, word_t hart_mask_base);
long sbi_hart_start(word_t hartid, paddr_t start, word_t opaque);
void sbi_remote_sfence_vma_asid(word_t hart_mask, word_t asid);
void sbi_shutdown(void);

#endif
