/* ELF64 reading for the loader: segments to load and symbols for fault reports. */
#include "elf.h"

#include <stdio.h>
#include <string.h>

struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

struct sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};

#define PT_LOAD 1
#define SHT_SYMTAB 2
#define STT_FUNC 2
#define EM_RISCV 243

static bool within(const struct elf_file *elf, uint64_t offset, uint64_t length)
{
    return offset <= elf->size && length <= elf->size - offset;
}

const char *elf_open(struct elf_file *elf, const void *bytes, size_t size)
{
    elf->bytes = bytes;
    elf->size = size;
    const struct ehdr *h = bytes;
    if (size < sizeof(*h) || memcmp(h->ident, "\177ELF", 4) != 0)
        return "not an ELF file";
    if (h->ident[4] != 2 || h->ident[5] != 1 || h->machine != EM_RISCV)
        return "not a 64-bit little-endian RISC-V ELF file";
    if (h->phentsize != sizeof(struct phdr) || !within(elf, h->phoff, (uint64_t)h->phnum * sizeof(struct phdr)))
        return "its program headers lie outside the file";
    elf->entry = h->entry;
    return NULL;
}

int elf_next_segment(const struct elf_file *elf, unsigned *cursor, struct elf_segment *seg, const char **error)
{
    const struct ehdr *h = (const void *)elf->bytes;
    const struct phdr *ph = (const void *)(elf->bytes + h->phoff);
    while (*cursor < h->phnum) {
        const struct phdr *p = &ph[(*cursor)++];
        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        if (p->filesz > p->memsz || !within(elf, p->offset, p->filesz)) {
            *error = "a segment lies outside the file";
            return -1;
        }
        seg->vaddr = p->vaddr;
        seg->memsz = p->memsz;
        seg->filesz = p->filesz;
        seg->data = elf->bytes + p->offset;
        seg->flags = p->flags;
        return 1;
    }
    return 0;
}

bool elf_symbolize(const struct elf_file *elf, uint64_t addr, char *buf, size_t size)
{
    const struct ehdr *h = (const void *)elf->bytes;
    if (h->shentsize != sizeof(struct shdr) || !within(elf, h->shoff, (uint64_t)h->shnum * sizeof(struct shdr)))
        return false;
    const struct shdr *sh = (const void *)(elf->bytes + h->shoff);
    for (unsigned i = 0; i < h->shnum; i++) {
        if (sh[i].type != SHT_SYMTAB || sh[i].link >= h->shnum || !within(elf, sh[i].offset, sh[i].size))
            continue;
        const struct shdr *strtab = &sh[sh[i].link];
        if (!within(elf, strtab->offset, strtab->size))
            continue;
        const struct sym *syms = (const void *)(elf->bytes + sh[i].offset);
        const char *names = (const char *)elf->bytes + strtab->offset;
        for (uint64_t j = 0; j < sh[i].size / sizeof(struct sym); j++) {
            const struct sym *s = &syms[j];
            if ((s->info & 0xf) != STT_FUNC || addr < s->value || addr >= s->value + (s->size ? s->size : 1) ||
                s->name >= strtab->size)
                continue;
            const char *name = names + s->name;
            size_t length = 0, max = strtab->size - s->name;
            while (length < max && name[length])
                length++;
            snprintf(buf, size, "%.*s+%#lx", (int)length, name, (unsigned long)(addr - s->value));
            return true;
        }
    }
    return false;
}
