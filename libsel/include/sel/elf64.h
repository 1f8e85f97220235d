/*
 * The ELF64 structures that the kernel (the root task's image) and the
 * loader (each component's image) read: one definition for both.
 */
#ifndef SEL_ELF64_H
#define SEL_ELF64_H

#include <stdbool.h>
#include <stdint.h>

#define SEL_ELF_PT_LOAD 1
#define SEL_ELF_PF_X 1
#define SEL_ELF_PF_W 2
#define SEL_ELF_PF_R 4
#define SEL_ELF_SHT_SYMTAB 2
#define SEL_ELF_STT_FUNC 2
#define SEL_ELF_EM_RISCV 243

typedef struct {
    uint8_t ident[16];      /* "\177ELF", class, data (byte order), version, ... */
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} sel_elf64_header_t;

typedef struct {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} sel_elf64_phdr_t;

typedef struct {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
} sel_elf64_shdr_t;

typedef struct {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
} sel_elf64_sym_t;

/* Whether h (at least sizeof(*h) bytes) starts an ELF file at all. */
static inline bool sel_elf64_is_elf(const sel_elf64_header_t *h)
{
    return h->ident[0] == 0x7f && h->ident[1] == 'E' && h->ident[2] == 'L' && h->ident[3] == 'F';
}

/* Whether an ELF file is 64-bit, little-endian and for RISC-V: what we can run. */
static inline bool sel_elf64_is_rv64(const sel_elf64_header_t *h)
{
    return h->ident[4] == 2 && h->ident[5] == 1 && h->machine == SEL_ELF_EM_RISCV;
}

#endif
