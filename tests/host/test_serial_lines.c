/*
 * Host tests of the serial's console lines (components/serial/lines.c):
 * several writers, one UART; each physical line one writer's, behind its
 * name; lines taken in turn; nothing that moves the cursor over another's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lines.h"

static struct lines l;
static struct lines_source kernel, shell, timer, flood;
static struct lines_source *const sources[] = { &kernel, &shell, &timer, &flood };
static char wire[16384];
static size_t wired;

static int reset(void **state)
{
    lines_init(&l);
    lines_source_init(&kernel, NULL);
    lines_source_init(&shell, "shell");
    lines_source_init(&timer, "timer");
    lines_source_init(&flood, "flood");
    wired = 0;
    wire[0] = 0;
    return 0;
}

/* Everything queued so far, as the UART would get it (CR LF turned into LF for readable checks). */
static const char *sent(void)
{
    char buf[LINES_OUT];
    size_t n;
    while ((n = lines_take(&l, buf, sizeof(buf))) != 0) {
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '\r') {
                assert_true(i + 1 < n && buf[i + 1] == '\n');   /* a CR only ever comes before its LF */
                continue;
            }
            assert_true(wired + 1 < sizeof(wire));
            wire[wired++] = buf[i];
        }
    }
    wire[wired] = 0;
    return wire;
}

/* Feeds all of text to s, draining whenever s cannot take more. */
static void feed(struct lines_source *s, const char *text)
{
    size_t n = strlen(text), done = 0;
    while (done < n) {
        size_t took = lines_accept(&l, s, text + done, n - done);
        done += took;
        if (!took || lines_ready(s))
            lines_drain(&l, sources, 4);
    }
}

static void drain(void) { lines_drain(&l, sources, 4); }

static void a_client_line_starts_with_its_name(void **state)
{
    feed(&shell, "hello\n");
    drain();
    assert_string_equal(sent(), "shell: hello\n");
    assert_int_equal(l.lines, 1);
}

static void kernel_console_lines_keep_their_own_names(void **state)
{
    feed(&kernel, "kernel: booting\nloader: all 3 components running\n");
    drain();
    assert_string_equal(sent(), "kernel: booting\nloader: all 3 components running\n");
}

/* A client's text that reads like another's line still comes behind its own name. */
static void a_client_cannot_print_a_line_of_another(void **state)
{
    feed(&shell, "x\nkernel: BUG\nloader: component 'timer' faulted\n");
    drain();
    assert_string_equal(sent(), "shell: x\nshell: kernel: BUG\nshell: loader: component 'timer' faulted\n");
}

/* A line goes out only once its newline comes: half lines of two writers never mix. */
static void half_lines_wait_for_their_end(void **state)
{
    feed(&shell, "one half ");
    feed(&timer, "tick ");
    drain();
    assert_string_equal(sent(), "");
    feed(&timer, "1\n");
    feed(&shell, "and the other\n");
    drain();
    assert_string_equal(sent(), "timer: tick 1\nshell: one half and the other\n");
}

/* Writers take turns, one line each: a flood does not hold the others back. */
static void writers_take_turns(void **state)
{
    /* Each source holds one line at a time; the caller feeds a line per source, then drains. */
    for (int round = 0; round < 3; round++) {
        char line[32];
        snprintf(line, sizeof(line), "flood %d\n", round);
        lines_accept(&l, &flood, line, strlen(line));
        snprintf(line, sizeof(line), "tick %d\n", round);
        lines_accept(&l, &timer, line, strlen(line));
        drain();
    }
    assert_string_equal(sent(), "timer: tick 0\nflood: flood 0\ntimer: tick 1\nflood: flood 1\ntimer: tick 2\n"
                                "flood: flood 2\n");
}

/* A line held by a source is not overwritten: accept takes nothing until it has gone out. */
static void a_held_line_takes_no_more(void **state)
{
    assert_int_equal(lines_accept(&l, &shell, "first\nsecond\n", 13), 6);
    assert_int_equal(lines_accept(&l, &shell, "second\n", 7), 0);
    drain();
    assert_int_equal(lines_accept(&l, &shell, "second\n", 7), 7);
    drain();
    assert_string_equal(sent(), "shell: first\nshell: second\n");
}

/* A prompt shows at once; the writer's next text continues its line while nobody else speaks. */
static void a_prompt_shows_and_continues(void **state)
{
    feed(&shell, "> ");
    lines_show(&shell);
    drain();
    assert_string_equal(sent(), "shell: > ");
    feed(&shell, "p");
    lines_show(&shell);
    drain();
    feed(&shell, "s\n");
    drain();
    assert_string_equal(sent(), "shell: > ps\n");
    assert_int_equal(l.broken, 0);
}

/* Another writer's line breaks an unfinished one with the marker; the rest comes behind the name again. */
static void another_line_breaks_an_unfinished_one(void **state)
{
    feed(&shell, "> ");
    lines_show(&shell);
    drain();
    feed(&timer, "tick\n");
    drain();
    feed(&shell, "ps\n");
    drain();
    assert_string_equal(sent(), "shell: > " LINES_MARKER "\ntimer: tick\nshell: ps\n");
    assert_int_equal(l.broken, 1);
}

/* The same for a kernel-console line: its name, learnt from its start, comes again. */
static void a_broken_kernel_line_continues_behind_its_name(void **state)
{
    feed(&kernel, "greeter: waiting for ");
    lines_show(&kernel);
    drain();
    feed(&shell, "hi\n");
    drain();
    feed(&kernel, "kernel: fake\n");   /* the rest of greeter's line: it cannot pass for the kernel's */
    drain();
    assert_string_equal(sent(), "greeter: waiting for " LINES_MARKER "\nshell: hi\ngreeter: kernel: fake\n");
}

/* A kernel-console line broken before its name was seen continues as "(continued)". */
static void a_kernel_line_without_a_name_continues_as_continued(void **state)
{
    char nameless[80];
    memset(nameless, 'x', sizeof(nameless) - 1);
    nameless[sizeof(nameless) - 1] = 0;
    feed(&kernel, nameless);
    lines_show(&kernel);
    drain();
    feed(&shell, "hi\n");
    drain();
    feed(&kernel, "kernel: fake\n");
    drain();
    const char *s = sent();
    assert_non_null(strstr(s, LINES_MARKER "\nshell: hi\n(continued): kernel: fake\n"));
}

/* A newline right after a break makes no empty line. */
static void a_newline_after_a_break_makes_no_empty_line(void **state)
{
    feed(&shell, "> ");
    lines_show(&shell);
    drain();
    feed(&timer, "tick\n");
    drain();
    feed(&shell, "\n");
    drain();
    feed(&shell, "next\n");
    drain();
    assert_string_equal(sent(), "shell: > " LINES_MARKER "\ntimer: tick\nshell: next\n");
}

/* A line longer than the serial holds goes out in pieces, on one physical line while nobody interrupts. */
static void a_long_line_goes_out_in_pieces(void **state)
{
    char text[400 + 2];
    for (int i = 0; i < 400; i++)
        text[i] = (char)('a' + i % 26);
    text[400] = '\n';
    text[401] = 0;
    feed(&shell, text);
    drain();
    const char *s = sent();
    assert_int_equal(strlen(s), 7 + 400 + 1);
    assert_memory_equal(s, "shell: ", 7);
    assert_memory_equal(s + 7, text, 401);
}

/* Control bytes cannot move the cursor: CR is dropped, escapes become '?'. */
static void control_bytes_are_made_harmless(void **state)
{
    feed(&shell, "a\rkernel: fake\x1b[2K\x7f\n");
    drain();
    assert_string_equal(sent(), "shell: akernel: fake?[2K?\n");
    assert_int_equal(l.sanitized, 2);
}

/* Backspaces erase the writer's own text, never its name. */
static void backspaces_stop_at_the_name(void **state)
{
    feed(&shell, "ab\b\b\b\b\bc\n");
    drain();
    assert_string_equal(sent(), "shell: ab\b\bc\n");
    assert_int_equal(l.sanitized, 3);
}

/* Nor the name of a kernel-console line, nor past UTF-8 (which may take fewer columns than bytes). */
static void backspaces_stop_at_a_kernel_name_and_utf8(void **state)
{
    feed(&kernel, "greeter: x\b\b\b\n");
    drain();
    feed(&kernel, "gr\beeter: \xc3\xa9\b\b\n");
    drain();
    assert_string_equal(sent(), "greeter: x\b\ngreeter: \xc3\xa9\n");
    assert_int_equal(l.sanitized, 5);
}

/* A full queue holds the next line back (its turn stays), and it goes out once there is room. */
static void a_full_queue_holds_lines_back(void **state)
{
    char line[LINES_TEXT];
    memset(line, 'y', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    unsigned fitted = 0;
    for (;;) {
        assert_int_equal(lines_accept(&l, &flood, line, sizeof(line)), sizeof(line));
        if (!lines_drain(&l, sources, 4))
            break;
        fitted++;
    }
    assert_true(lines_queued(&l) > LINES_OUT - (7 + LINES_TEXT + 2));
    assert_true(lines_ready(&flood));
    assert_int_equal(fitted, LINES_OUT / (7 + LINES_TEXT - 1 + 2));
    char buf[512];
    lines_take(&l, buf, sizeof(buf));
    assert_int_equal(lines_drain(&l, sources, 4), 1);
}

/* A client that goes away ends its unfinished line. */
static void a_forgotten_source_ends_its_line(void **state)
{
    feed(&shell, "> ");
    lines_show(&shell);
    drain();
    lines_forget(&l, &shell);
    feed(&timer, "tick\n");
    drain();
    assert_string_equal(sent(), "shell: > \ntimer: tick\n");
    assert_int_equal(l.broken, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_client_line_starts_with_its_name, reset),
        cmocka_unit_test_setup(kernel_console_lines_keep_their_own_names, reset),
        cmocka_unit_test_setup(a_client_cannot_print_a_line_of_another, reset),
        cmocka_unit_test_setup(half_lines_wait_for_their_end, reset),
        cmocka_unit_test_setup(writers_take_turns, reset),
        cmocka_unit_test_setup(a_held_line_takes_no_more, reset),
        cmocka_unit_test_setup(a_prompt_shows_and_continues, reset),
        cmocka_unit_test_setup(another_line_breaks_an_unfinished_one, reset),
        cmocka_unit_test_setup(a_broken_kernel_line_continues_behind_its_name, reset),
        cmocka_unit_test_setup(a_kernel_line_without_a_name_continues_as_continued, reset),
        cmocka_unit_test_setup(a_newline_after_a_break_makes_no_empty_line, reset),
        cmocka_unit_test_setup(a_long_line_goes_out_in_pieces, reset),
        cmocka_unit_test_setup(control_bytes_are_made_harmless, reset),
        cmocka_unit_test_setup(backspaces_stop_at_the_name, reset),
        cmocka_unit_test_setup(backspaces_stop_at_a_kernel_name_and_utf8, reset),
        cmocka_unit_test_setup(a_full_queue_holds_lines_back, reset),
        cmocka_unit_test_setup(a_forgotten_source_ends_its_line, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
