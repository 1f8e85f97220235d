/*
 * Console lines: what several writers send becomes lines on one UART,
 * each physical line from one writer and starting with its name.  Pure
 * (no device, no rings): the serial feeds it and drains it, and
 * tests/host/test_serial_lines.c tests it on the host.
 *
 * A source is one writer's stream: a console client (the serial puts
 * "name: " before its lines) or the kernel's console, whose lines already
 * carry their writer's name ("kernel: ", "loader: ", a DebugPutString
 * thread's).  Each source assembles one line at a time, and a line goes
 * out whole once its newline comes (or a piece of it, when the writer
 * shows it early: a prompt, or LINES_TEXT bytes without a newline).  Lines
 * are taken from the sources in turn, one per source per round, so a
 * writer with much to say cannot hold the others back.
 *
 * A physical line left unfinished (a prompt) stays its writer's while
 * nobody else has a line to send; when someone does, the serial ends it
 * with LINES_MARKER and the writer's next text starts a new line behind
 * its name again.  The name of a kernel-console line is taken from the
 * line's start (up to the first ": ") for that purpose.
 *
 * What reaches the UART is printable ASCII, bytes from 0x80 (UTF-8), tab,
 * CR LF at each line's end, and backspaces that erase the writer's own
 * text (never its name); '\r' is dropped and other control bytes become
 * '?' (counted), so nobody can move the cursor over someone else's text.
 */
#ifndef SERIAL_LINES_H
#define SERIAL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINES_TEXT 160          /* bytes of a line held at once; a longer line goes out in pieces */
#define LINES_OUT 4096          /* bytes queued for the UART */
#define LINES_NAME 48           /* the longest name remembered for a kernel-console line */
#define LINES_MARKER " \\"      /* ends a line the serial broke for another writer's */

struct lines_source {
    const char *prefix;         /* its lines start "prefix: "; NULL: the text names its writer (the kernel's) */
    size_t prefix_len;
    char text[LINES_TEXT];      /* the line being assembled, or the piece of it not sent yet */
    size_t used;
    bool ended;                 /* text is the rest of a line whose newline came (not stored) */
    bool show;                  /* send text without waiting for its newline */
    char name[LINES_NAME + 2];  /* prefix-less: the name of its open line, with ": " */
    size_t name_len;
    bool broken;                /* its line was ended by the serial: the next text starts behind its name */
};

struct lines {
    struct lines_source *open;  /* whose line is unfinished on the wire, or NULL */
    bool name_done;             /* the open line's name is written (for a prefix-less one: its ": " came) */
    unsigned backspace_room;    /* characters of the open line's text a backspace may erase */
    unsigned next;              /* round robin: the source to look at first */
    char out[LINES_OUT];        /* bytes for the UART, head - tail of them from out[tail % LINES_OUT] */
    uint32_t out_head, out_tail;
    uint64_t lines, broken, sanitized;
};

void lines_init(struct lines *l);
void lines_source_init(struct lines_source *s, const char *prefix);

/*
 * Takes text into s up to and including the first newline, or until s
 * holds LINES_TEXT bytes; returns how many bytes it took (0 while s holds a
 * line that has not gone out).  The caller keeps the rest for later.
 */
size_t lines_accept(struct lines *l, struct lines_source *s, const char *text, size_t n);

/* s's text so far should go out without waiting for its newline (a prompt). */
void lines_show(struct lines_source *s);

/* s has something to send (a whole line, or a piece to show). */
bool lines_ready(const struct lines_source *s);

/* Bytes s holds that have not gone out: 0 once all it took is queued. */
static inline size_t lines_held(const struct lines_source *s) { return s->used; }

/*
 * Queues what the sources have, a line (or piece) from each in turn,
 * starting after the one served last, while the queue has room.  Returns
 * the number of lines and pieces queued.
 */
unsigned lines_drain(struct lines *l, struct lines_source *const *sources, unsigned count);

/* Bytes queued for the UART. */
static inline uint32_t lines_queued(const struct lines *l) { return l->out_head - l->out_tail; }

/* Takes up to max queued bytes for the UART into dst; returns how many. */
size_t lines_take(struct lines *l, char *dst, size_t max);

/* s is going away: its open line, if any, is ended. */
void lines_forget(struct lines *l, struct lines_source *s);

#endif
