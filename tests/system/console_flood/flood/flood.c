/* Floods the console: 2000 lines as fast as it can, then says how it went. */
#include <component.h>
#include <sel/console.h>
#include <stdio.h>

int run(void)
{
    for (int i = 0; i < 2000; i++)
        printf("flood line %d of 2000, with some text to make it longer than a chunk of the ring\n", i + 1);
    sel_console_writer_t *w = sel_stdout_console;
    if (w)
        sel_console_flush(w, true);   /* a sync is never dropped: after it, the writer has its credit back */
    printf("done flooding: %s, %lu bytes dropped, %lu waits for credit\n", w ? (w->drop ? "dropping" : "waiting") : "no ring",
           (unsigned long)(w ? w->dropped : 0), (unsigned long)(w ? w->waits : 0));
    return 0;
}
