/* Host tests of the console's lines (kernel/core/console.c): every line has one writer, behind its prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/console.h>

static char out[1024];
static size_t used;

static void put(char c)
{
    assert_true(used + 1 < sizeof(out));
    out[used++] = c;
    out[used] = 0;
}

static struct console_lines lines;
static const char kernel, loader, client_main, client_server, server;

static int reset(void **state)
{
    memset(&lines, 0, sizeof(lines));
    used = 0;
    out[0] = 0;
    return 0;
}

static void write_as(const void *writer, const char *prefix, const char *text)
{
    console_lines_write(&lines, writer, prefix, prefix ? strlen(prefix) : 0, text, strlen(text), put);
}

static void a_component_line_starts_with_its_name(void **state)
{
    write_as(&client_main, "client", "rpc works\n");
    assert_string_equal(out, "client: rpc works\n");
}

/* The line a component prints to look like the kernel's or the loader's still starts with its own name. */
static void a_component_cannot_print_a_kernel_or_loader_line(void **state)
{
    write_as(&client_main, "client", "kernel: thread 'x' halted the machine\nloader: all 3 components running\n");
    assert_string_equal(out, "client: kernel: thread 'x' halted the machine\nclient: loader: all 3 components running\n");
}

/* A newline inside a string starts a new prefixed line; the prefix comes once the next character does. */
static void each_line_of_a_string_is_prefixed(void **state)
{
    write_as(&client_main, "client", "one\ntwo\n\nthree");
    assert_string_equal(out, "client: one\nclient: two\nclient: \nclient: three");
    write_as(&client_main, "client", " continued\n");
    assert_string_equal(out, "client: one\nclient: two\nclient: \nclient: three continued\n");
}

/* Character by character (DebugPutChar) comes out the same as a whole string. */
static void characters_one_by_one_make_the_same_lines(void **state)
{
    const char *text = "ab\ncd\n";
    for (const char *c = text; *c; c++)
        console_lines_write(&lines, &server, "server", 6, c, 1, put);
    assert_string_equal(out, "server: ab\nserver: cd\n");
}

/* Root-task writers (the loader, the kernel) print as they are. */
static void root_task_and_kernel_lines_have_no_prefix(void **state)
{
    write_as(&loader, NULL, "loader: system 'demo'\n");
    write_as(&kernel, NULL, "kernel: booting\n");
    assert_string_equal(out, "loader: system 'demo'\nkernel: booting\n");
}

/* Whoever starts while another's line is unfinished gets a line of its own: nobody appends to another's line. */
static void a_writer_cannot_continue_another_writers_line(void **state)
{
    write_as(&client_main, "client", "half a line");
    write_as(&loader, NULL, "loader: fault\n");
    write_as(&server, "server", "x");
    write_as(&kernel, NULL, "kernel: y\n");
    write_as(&client_main, "client", " and the rest\n");
    assert_string_equal(out, "client: half a line\nloader: fault\nserver: x\nkernel: y\nclient:  and the rest\n");
}

/* Two threads of one component have one prefix but are different writers. */
static void threads_of_one_component_share_the_prefix_not_the_line(void **state)
{
    write_as(&client_main, "client", "main ");
    write_as(&client_server, "client", "server\n");
    assert_string_equal(out, "client: main \nclient: server\n");
}

/* After a writer is forgotten (its thread destroyed), a new writer at the same address starts a new line. */
static void a_forgotten_writer_does_not_continue(void **state)
{
    write_as(&client_main, "client", "unfinished");
    console_lines_forget(&lines, &client_main);
    write_as(&client_main, "client", "new thread\n");
    assert_string_equal(out, "client: unfinished\nclient: new thread\n");
}

static void prefix_length_cuts_the_name(void **state)
{
    console_lines_write(&lines, &client_server, "client.server", 6, "hi\n", 3, put);
    assert_string_equal(out, "client: hi\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_component_line_starts_with_its_name, reset),
        cmocka_unit_test_setup(a_component_cannot_print_a_kernel_or_loader_line, reset),
        cmocka_unit_test_setup(each_line_of_a_string_is_prefixed, reset),
        cmocka_unit_test_setup(characters_one_by_one_make_the_same_lines, reset),
        cmocka_unit_test_setup(root_task_and_kernel_lines_have_no_prefix, reset),
        cmocka_unit_test_setup(a_writer_cannot_continue_another_writers_line, reset),
        cmocka_unit_test_setup(threads_of_one_component_share_the_prefix_not_the_line, reset),
        cmocka_unit_test_setup(a_forgotten_writer_does_not_continue, reset),
        cmocka_unit_test_setup(prefix_length_cuts_the_name, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
