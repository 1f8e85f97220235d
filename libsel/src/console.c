/* Writing to the console ring: sel/console.h. */
#include <sel/console.h>
#include <string.h>

void sel_console_writer_init(sel_console_writer_t *w, const sel_console_port_t *port, bool drop)
{
    memset(w, 0, sizeof(*w));
    w->port = port;
    w->drop = drop;
    w->next_tag = 1;
}

void sel_console_collect(sel_console_writer_t *w)
{
    struct sel_console_done done;
    uint64_t tag;
    while (w->port->completion(&done, &tag)) {
        if (w->unanswered)
            w->unanswered--;
        if (done.status == SEL_CONSOLE_REFUSED)
            w->refused++;
        if (tag == w->sync_tag)
            w->sync_tag = 0;
    }
}

/* Credit for one chunk: answers that came, or (without drop) waiting for them. */
static bool credit(sel_console_writer_t *w, bool must)
{
    sel_console_collect(w);
    while (w->unanswered >= w->port->credit) {
        if (w->drop && !must)
            return false;
        w->waits++;
        w->port->wait();
        sel_console_collect(w);
    }
    return true;
}

/* Submits the chunk being filled, or drops it (counted, told to the server with the next). */
static void submit(sel_console_writer_t *w)
{
    struct sel_console_chunk *c = &w->chunk;
    if (credit(w, c->sync)) {
        c->dropped = w->unreported;
        uint64_t tag = w->next_tag++;
        /* With credit the ring has room: the server answers a slot's chunk only after taking it. */
        while (!w->port->submit(c, tag)) {
            w->waits++;
            w->port->wait();
        }
        if (c->sync)
            w->sync_tag = tag;
        w->unanswered++;
        w->unreported = 0;
        w->chunks++;
    } else {
        w->dropped += c->length;
        w->unreported += c->length;
    }
    memset(c, 0, sizeof(*c));
}

void sel_console_write(sel_console_writer_t *w, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sel_console_chunk *c = &w->chunk;
        c->text[c->length++] = (uint8_t)text[i];
        if (text[i] == '\n') {
            submit(w);
            w->port->flush();
        } else if (c->length == SEL_CONSOLE_CHUNK_TEXT) {
            submit(w);
        }
    }
}

void sel_console_flush(sel_console_writer_t *w, bool sync)
{
    struct sel_console_chunk *c = &w->chunk;
    if (c->length || sync) {
        c->partial = c->length != 0;   /* a chunk ending in a newline went at the newline */
        c->sync = sync;
        submit(w);
    }
    w->port->flush();
    while (w->sync_tag) {
        w->waits++;
        w->port->wait();
        sel_console_collect(w);
    }
}
