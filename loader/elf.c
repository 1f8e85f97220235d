/* ELF64 reading for the loader: segments to load and symbols for fault reports. */
#include "elf.h"

#include <sel/elf64.h>

#include <stdio.h>
#include <string.h>

static bool within(const struct elf_file *elf, uint64_t offset, uint64_t length)
{
    return offset <= elf->size && length <= elf->size - offset;
}

const char *elf_open(struct elf_file *elf, const void *bytes, size_t size)
{
    elf->bytes = bytes;
    elf->size = size;
    const sel_elf64_header_t *h = bytes;
    if (size < sizeof(*h) || !sel_elf64_is_elf(h))
        return "not an ELF file";
    if (!sel_elf64_is_rv64(h))
        return "not a 64-bit little-endian RISC-V ELF file";
    if (h->phentsize != sizeof(sel_elf64_phdr_t) || !within(elf, h->phoff, (uint64_t)h->phnum * sizeof(sel_elf64_phdr_t)))
        return "its program headers lie outside the file";
    elf->entry = h->entry;
    return NULL;
}

int elf_next_segment(const struct elf_file *elf, unsigned *cursor, struct elf_segment *seg, const char **error)
{
    const sel_elf64_header_t *h = (const void *)elf->bytes;
    const sel_elf64_phdr_t *ph = (const void *)(elf->bytes + h->phoff);
    while (*cursor < h->phnum) {
        const sel_elf64_phdr_t *p = &ph[(*cursor)++];
        if (p->type != SEL_ELF_PT_LOAD || p->memsz == 0)
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
    const sel_elf64_header_t *h = (const void *)elf->bytes;
    if (h->shentsize != sizeof(sel_elf64_shdr_t) || !within(elf, h->shoff, (uint64_t)h->shnum * sizeof(sel_elf64_shdr_t)))
        return false;
    const sel_elf64_shdr_t *sh = (const void *)(elf->bytes + h->shoff);
    for (unsigned i = 0; i < h->shnum; i++) {
        if (sh[i].type != SEL_ELF_SHT_SYMTAB || sh[i].link >= h->shnum || !within(elf, sh[i].offset, sh[i].size))
            continue;
        const sel_elf64_shdr_t *strtab = &sh[sh[i].link];
        if (!within(elf, strtab->offset, strtab->size))
            continue;
        const sel_elf64_sym_t *syms = (const void *)(elf->bytes + sh[i].offset);
        const char *names = (const char *)elf->bytes + strtab->offset;
        for (uint64_t j = 0; j < sh[i].size / sizeof(sel_elf64_sym_t); j++) {
            const sel_elf64_sym_t *s = &syms[j];
            if ((s->info & 0xf) != SEL_ELF_STT_FUNC || addr < s->value || addr >= s->value + (s->size ? s->size : 1) ||
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
