/* Console lines: see include/kernel/console.h. */
#include <kernel/console.h>

void console_lines_write(struct console_lines *c, const void *writer, const char *prefix, size_t prefix_len,
                         const char *text, size_t n, void (*put)(char))
{
    for (size_t i = 0; i < n; i++) {
        if (c->open && c->writer != writer) {
            put('\n');   /* someone else's line is unfinished: this writer starts its own */
            c->open = false;
        }
        if (!c->open && prefix) {
            for (size_t k = 0; k < prefix_len; k++)
                put(prefix[k]);
            put(':');
            put(' ');
        }
        put(text[i]);
        c->writer = writer;
        c->open = text[i] != '\n';
    }
}
