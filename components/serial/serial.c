/*
 * The serial driver: the system's console on an ns16550a (README.md).
 *
 * Output has sources: the kernel's console (what the kernel, the loader
 * and DebugPutString print, read through IRQ line 0) and each client's
 * console ring.  lines.c turns them into whole lines behind their writer's
 * name, one line per source in turn, into a queue; the transmitter-empty
 * interrupt moves the queue into the UART's 16-byte FIFO.  Input: the
 * receive interrupt drains the FIFO into a buffer, and the input client's
 * read requests take it from there.
 *
 * Everything happens in pump(), which each event (the UART's interrupt,
 * the kernel's console line, a ring) ends with: read the kernel, take
 * chunks from the clients, make lines, fill the FIFO, answer reads, and
 * answer syncs (and a waiting halt) once what they wait for is on the wire.
 */
#include <component.h>

#include "lines.h"
#include "uart.h"

#include <sel/loop.h>
#include <stdio.h>
#include <string.h>

/* The console's clients: every other component (codegen connects them), numbered 0..CONSOLE_CLIENTS-1. */
#define MAX_CLIENTS (CONSOLE_CLIENTS > 0 ? CONSOLE_CLIENTS : 1)
static unsigned num_clients = CONSOLE_CLIENTS;   /* a variable: 0 clients must not make loops warn */

static bool client_request(unsigned client, console_chunk_t *chunk, uint64_t *tag)
{
    return console_request_from(client, chunk, tag);
}

static bool client_answer(unsigned client, const console_done_t *done, uint64_t tag)
{
    return console_complete_to(client, done, tag);
}

/* ---- state ---------------------------------------------------------------------------------- */

static volatile uint8_t *uart;
static uint8_t ier;                       /* what IER holds */
static bool tx_busy;                      /* bytes are in the FIFO: a transmitter-empty interrupt will come */

static struct lines lines;
static struct lines_source kernel_source;

/* The kernel's console: read into a staging buffer, fed to kernel_source from there. */
#define STAGING_BYTES 2048
static char staging[STAGING_BYTES];
static uint32_t staging_head, staging_tail;
static bool kernel_unread;                /* the line fired; read until the kernel has nothing, then ack */
static bool halt_pending;                 /* the kernel waits to halt until everything is sent */

/*
 * A console client: the chunks it sent that are not answered yet, oldest
 * first.  A chunk is answered once its text is in a line (a sync chunk:
 * once what came before it is on the wire), so the chunks a client has
 * here are its unanswered ones, at most its ring's entries; beyond
 * CLIENT_CHUNKS (more than an honest client can have) they are refused.
 */
#define CLIENT_CHUNKS 64
struct client {
    struct lines_source source;
    console_chunk_t chunks[CLIENT_CHUNKS];
    uint64_t tags[CLIENT_CHUNKS];
    unsigned head, count;
    size_t offset;                        /* of the oldest chunk's text, taken so far */
    bool taken;                           /* the oldest chunk's text is all taken (its answer is owed) */
    bool sync_queued;                     /* the oldest, a sync: the lines before it are queued, up to sync_at */
    uint32_t sync_at;
    uint64_t refused;
    bool blocked;                         /* an answer did not fit its completion ring: wait for the callback */
    bool warned;
};
static struct client clients[MAX_CLIENTS];
static struct lines_source *sources[1 + MAX_CLIENTS];
static unsigned num_sources;

/* Input: what was received and not yet read, and the client's read requests. */
#define RX_BYTES 256
static char rx[RX_BYTES];
static uint32_t rx_head, rx_tail, rx_unreported;
#define MAX_READS 64
static struct {
    uint64_t tag;
    uint32_t room;
} reads[MAX_READS];
static unsigned reads_head, reads_count;

static serial_info_counters_t counters;

/* ---- the UART ----------------------------------------------------------------------------------- */

static uint8_t reg_read(unsigned reg) { return uart[reg]; }
static void reg_write(unsigned reg, uint8_t value) { uart[reg] = value; }

static void set_ier(uint8_t value)
{
    if (value != ier) {
        ier = value;
        reg_write(UART_IER, value);
    }
}

/*
 * The FIFO is empty (or we were told so by its interrupt): up to 16 queued
 * bytes into it.  With bytes in it, the transmitter-empty interrupt is
 * wanted; with none left anywhere, it is off.
 */
static void tx_fill(void)
{
    if (!(reg_read(UART_LSR) & UART_LSR_THRE)) {
        tx_busy = true;   /* still sending: the interrupt comes when it is empty */
        set_ier(ier | UART_IER_THRI);
        return;
    }
    /*
     * 16 bytes while the FIFO says it is empty.  A UART at its baud rate
     * takes a while to send them; QEMU's sends them at once, and the next
     * 16 go without an interrupt (bounded: the queue's worth at most).
     */
    char bytes[UART_FIFO_BYTES];
    size_t n = 0, sent = 0;
    do {
        n = lines_take(&lines, bytes, sizeof(bytes));
        for (size_t i = 0; i < n; i++)
            reg_write(UART_THR, (uint8_t)bytes[i]);
        sent += n;
    } while (n && sent < LINES_OUT && (reg_read(UART_LSR) & UART_LSR_THRE));
    counters.tx_bytes += sent;
    tx_busy = sent != 0;
    set_ier(tx_busy ? ier | UART_IER_THRI : ier & ~UART_IER_THRI);
}

static void rx_drain(void)
{
    for (unsigned guard = 0; guard < 4 * UART_FIFO_BYTES; guard++) {
        uint8_t lsr = reg_read(UART_LSR);
        if (lsr & UART_LSR_OE) {
            counters.rx_dropped++;   /* the UART lost at least one byte */
            rx_unreported++;
        }
        if (!(lsr & UART_LSR_DR))
            return;
        char c = (char)reg_read(UART_RBR);
        counters.rx_bytes++;
        if (rx_head - rx_tail == RX_BYTES) {
            counters.rx_dropped++;
            rx_unreported++;
            continue;
        }
        rx[rx_head++ % RX_BYTES] = c;
    }
}

/* ---- the kernel's console ----------------------------------------------------------------------- */

static uint32_t staging_room(void) { return STAGING_BYTES - (staging_head - staging_tail); }

static void kernel_read(void)
{
    static char text[SEL_CONSOLE_READ_MAX];
    while (kernel_unread && staging_room() >= SEL_CONSOLE_READ_MAX) {
        sel_console_read_t r;
        sel_error_t err = kernel_console_read(false, text, &r);
        if (err) {
            printf("cannot read the kernel's console: error %d\n", err);
            kernel_unread = false;
            return;
        }
        for (size_t i = 0; i < r.bytes; i++)
            staging[staging_head++ % STAGING_BYTES] = text[i];
        counters.kernel_bytes += r.bytes;
        halt_pending = r.flags & SEL_CONSOLE_HALT_PENDING;
        if (r.lost) {
            counters.kernel_lost += r.lost;
            printf("the kernel dropped %lu bytes of its console output (its buffer was full)\n",
                   (unsigned long)r.lost);
        }
        if (r.waiting == 0) {
            kernel_unread = false;
            kernel_console_irq_ack();   /* fires again at once if something came meanwhile */
        }
    }
}

static void kernel_feed(void)
{
    while (staging_tail != staging_head) {
        /* Hand the contiguous part; lines_accept stops at a newline or when it holds a line. */
        uint32_t at = staging_tail % STAGING_BYTES;
        uint32_t n = staging_head - staging_tail;
        if (n > STAGING_BYTES - at)
            n = STAGING_BYTES - at;
        size_t took = lines_accept(&lines, &kernel_source, staging + at, n);
        staging_tail += took;
        if (!took)
            return;   /* it holds a line that has not gone out */
    }
    /* All the kernel gave is taken: what does not end a line is a prompt or a piece, shown now. */
    if (!kernel_unread)
        lines_show(&kernel_source);
}

void kernel_console_irq(void)
{
    kernel_unread = true;
}

/* ---- clients ----------------------------------------------------------------------------------------- */

/*
 * Answers a client's chunks that can be answered, oldest first, and takes
 * their text into its line.  False if an answer did not fit its completion
 * ring (tried again later).
 */
static bool client_feed(unsigned i)
{
    struct client *c = &clients[i];
    while (c->count) {
        console_chunk_t *chunk = &c->chunks[c->head];
        if (!c->taken) {
            if (c->offset == 0 && chunk->dropped) {
                counters.client_dropped += chunk->dropped;
                printf("console client '%s' dropped %lu bytes of its output (it was out of credit)\n",
                       console_client_name(i), (unsigned long)chunk->dropped);
            }
            size_t left = chunk->length - c->offset;
            size_t took = lines_accept(&lines, &c->source, (const char *)chunk->text + c->offset, left);
            c->offset += took;
            if (took < left)
                return true;   /* it holds a line that has not gone out: the rest waits */
            c->taken = true;
            c->sync_queued = false;
            if (chunk->partial || chunk->sync)
                lines_show(&c->source);
        }
        console_done_t done = { .status = CONSOLE_DONE_STATUS_TAKEN, .tx_bytes = counters.tx_bytes };
        if (chunk->sync) {
            /* On the wire: its text and everything before it out of the queue, and the FIFO empty. */
            if (!c->sync_queued) {
                if (lines_held(&c->source))
                    return true;
                c->sync_queued = true;
                c->sync_at = lines.out_head;
            }
            if ((int32_t)(lines.out_tail - c->sync_at) < 0 || tx_busy)
                return true;
            done.status = CONSOLE_DONE_STATUS_SENT;
        }
        if (!client_answer(i, &done, c->tags[c->head]))
            return false;
        c->head = (c->head + 1) % CLIENT_CHUNKS;
        c->count--;
        c->offset = 0;
        c->taken = false;
    }
    return true;
}

/*
 * A client's requests: each chunk waits here for its answer.  The ring is
 * always emptied, so the loop never spins on a ring it cannot serve.
 */

void console_callback(void)
{
    for (unsigned i = 0; i < num_clients; i++) {
        struct client *c = &clients[i];
        console_chunk_t chunk;
        uint64_t tag;
        while (client_request(i, &chunk, &tag)) {
            if (chunk.length > sizeof(chunk.text)) {
                if (!c->warned)
                    printf("console client '%s' sent a chunk of %u bytes; at most %u fit: it is cut\n",
                           console_client_name(i), chunk.length, (unsigned)sizeof(chunk.text));
                c->warned = true;
                chunk.length = sizeof(chunk.text);
            }
            if (c->count == CLIENT_CHUNKS) {
                c->refused++;
                counters.client_dropped += chunk.length;
                console_done_t refused = { .status = CONSOLE_DONE_STATUS_REFUSED, .tx_bytes = counters.tx_bytes };
                client_answer(i, &refused, tag);   /* a client this far out of credit may miss it */
                continue;
            }
            unsigned at = (c->head + c->count++) % CLIENT_CHUNKS;
            c->chunks[at] = chunk;
            c->tags[at] = tag;
        }
    }
    /* The glue calls us once a ring whose completion was refused has room (or requests came): try again. */
    for (unsigned i = 0; i < num_clients; i++)
        clients[i].blocked = false;
}

/* ---- input --------------------------------------------------------------------------------------------- */

/* An answer did not fit the input client's completion ring: the glue calls input_callback once it has room. */
static bool input_blocked;

static void input_deliver(void);

void input_callback(void)
{
    console_input_read_t req;
    uint64_t tag;
    while (reads_count < MAX_READS && input_request(&req, &tag)) {
        if (req.room == 0 || req.room > sizeof(((console_input_typed_t *)0)->text)) {
            console_input_typed_t bad = { .length = 0, .status = CONSOLE_INPUT_INPUT_STATUS_INVALID };
            input_complete(&bad, tag);
            continue;
        }
        unsigned at = (reads_head + reads_count++) % MAX_READS;
        reads[at].tag = tag;
        reads[at].room = req.room;
    }
    input_blocked = false;   /* the glue calls us when the completion ring has room */
    input_deliver();         /* what was typed before the read came */
}

static void input_deliver(void)
{
    bool sent = false;
    while (reads_count && rx_head != rx_tail) {
        console_input_typed_t typed = { .status = CONSOLE_INPUT_INPUT_STATUS_OK, .dropped = rx_unreported };
        uint32_t room = reads[reads_head].room;
        while (typed.length < room && rx_tail != rx_head)
            typed.text[typed.length++] = (uint8_t)rx[rx_tail++ % RX_BYTES];
        if (!input_complete(&typed, reads[reads_head].tag)) {
            rx_tail -= typed.length;   /* its completion ring is full: the bytes wait */
            input_blocked = true;
            break;
        }
        rx_unreported = 0;
        reads_head = (reads_head + 1) % MAX_READS;
        reads_count--;
        sent = true;
    }
    if (sent)
        input_flush();
}

/* ---- the pump -------------------------------------------------------------------------------------------- */

static void pump(void)
{
    for (int round = 0; round < 64; round++) {
        kernel_read();
        kernel_feed();
        for (unsigned i = 0; i < num_clients; i++)
            if (!clients[i].blocked && !client_feed(i))
                clients[i].blocked = true;
        unsigned made = lines_drain(&lines, sources, num_sources);
        if (!tx_busy)
            tx_fill();
        if (!made)
            break;
    }
    console_flush();
    input_deliver();
    /* A halt waits until everything the kernel gave us is on the wire: then say we are idle. */
    if (halt_pending && !tx_busy && !lines_queued(&lines) && staging_tail == staging_head &&
        !lines_held(&kernel_source) && !kernel_unread) {
        static char text[SEL_CONSOLE_READ_MAX];
        sel_console_read_t r;
        if (kernel_console_read(true, text, &r) == SEL_NO_ERROR && r.bytes) {
            /* More came after all: it goes out first (the read has taken it). */
            for (size_t i = 0; i < r.bytes; i++)
                staging[staging_head++ % STAGING_BYTES] = text[i];
            counters.kernel_bytes += r.bytes;
            pump();
        }
    }
}

void serial_irq(void)
{
    for (unsigned guard = 0; guard < 8; guard++) {
        uint8_t iir = reg_read(UART_IIR);
        if (iir & UART_IIR_NONE)
            break;
        switch (iir & UART_IIR_ID) {
        case UART_IIR_RLSI:
            (void)reg_read(UART_LSR);   /* rx_drain counts an overrun it shows */
            rx_drain();
            break;
        case UART_IIR_RDI:
        case UART_IIR_TIMEOUT:
            counters.rx_interrupts++;
            rx_drain();
            break;
        case UART_IIR_THRI:
            counters.tx_interrupts++;
            tx_busy = false;   /* the FIFO is empty */
            break;
        default:
            (void)reg_read(UART_MSR);
            break;
        }
    }
    serial_irq_ack();
    pump();
}

/* Runs after every loop turn's callbacks: a ring or the kernel line may have brought work. */
static sel_loop_source_t pump_source;

/*
 * Work for pump() that no callback brings: the kernel's console to read
 * (its staging had no room), lines to make, the FIFO to fill, answers
 * owed.  A client whose answer did not fit its completion ring waits
 * for console_callback(), which the glue calls once that ring has room,
 * so this never spins on a full ring.
 */
static bool pump_ready(void *ctx)
{
    (void)ctx;
    if (kernel_unread && staging_room() >= SEL_CONSOLE_READ_MAX)
        return true;
    if (!tx_busy && lines_queued(&lines))
        return true;
    bool room = lines_queued(&lines) <= LINES_OUT - (LINES_NAME + LINES_TEXT + 8);
    if (room && staging_tail != staging_head && !lines_ready(&kernel_source))
        return true;
    for (unsigned i = 0; i < num_sources; i++)
        if (room && lines_ready(sources[i]))
            return true;
    if (reads_count && rx_head != rx_tail && !input_blocked)
        return true;   /* typed bytes for a waiting read */
    for (unsigned i = 0; i < num_clients; i++) {
        const struct client *c = &clients[i];
        if (!c->count || c->blocked)
            continue;
        if (!c->taken) {
            if (!lines_ready(&c->source))
                return true;   /* its line has room for more of the chunk */
            continue;
        }
        if (!c->chunks[c->head].sync)
            return true;       /* its answer is owed */
        if (!lines_held(&c->source) && !lines_queued(&lines) && !tx_busy)
            return true;       /* a sync whose text is on the wire */
    }
    return false;
}

static void pump_run(void *ctx)
{
    (void)ctx;
    pump();
}

static bool pump_arm(void *ctx) { return !pump_ready(ctx); }
static void pump_disarm(void *ctx) { (void)ctx; }

/* ---- counters ---------------------------------------------------------------------------------------------- */

void info_status(serial_info_counters_t *out)
{
    *out = counters;
    out->lines = lines.lines;
    out->lines_broken = lines.broken;
    out->sanitized = lines.sanitized;
    out->clients = CONSOLE_CLIENTS;
    out->tx_queued = lines_queued(&lines);
}

/* ---- start -------------------------------------------------------------------------------------------------- */

void init(void)
{
    uart = (volatile uint8_t *)serial_regs;
    lines_init(&lines);
    lines_source_init(&kernel_source, NULL);
    sources[num_sources++] = &kernel_source;
    for (unsigned i = 0; i < num_clients; i++) {
        lines_source_init(&clients[i].source, console_client_name(i));
        sources[num_sources++] = &clients[i].source;
    }
    reg_write(UART_IER, 0);
    reg_write(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX | UART_FCR_TRIGGER_1);
    reg_write(UART_LCR, UART_LCR_8N1);   /* the divisor stays as the firmware set it */
    reg_write(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    bool fifos = (reg_read(UART_IIR) & UART_IIR_FIFOS) == UART_IIR_FIFOS;
    rx_drain();   /* anything typed before we started */
    ier = 0;
    set_ier(UART_IER_RDI | UART_IER_RLSI);
    pump_source = (sel_loop_source_t){ .ready = pump_ready, .run = pump_run, .arm = pump_arm,
                                       .disarm = pump_disarm };
    sel_loop_add_source(component_loop(), &pump_source);
    printf("ns16550a UART, %s; the console of the kernel and %u client%s\n",
           fifos ? "16-byte FIFOs on" : "no FIFOs (not a 16550A)", CONSOLE_CLIENTS, CONSOLE_CLIENTS == 1 ? "" : "s");
    kernel_unread = true;   /* what the kernel printed before we started */
    pump();
}
