/* Reading component ELF files from the boot archive, with every offset checked. */
#ifndef LOADER_ELF_H
#define LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4

struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t filesz;
    const uint8_t *data;     /* filesz bytes */
    uint32_t flags;          /* ELF_PF_* */
};

struct elf_file {
    const uint8_t *bytes;
    size_t size;
    uint64_t entry;
};

/* Checks the header; returns NULL or what is wrong. */
const char *elf_open(struct elf_file *elf, const void *bytes, size_t size);
/* The loadable segments, one by one: returns 1 and fills *seg, 0 at the end, -1 with *error set. */
int elf_next_segment(const struct elf_file *elf, unsigned *cursor, struct elf_segment *seg, const char **error);
/* The function symbol containing addr ("name+0x1c" in buf), or false. */
bool elf_symbolize(const struct elf_file *elf, uint64_t addr, char *buf, size_t size);

#endif
