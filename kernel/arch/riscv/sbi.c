/* SBI calls.  Each costs a few hundred instructions in M-mode: keep them off hot paths. */
#include "sbi.h"

#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_TIME   0x54494d45
#define SBI_EXT_IPI    0x735049
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_EXT_HSM    0x48534d
#define SBI_EXT_SRST   0x53525354

struct sbi_ret sbi_call(long ext, long fid, word_t a0, word_t a1, word_t a2)
{
    register word_t r0 __asm__("a0") = a0;
    register word_t r1 __asm__("a1") = a1;
    register word_t r2 __asm__("a2") = a2;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbi_ret){ (long)r0, (long)r1 };
}

void sbi_console_putchar(int c) { sbi_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, (word_t)c, 0, 0); }

void sbi_set_timer(word_t when) { sbi_call(SBI_EXT_TIME, 0, when, 0, 0); }

void sbi_send_ipi(word_t hart_mask, word_t hart_mask_base)
{
    sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0);
}

long sbi_hart_start(word_t hartid, paddr_t start, word_t opaque)
{
    return sbi_call(SBI_EXT_HSM, 0, hartid, start, opaque).error;
}

void sbi_remote_sfence_vma_asid(word_t hart_mask, word_t asid)
{
    /* Function 2 of RFENCE takes the range and ASID in a2..a4; flush everything for the ASID. */
    register word_t r0 __asm__("a0") = hart_mask;
    register word_t r1 __asm__("a1") = 0;
    register word_t r2 __asm__("a2") = 0;
    register word_t r3 __asm__("a3") = ~0ull;
    register word_t r4 __asm__("a4") = asid;
    register long r6 __asm__("a6") = 2;
    register long r7 __asm__("a7") = SBI_EXT_RFENCE;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
}

void sbi_shutdown(void) { sbi_call(SBI_EXT_SRST, 0, 0, 0, 0); }
