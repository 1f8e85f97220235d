/*
 * The serial through the harness: the driver writes to the console ring
 * (through libsel's writer, as a component's stdout does, and chunk by
 * chunk), reads what the host types (tests/components/serial/typing), and
 * reads the counters.  What came out of the UART is checked from the host
 * (check): each line behind its writer's name, in order.
 */
#include "../harness.h"

#include <sel/console.h>
#include <sel/syscall.h>
#include <string.h>

_Static_assert(sizeof(console_chunk_t) == sizeof(struct sel_console_chunk), "idl/console.yaml is sel/console.h");
_Static_assert(sizeof(console_done_t) == sizeof(struct sel_console_done), "idl/console.yaml is sel/console.h");

static bool port_submit(const struct sel_console_chunk *chunk, uint64_t tag)
{
    return console_submit((const console_chunk_t *)chunk, tag);
}

static bool port_completion(struct sel_console_done *done, uint64_t *tag)
{
    return console_completion((console_done_t *)done, tag);
}

static const sel_console_port_t port = {
    .submit = port_submit, .completion = port_completion, .flush = console_flush, .wait = console_wait,
    .credit = 16,
};
static sel_console_writer_t writer;

static void say(const char *text) { sel_console_write(&writer, text, strlen(text)); }

static sel_word_t now(void)
{
    sel_word_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

TEST(a_line_comes_out_behind_the_clients_name)
{
    sel_console_writer_init(&writer, &port, false);
    serial_info_counters_t before, after;
    info_status(&before);
    say("serial test: one line through the ring\n");
    sel_console_flush(&writer, true);   /* returns once it is on the wire */
    info_status(&after);
    CHECK_EQ(after.lines - before.lines, 1);
    CHECK_EQ(after.tx_queued, 0);
    CHECK_EQ(writer.chunks, 2);   /* the line, and the sync after it */
    CHECK_EQ(writer.unanswered, 0);
    CHECK_EQ(writer.refused, 0);
    CHECK_EQ(after.clients, 1);
}

/* check: "driver: prompt> \", then the kernel console's line, then "driver: the rest". */
TEST(an_unfinished_line_is_broken_by_another_writers)
{
    serial_info_counters_t before, after;
    info_status(&before);
    say("prompt> ");
    sel_console_flush(&writer, false);   /* partial: shows now */
    printf("a line through the kernel while the prompt is open\n");
    say("the rest of the prompt's line\n");
    sel_console_flush(&writer, true);
    info_status(&after);
    CHECK_EQ(after.lines_broken - before.lines_broken, 1);
}

/* check: the long line whole on one line, the control bytes made harmless. */
TEST(long_lines_and_control_bytes)
{
    static char line[301];
    for (int i = 0; i < 300; i++)
        line[i] = (char)('a' + i % 26);
    serial_info_counters_t before, after;
    info_status(&before);
    say("long: ");
    say(line);
    say("\n");
    say("controls: \r\x1b[2Jkernel: fake\x07\n");
    sel_console_flush(&writer, true);
    info_status(&after);
    CHECK_EQ(after.sanitized - before.sanitized, 2);   /* ESC and BEL; the CR is dropped */
    CHECK_EQ(after.lines - before.lines, 2);
}

/* More chunks unanswered than a writer may have: those past the serial's 64 are refused, counted. */
TEST(a_client_out_of_credit_is_refused)
{
    serial_info_counters_t before, after;
    info_status(&before);
    console_chunk_t chunk = { .length = 56 };
    memset(chunk.text, 'r', sizeof(chunk.text));
    for (unsigned i = 0; i < 100; i++)
        CHECK(console_submit(&chunk, 1000 + i));
    console_flush();   /* all at once: the serial sees 100 */
    unsigned answers = 0, refused = 0;
    sel_word_t deadline = now() + 10 * 10000000ull;
    while (answers < 100 && now() < deadline) {
        console_done_t done;
        uint64_t tag;
        if (!console_completion(&done, &tag)) {
            sel_yield();
            continue;
        }
        CHECK(tag >= 1000 && tag < 1100);
        answers++;
        if (done.status == CONSOLE_DONE_STATUS_REFUSED)
            refused++;
        else
            CHECK_EQ(done.status, CONSOLE_DONE_STATUS_TAKEN);
    }
    CHECK_EQ(answers, 100);
    CHECK_EQ(refused, 36);
    say("\n");   /* ends the line of r's */
    sel_console_flush(&writer, true);
    info_status(&after);
    CHECK_EQ(after.client_dropped - before.client_dropped, 36 * 56);
}

/* Typed before any read waits: the serial keeps it, and the read that comes later gets it. */
TEST(typed_input_waits_for_a_read)
{
    serial_info_counters_t before, now_;
    info_status(&before);
    printf("type before the read\n");
    sel_word_t deadline = now() + 60 * 10000000ull;
    do {
        sel_yield();
        info_status(&now_);
    } while (now_.rx_bytes - before.rx_bytes < 6 && now() < deadline);
    CHECK_EQ(now_.rx_bytes - before.rx_bytes, 6);
    console_input_read_t read = { .room = 56 };
    CHECK(input_submit(&read, 700));
    input_flush();
    console_input_typed_t typed;
    uint64_t tag;
    deadline = now() + 10 * 10000000ull;
    bool got = false;
    while (!got && now() < deadline) {
        got = input_completion(&typed, &tag);
        if (!got)
            sel_yield();
    }
    CHECK(got);
    CHECK_EQ(tag, 700);
    CHECK_EQ(typed.length, 6);
    CHECK(memcmp(typed.text, "early\r", 6) == 0);
}

/* The host types "hello serial" and Enter once it sees "driver: type now"; it arrives as typed. */
TEST(typed_input_reaches_the_input_client)
{
    console_input_read_t read = { .room = 56 };
    for (unsigned i = 0; i < 16; i++)   /* enough for a byte each */
        CHECK(input_submit(&read, 1 + i));
    input_flush();
    printf("type now\n");
    static char got[128];
    size_t n = 0;
    uint64_t expected_tag = 1;
    sel_word_t deadline = now() + 60 * 10000000ull;   /* the host types when it sees the line: allow a slow host */
    while (n < 13 && now() < deadline) {
        console_input_typed_t typed;
        uint64_t tag;
        if (!input_completion(&typed, &tag)) {
            sel_yield();
            continue;
        }
        CHECK_EQ(tag, expected_tag++);   /* the oldest read first */
        CHECK_EQ(typed.status, CONSOLE_INPUT_INPUT_STATUS_OK);
        CHECK(typed.length > 0 && typed.length <= 56);
        CHECK_EQ(typed.dropped, 0);
        memcpy(got + n, typed.text, typed.length);
        n += typed.length;
    }
    CHECK_EQ(n, 13);
    CHECK(memcmp(got, "hello serial\r", 13) == 0);
    /* Echo it back through the console ring: check finds it behind the driver's name. */
    got[12] = 0;
    say("typed: ");
    say(got);
    say("\n");
    sel_console_flush(&writer, true);
}

TEST(bad_read_requests_are_answered_invalid)
{
    /* Collect what earlier reads left unanswered first: their answers would come when the host types. */
    console_input_read_t zero = { .room = 0 }, big = { .room = 57 };
    CHECK(input_submit(&zero, 500));
    CHECK(input_submit(&big, 501));
    input_flush();
    unsigned bad = 0;
    sel_word_t deadline = now() + 10 * 10000000ull;
    while (bad < 2 && now() < deadline) {
        console_input_typed_t typed;
        uint64_t tag;
        if (!input_completion(&typed, &tag)) {
            sel_yield();
            continue;
        }
        if (tag < 500)
            continue;   /* an earlier read (none should be answered: nothing more is typed) */
        CHECK_EQ(tag, 500 + bad);
        CHECK_EQ(typed.status, CONSOLE_INPUT_INPUT_STATUS_INVALID);
        CHECK_EQ(typed.length, 0);
        bad++;
    }
    CHECK_EQ(bad, 2);
}

/*
 * What a line costs, everything on the driver's and the serial's hart
 * counted (both programs, the kernel, the UART's interrupts), idle
 * excluded: through the console ring, and through the kernel's console.
 * Exact only under -icount (README.md says how it was measured); printed,
 * not checked.
 */
TEST(what_a_line_costs)
{
    enum { LINES = 20 };
    sel_cpu_time_t a = { 0 }, b = { 0 }, c = { 0 };
    CHECK_EQ(sel_debug_cpu_time(0, COMPONENT_HART, &a), SEL_NO_ERROR);
    for (int i = 0; i < LINES; i++)
        say("cost: forty bytes of text in one line...\n");
    sel_console_flush(&writer, true);
    CHECK_EQ(sel_debug_cpu_time(0, COMPONENT_HART, &b), SEL_NO_ERROR);
    for (int i = 0; i < LINES; i++)
        printf("cost: forty bytes of text in one line...\n");
    sel_console_flush(&writer, true);   /* its answer waits for the kernel's lines queued before it */
    CHECK_EQ(sel_debug_cpu_time(0, COMPONENT_HART, &c), SEL_NO_ERROR);
    sel_word_t ring = (b.at - a.at) - (b.idle - a.idle), kernel = (c.at - b.at) - (c.idle - b.idle);
    printf("busy instructions per 48-byte line: %lu through the console ring, %lu through the kernel's console\n",
           (unsigned long)(ring / LINES), (unsigned long)(kernel / LINES));
}

TEST(counters_say_what_happened)
{
    serial_info_counters_t c;
    info_status(&c);
    CHECK(c.tx_bytes > 1000);
    CHECK(c.kernel_bytes > 100);     /* the driver's own results come through the kernel's console */
    CHECK(c.lines > 5);
    CHECK(c.tx_interrupts > 10);     /* 16 bytes per interrupt */
    CHECK(c.rx_bytes >= 13);
    CHECK(c.rx_interrupts >= 1);
    CHECK_EQ(c.rx_dropped, 0);
    CHECK_EQ(c.kernel_lost, 0);
    printf("serial counters: %lu bytes sent in %lu interrupts, %lu lines (%lu broken), %lu bytes from the kernel\n",
           (unsigned long)c.tx_bytes, (unsigned long)c.tx_interrupts, (unsigned long)c.lines,
           (unsigned long)c.lines_broken, (unsigned long)c.kernel_bytes);
}
