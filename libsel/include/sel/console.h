/*
 * Writing to the system's console through a ring (idl/console.yaml): a
 * component's stdout goes to its console ring when system.yaml names a
 * console (docs/system.md "The console"), and to the kernel's
 * DebugPutString otherwise.  The serving component puts the writer's name
 * before each line, so the text here carries none.
 *
 * The stream is cut into chunks of up to 56 bytes (the ring's request):
 *
 *   bytes 0      length    text bytes used
 *         1      partial   the text ends inside a line to be shown now (fflush without a newline: a prompt)
 *         2      sync      answer when everything up to here has left the UART
 *         3      reserved  0
 *         4..7   dropped   bytes dropped since the last chunk (a dropping writer was out of credit)
 *         8..63  text
 *
 * Every chunk is answered (taken, sent for a sync, or refused), and a
 * writer keeps at most `credit` chunks unanswered (the ring's entries).
 * Out of credit, a writer waits for answers (the default: it waits for
 * the UART, never for another writer), or drops the text and counts it
 * (drop); the chunk after a drop says how much was lost, and the server
 * reports it.  A sync chunk is never dropped.
 */
#ifndef SEL_CONSOLE_H
#define SEL_CONSOLE_H

#include <sel/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEL_CONSOLE_CHUNK_TEXT 56

struct sel_console_chunk {
    uint8_t length;
    bool partial;
    bool sync;
    uint8_t reserved;
    uint32_t dropped;
    uint8_t text[SEL_CONSOLE_CHUNK_TEXT];
};
_Static_assert(sizeof(struct sel_console_chunk) == 64, "a console chunk is one 64-byte message");

enum sel_console_status { SEL_CONSOLE_TAKEN, SEL_CONSOLE_SENT, SEL_CONSOLE_REFUSED };

struct sel_console_done {
    uint32_t status;                /* enum sel_console_status */
    uint32_t reserved;
    uint64_t tx_bytes;
};
_Static_assert(sizeof(struct sel_console_done) == 16, "a console answer is 16 bytes");

/* How a writer reaches its ring: the generated glue's port functions. */
typedef struct sel_console_port {
    bool (*submit)(const struct sel_console_chunk *chunk, uint64_t tag);    /* false if the ring is full */
    bool (*completion)(struct sel_console_done *done, uint64_t *tag);       /* false if no answer waits */
    void (*flush)(void);                                                    /* publish, wake the server */
    void (*wait)(void);             /* sleep until an answer may be there (flushes first) */
    uint32_t credit;                /* chunks it may have unanswered: its ring's entries */
} sel_console_port_t;

typedef struct sel_console_writer {
    const sel_console_port_t *port;
    bool drop;                      /* drop when out of credit, instead of waiting */
    struct sel_console_chunk chunk; /* being filled */
    uint32_t unanswered;
    uint32_t unreported;            /* dropped, not yet told to the server */
    uint64_t sync_tag;              /* the tag of the sync chunk waited for, 0 if none */
    uint64_t next_tag;
    uint64_t dropped;               /* bytes dropped in all (drop) */
    uint64_t refused;               /* chunks the server refused */
    uint64_t waits;                 /* times the writer waited for credit or a sync */
    uint64_t chunks;                /* chunks submitted */
} sel_console_writer_t;

void sel_console_writer_init(sel_console_writer_t *w, const sel_console_port_t *port, bool drop);

/* Appends text; a chunk goes out when full, and at a newline (then published). */
void sel_console_write(sel_console_writer_t *w, const char *text, size_t n);

/*
 * Sends what is buffered and publishes it; text that does not end a line
 * is marked partial, so that it shows at once.  With sync, waits until
 * everything written so far has left the UART.
 */
void sel_console_flush(sel_console_writer_t *w, bool sync);

/* Collects the answers that have come (the writer does so itself whenever it needs credit). */
void sel_console_collect(sel_console_writer_t *w);

/* stdout's writer: set by the glue of a component with a console ring; NULL: DebugPutString. */
extern sel_console_writer_t *sel_stdout_console;

#endif
