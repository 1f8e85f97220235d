/* RISC-V supervisor CSRs and their bits (privileged spec, v1.12). */
#ifndef ARCH_CSR_H
#define ARCH_CSR_H

#include <kernel/types.h>

#define SSTATUS_SIE   BIT(1)
#define SSTATUS_SPIE  BIT(5)
#define SSTATUS_SPP   BIT(8)
#define SSTATUS_FS    (3ull << 13)
#define SSTATUS_SUM   BIT(18)

#define SIE_SSIE      BIT(1)
#define SIE_STIE      BIT(5)
#define SIE_SEIE      BIT(9)
#define SIP_SSIP      BIT(1)

#define SCAUSE_INTERRUPT            BIT(63)
#define IRQ_S_SOFT                  1
#define IRQ_S_TIMER                 5
#define IRQ_S_EXT                   9
#define EXC_INST_MISALIGNED         0
#define EXC_INST_ACCESS             1
#define EXC_ILLEGAL_INSTRUCTION     2
#define EXC_BREAKPOINT              3
#define EXC_LOAD_MISALIGNED         4
#define EXC_LOAD_ACCESS             5
#define EXC_STORE_MISALIGNED        6
#define EXC_STORE_ACCESS            7
#define EXC_ECALL_U                 8
#define EXC_INST_PAGE_FAULT         12
#define EXC_LOAD_PAGE_FAULT         13
#define EXC_STORE_PAGE_FAULT        15

#define SATP_MODE_SV39  (8ull << 60)

#define csr_read(csr) ({ word_t __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v)); __v; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"rK"((word_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"rK"((word_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"rK"((word_t)(v)) : "memory")

static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void sfence_vma_asid(word_t asid) { __asm__ volatile("sfence.vma zero, %0" ::"r"(asid) : "memory"); }
static inline void sfence_vma_addr(word_t vaddr, word_t asid)
{
    __asm__ volatile("sfence.vma %0, %1" ::"r"(vaddr), "r"(asid) : "memory");
}
static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

#endif
