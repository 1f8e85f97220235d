/*
 * IRQ line 0, the kernel's console: while its handler has a notification,
 * what is printed waits in the kernel for the handler's holder to read
 * (ReadConsole) instead of going to the UART; the line fires when
 * something waits and again after Ack; Clear, deleting the handler or the
 * notification give the UART back.  These tests read their own lines (the
 * root task's, so unprefixed) back from the kernel.
 */
#include "test.h"

#include <sel/irq.h>
#include <string.h>

#define CONSOLE_BADGE 0x10

static sel_cptr_t console_handler(struct test_env *env, sel_cptr_t *ntfn)
{
    sel_cptr_t handler = test_slot(env);
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SEL_IRQ_KERNEL_CONSOLE, SEL_CAP_INIT_CNODE, handler,
                                 SEL_WORD_BITS));
    sel_cptr_t plain = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    *ntfn = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, *ntfn, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, plain, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS, CONSOLE_BADGE));
    return handler;
}

/* Prints text with one DebugPutString (printf would also go there, but by lines). */
static void say(const char *text) { sel_debug_put_string(text, strlen(text)); }

static size_t read_all(sel_cptr_t handler, char *out, size_t room, sel_console_read_t *last)
{
    static char text[SEL_CONSOLE_READ_MAX];
    size_t n = 0;
    do {
        CHECK_OK(sel_irq_handler_read_console(handler, false, text, last));
        CHECK(last->bytes <= room - n);
        memcpy(out + n, text, last->bytes);
        n += last->bytes;
    } while (last->bytes);
    return n;
}

TEST(console_line_reads_what_the_kernel_would_print)
{
    sel_cptr_t ntfn;
    sel_cptr_t handler = console_handler(env, &ntfn);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_EQ(sel_poll(ntfn), 0);   /* nothing waits yet */
    say("console line: one\n");
    CHECK_EQ(sel_poll(ntfn), CONSOLE_BADGE);
    static char got[256];
    sel_console_read_t r;
    size_t n = read_all(handler, got, sizeof(got), &r);
    CHECK_EQ(n, 18);
    CHECK(memcmp(got, "console line: one\n", 18) == 0);   /* no '\r': that is the UART's */
    CHECK_EQ(r.lost, 0);
    CHECK_EQ(r.waiting, 0);
    CHECK_EQ(r.flags, 0);
    /* In service until Ack: more output does not signal again... */
    say("two\n");
    CHECK_EQ(sel_poll(ntfn), 0);
    /* ...and Ack with output waiting fires the line at once. */
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_EQ(sel_poll(ntfn), CONSOLE_BADGE);
    n = read_all(handler, got, sizeof(got), &r);
    CHECK_EQ(n, 4);
    CHECK(memcmp(got, "two\n", 4) == 0);
    /* Ack with nothing waiting fires nothing. */
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_EQ(sel_poll(ntfn), 0);
    CHECK_OK(sel_irq_handler_clear(handler));
}

TEST(console_line_reads_in_pieces_and_counts_what_was_lost)
{
    sel_cptr_t ntfn;
    sel_cptr_t handler = console_handler(env, &ntfn);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    /* 9600 bytes into the kernel's 8192. */
    static char line[961];
    for (unsigned i = 0; i < 960; i++)
        line[i] = (char)('a' + i % 26);
    for (int i = 0; i < 10; i++)
        sel_debug_put_string(line, 960);
    static char text[SEL_CONSOLE_READ_MAX];
    sel_console_read_t r;
    CHECK_OK(sel_irq_handler_read_console(handler, false, text, &r));
    CHECK_EQ(r.bytes, SEL_CONSOLE_READ_MAX);
    CHECK_EQ(r.lost, 9600 - 8192);
    CHECK_EQ(r.waiting, 8192 - SEL_CONSOLE_READ_MAX);
    CHECK(memcmp(text, line, SEL_CONSOLE_READ_MAX) == 0);
    size_t total = r.bytes;
    do {
        CHECK_OK(sel_irq_handler_read_console(handler, false, text, &r));
        CHECK_EQ(r.lost, 0);   /* counted once */
        for (size_t i = 0; i < r.bytes; i++)
            CHECK_EQ(text[i], line[(total + i) % 960]);
        total += r.bytes;
    } while (r.bytes);
    CHECK_EQ(total, 8192);
    CHECK_OK(sel_irq_handler_clear(handler));
}

TEST(console_line_clear_gives_the_uart_back)
{
    sel_cptr_t ntfn;
    sel_cptr_t handler = console_handler(env, &ntfn);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    say("console line: printed on the UART when the handler is cleared\n");
    CHECK_EQ(sel_poll(ntfn), CONSOLE_BADGE);
    CHECK_OK(sel_irq_handler_clear(handler));
    /* What waited went to the UART: set again, there is nothing to read. */
    say("console line: printed on the UART directly\n");
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_EQ(sel_poll(ntfn), 0);
    static char text[SEL_CONSOLE_READ_MAX];
    sel_console_read_t r;
    CHECK_OK(sel_irq_handler_read_console(handler, false, text, &r));
    CHECK_EQ(r.bytes, 0);
    CHECK_EQ(r.waiting, 0);
    /* Deleting the handler does the same as Clear; the line can then be had again. */
    say("console line: printed on the UART when the handler is deleted\n");
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, handler, SEL_WORD_BITS));
    sel_cptr_t again = test_slot(env);
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SEL_IRQ_KERNEL_CONSOLE, SEL_CAP_INIT_CNODE, again,
                                 SEL_WORD_BITS));
    CHECK_OK(sel_irq_handler_set_notification(again, ntfn));
    CHECK_OK(sel_irq_handler_read_console(again, false, text, &r));
    CHECK_EQ(r.bytes, 0);
    CHECK_OK(sel_irq_handler_clear(again));
}

TEST(console_line_without_its_notification_gives_the_uart_back)
{
    sel_cptr_t ntfn;
    sel_cptr_t handler = console_handler(env, &ntfn);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    /* The handler's copy of the notification cap goes with it: the next output finds no reader. */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS));
    say("console line: printed on the UART, its reader's notification gone\n");
    sel_cptr_t other = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_OK(sel_irq_handler_set_notification(handler, other));
    static char text[SEL_CONSOLE_READ_MAX];
    sel_console_read_t r;
    CHECK_OK(sel_irq_handler_read_console(handler, false, text, &r));
    CHECK_EQ(r.bytes, 0);
    CHECK_OK(sel_irq_handler_clear(handler));
}

TEST(console_line_read_is_for_line_0_only)
{
    sel_cptr_t spare = test_slot(env);
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, 5, SEL_CAP_INIT_CNODE, spare, SEL_WORD_BITS));
    static char text[SEL_CONSOLE_READ_MAX];
    sel_console_read_t r;
    CHECK_ERR(sel_irq_handler_read_console(spare, false, text, &r), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_irq_handler_read_console(SEL_CAP_IRQ_CONTROL, false, text, &r), SEL_ILLEGAL_OPERATION);
    /* Unknown flags are refused, naming the argument. */
    sel_cptr_t ntfn;
    sel_cptr_t handler = console_handler(env, &ntfn);
    sel_set_mr(0, 2);
    sel_msginfo_t info = sel_call(handler, sel_msginfo_new(SEL_IRQ_HANDLER_READ_CONSOLE, 0, 0, 1));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 0);
    /* Line 0 can be had once, like any line. */
    sel_cptr_t second = test_slot(env);
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SEL_IRQ_KERNEL_CONSOLE, SEL_CAP_INIT_CNODE, second,
                                  SEL_WORD_BITS),
              SEL_REVOKE_FIRST);
}
