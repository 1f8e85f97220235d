/* Console lines: see lines.h. */
#include "lines.h"

#include <string.h>

#define CONTINUED "(continued): "   /* the name of a broken kernel-console line whose name was never seen */

void lines_init(struct lines *l) { memset(l, 0, sizeof(*l)); }

void lines_source_init(struct lines_source *s, const char *prefix)
{
    memset(s, 0, sizeof(*s));
    s->prefix = prefix;
    s->prefix_len = prefix ? strlen(prefix) : 0;
}

size_t lines_accept(struct lines *l, struct lines_source *s, const char *text, size_t n)
{
    size_t i = 0;
    while (i < n && !s->ended && s->used < LINES_TEXT) {
        unsigned char c = (unsigned char)text[i++];
        if (c == '\n') {
            s->ended = true;
            break;
        }
        if (c == '\r')
            continue;   /* line ends are the serial's: CR LF */
        if ((c < ' ' && c != '\t' && c != '\b') || c == 0x7f) {
            c = '?';
            l->sanitized++;
        }
        s->text[s->used++] = (char)c;
    }
    if (s->used == LINES_TEXT)
        s->show = true;   /* a line this long goes out in pieces */
    return i;
}

void lines_show(struct lines_source *s) { s->show = true; }

bool lines_ready(const struct lines_source *s) { return s->ended || (s->show && s->used); }

static uint32_t room(const struct lines *l) { return LINES_OUT - (l->out_head - l->out_tail); }

static void put(struct lines *l, char c) { l->out[l->out_head++ % LINES_OUT] = c; }

static void put_text(struct lines *l, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(l, text[i]);
}

/* The name a line of s starts with: its prefix, or for a prefix-less one after a break, the name it had. */
static size_t name_bytes(const struct lines_source *s)
{
    if (s->prefix)
        return s->prefix_len + 2;
    if (s->broken)
        return s->name_len ? s->name_len : sizeof(CONTINUED) - 1;
    return 0;
}

/* The most that sending s's text now can queue. */
static size_t need(const struct lines *l, const struct lines_source *s)
{
    size_t n = s->used + (s->ended ? 2 : 0);
    if (l->open && l->open != s)
        n += sizeof(LINES_MARKER) - 1 + 2;
    if (l->open != s)
        n += name_bytes(s);
    return n;
}

/* Ends the unfinished line of another writer so that s can have the wire. */
static void break_open_line(struct lines *l)
{
    put_text(l, LINES_MARKER "\r\n", sizeof(LINES_MARKER) - 1 + 2);
    l->open->broken = true;
    l->open = NULL;
    l->broken++;
}

static void start_line(struct lines *l, struct lines_source *s)
{
    l->backspace_room = 0;
    l->name_done = true;
    if (s->prefix) {
        put_text(l, s->prefix, s->prefix_len);
        put_text(l, ": ", 2);
    } else if (s->broken) {
        if (s->name_len)
            put_text(l, s->name, s->name_len);
        else
            put_text(l, CONTINUED, sizeof(CONTINUED) - 1);
    } else {
        s->name_len = 0;   /* a kernel-console line names itself: learn its name as it goes */
        l->name_done = false;
    }
    s->broken = false;
    l->open = s;
}

/* A prefix-less line's name is its text up to the first ": " (names have no spaces). */
static void learn_name(struct lines *l, struct lines_source *s, char c)
{
    if (s->name_len < sizeof(s->name))
        s->name[s->name_len++] = c;
    if (s->name_len >= 2 && s->name[s->name_len - 2] == ':' && s->name[s->name_len - 1] == ' ') {
        l->name_done = true;
    } else if (s->name_len == sizeof(s->name)) {
        s->name_len = 0;   /* no name where one would be: a break continues as CONTINUED */
        l->name_done = true;
    }
}

static void send(struct lines *l, struct lines_source *s)
{
    if (s->ended && !s->used && s->broken && l->open != s) {
        /* The newline of a line the serial broke, nothing after the break: no empty line for it. */
        s->broken = s->ended = s->show = false;
        return;
    }
    if (l->open && l->open != s)
        break_open_line(l);
    if (l->open != s)
        start_line(l, s);
    for (size_t i = 0; i < s->used; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c == '\b') {
            /* Only over the writer's own plain text: never over its name. */
            if (l->name_done && l->backspace_room) {
                put(l, (char)c);
                l->backspace_room--;
            } else {
                l->sanitized++;
            }
            continue;
        }
        put(l, (char)c);
        if (!l->name_done)
            learn_name(l, s, (char)c);
        else if (c < 0x80)
            l->backspace_room++;   /* a tab counts one: it is at least one column */
        else
            l->backspace_room = 0; /* UTF-8 may take fewer columns than bytes: no erasing behind it */
    }
    if (s->ended) {
        put_text(l, "\r\n", 2);
        l->lines++;
        l->open = NULL;
    }
    s->used = 0;
    s->ended = s->show = false;
}

unsigned lines_drain(struct lines *l, struct lines_source *const *sources, unsigned count)
{
    unsigned sent = 0;
    if (!count)
        return 0;
    for (;;) {
        unsigned k;
        for (k = 0; k < count; k++) {
            unsigned index = (l->next + k) % count;
            struct lines_source *s = sources[index];
            if (!lines_ready(s))
                continue;
            if (need(l, s) > room(l))
                return sent;   /* its turn: nobody overtakes it, and the queue drains meanwhile */
            send(l, s);
            sent++;
            l->next = (index + 1) % count;
            break;
        }
        if (k == count)
            return sent;
    }
}

size_t lines_take(struct lines *l, char *dst, size_t max)
{
    size_t n = 0;
    while (n < max && l->out_tail != l->out_head)
        dst[n++] = l->out[l->out_tail++ % LINES_OUT];
    return n;
}

void lines_forget(struct lines *l, struct lines_source *s)
{
    if (l->open == s) {
        if (room(l) >= 2)
            put_text(l, "\r\n", 2);
        l->open = NULL;
    }
    s->used = 0;
    s->ended = s->show = false;
}
