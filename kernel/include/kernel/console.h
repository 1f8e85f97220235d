/*
 * Console lines.  Everything printed goes out line by line, and each line
 * belongs to one writer: the kernel, or a thread.  A line written by a
 * thread outside the root task starts with its prefix (the name of its
 * component and ": "), so no component can print a line that passes for
 * the kernel's ("kernel: ..."), the loader's or another component's; a
 * newline inside its text starts a new prefixed line.  A writer who starts
 * while another writer's line is unfinished gets a line of its own, so a
 * line never mixes two writers.  Pure: tested on the host (tests/host).
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <kernel/types.h>

struct console_lines {
    const void *writer;     /* who wrote the last character (compared, never followed) */
    bool open;              /* the last character was not a newline */
};

/*
 * Writes n bytes of text for writer, each of its lines behind prefix
 * (prefix_len bytes, then ": "; NULL for none), one character at a time
 * through put.
 */
void console_lines_write(struct console_lines *c, const void *writer, const char *prefix, size_t prefix_len,
                         const char *text, size_t n, void (*put)(char));

/* The writer will never write again (its memory may be reused): nobody continues its line. */
static inline void console_lines_forget(struct console_lines *c, const void *writer)
{
    if (c->writer == writer)
        c->writer = NULL;
}

#endif
