/*
 * Interrupts: IRQControl Get, IRQHandler SetNotification / SetUserInterrupt /
 * Ack / Clear, and
 * real interrupts from the ns16550a UART of QEMU virt (physical 0x10000000,
 * PLIC line 10, as its device tree says).  Its transmit-holding-register-
 * empty interrupt fires as soon as it is enabled, since the transmitter is
 * idle; the kernel prints through the same UART by polling, so the tests
 * keep the interrupt enabled only briefly.
 */
#include "test.h"

#include <sel/uintr.h>
#include <string.h>

#define UART_PADDR     0x10000000ull
#define UART_IRQ       10
#define UART_IER       1      /* interrupt enable register */
#define UART_IER_THRI  0x02   /* transmit holding register empty */
#define UART_VADDR     0x3800000000ull   /* free in the root task's address space */

#define SPARE_IRQ      5      /* a virtio-mmio line; no device interrupts on it in these tests */
#define UART_BADGE     0x40

static sel_cptr_t irq_get(struct test_env *env, sel_word_t irq)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, irq, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS));
    return slot;
}

static sel_cptr_t badged_notification(struct test_env *env, sel_word_t badge, sel_cptr_t *unbadged)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS, badge));
    if (unbadged)
        *unbadged = ntfn;
    return slot;
}

/*
 * A 4 KiB device frame at exactly paddr: find the device untyped covering
 * it, and since Retype places objects at the watermark, first retype filler
 * untypeds up to paddr (largest first keeps each one aligned).
 */
static sel_cptr_t device_frame_at(struct test_env *env, sel_word_t paddr)
{
    const sel_bootinfo_t *bi = env->bi;
    sel_cptr_t untyped = 0;
    sel_word_t base = 0;
    for (sel_word_t i = 0; i < bi->num_untypeds; i++) {
        const sel_untyped_desc_t *d = &bi->untyped_list[i];
        if (d->is_device && paddr >= d->paddr && paddr - d->paddr < (1ull << d->size_bits)) {
            untyped = bi->untyped.start + i;
            base = d->paddr;
        }
    }
    CHECK(untyped != 0);
    sel_word_t offset = paddr - base;
    for (int bits = 63; bits >= SEL_PAGE_BITS; bits--)
        if (offset & (1ull << bits))
            CHECK_OK(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, (sel_word_t)bits, SEL_CAP_INIT_CNODE, 0, 0,
                                        test_slot(env), 1));
    sel_cptr_t frame = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_FRAME_4K_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, frame, 1));
    sel_word_t got;
    CHECK_OK(sel_frame_get_address(frame, &got));
    CHECK_EQ(got, paddr);
    return frame;
}

/* Maps the UART with its interrupts off (the kernel polls it; a failed test may have left them on). */
static volatile uint8_t *map_uart(struct test_env *env)
{
    sel_cptr_t frame = device_frame_at(env, UART_PADDR);
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, UART_VADDR, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    volatile uint8_t *uart = (volatile uint8_t *)UART_VADDR;
    uart[UART_IER] = 0;
    return uart;
}

/* The transmitter is idle, so enabling its interrupt raises the line at once. */
static void uart_irq_on(volatile uint8_t *uart) { uart[UART_IER] = UART_IER_THRI; }
static void uart_irq_off(volatile uint8_t *uart) { uart[UART_IER] = 0; }

/* Busy-waits 10 ms: time for an interrupt that would come to come. */
static void settle(struct test_env *env)
{
    sel_word_t start = test_rdtime();
    while (test_rdtime() - start < env->bi->timebase_frequency / 100)
        ;
}

/* ---- IRQControl Get ------------------------------------------------------------------- */

TEST(irq_control_get_issues_a_handler)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    CHECK_EQ(sel_debug_cap_identify(handler), SEL_CAP_TYPE_IRQ_HANDLER);
    /* An occupied destination slot. */
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SPARE_IRQ + 1, SEL_CAP_INIT_CNODE, handler, SEL_WORD_BITS),
              SEL_DELETE_FIRST);
    /* That failure issued nothing: the line is still free. */
    irq_get(env, SPARE_IRQ + 1);
}

TEST(irq_control_get_out_of_range)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, 4096, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);   /* line 0 is the kernel's console (test_console_line.c) */
    sel_word_t max = sel_get_mr(1);   /* the device tree's riscv,ndev */
    CHECK(max >= UART_IRQ && max < 1024);
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, max + 1, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_RANGE_ERROR);
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, ~0ull, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_RANGE_ERROR);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NULL);
    /* Both ends of the range are fine. */
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, max, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS));
    irq_get(env, 1);
}

TEST(irq_control_get_twice_revoke_first)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    sel_cptr_t slot = test_slot(env);
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SPARE_IRQ, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_REVOKE_FIRST);
    /* A copy of the handler keeps the line issued after the original goes. */
    sel_cptr_t copy = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, handler, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, handler, SEL_WORD_BITS));
    CHECK_ERR(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SPARE_IRQ, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_REVOKE_FIRST);
    /* With the last handler cap gone, it can be issued again. */
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS));
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, SPARE_IRQ, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS));
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_IRQ_HANDLER);
}

TEST(irq_control_cannot_be_copied)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_ERR(sel_cnode_copy(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, SEL_CAP_IRQ_CONTROL,
                             SEL_WORD_BITS, SEL_ALL_RIGHTS),
              SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NULL);
}

/* ---- IRQHandler ---------------------------------------------------------------------- */

TEST(irq_handler_set_notification_needs_a_notification)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_ERR(sel_irq_handler_set_notification(handler, ep), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_irq_handler_set_notification(handler, SEL_CAP_INIT_TCB), SEL_INVALID_CAPABILITY);
    /* A notification cap without Write cannot signal. */
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t read_only = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, read_only, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS,
                            SEL_CAN_READ));
    CHECK_ERR(sel_irq_handler_set_notification(handler, read_only), SEL_INVALID_CAPABILITY);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    /* Replacing it with another is fine too. */
    CHECK_OK(sel_irq_handler_set_notification(handler, badged_notification(env, 3, NULL)));
}

TEST(irq_handler_ack_and_clear)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    /* Ack and Clear with nothing pending or set are harmless. */
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_OK(sel_irq_handler_clear(handler));
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_OK(sel_irq_handler_clear(handler));
    CHECK_OK(sel_irq_handler_clear(handler));
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_EQ(sel_poll(ntfn), 0);   /* the quiet line signalled nothing */
    /* IRQControl does not take handler invocations. */
    CHECK_ERR(sel_irq_handler_ack(SEL_CAP_IRQ_CONTROL), SEL_ILLEGAL_OPERATION);
}

TEST(irq_handler_deleting_the_notification_is_safe)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    /* The handler's copy is a child of ntfn: revoking ntfn takes it, and the handler stays valid. */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS));
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_OK(sel_irq_handler_clear(handler));
    CHECK_OK(sel_irq_handler_set_notification(handler, test_object(env, SEL_NOTIFICATION_OBJECT, 0)));
}

/* ---- real interrupts ------------------------------------------------------------------ */

TEST(irq_uart_interrupt_signals_notification)
{
    volatile uint8_t *uart = map_uart(env);
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, NULL);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));

    uart_irq_on(uart);
    sel_word_t badge = sel_wait(ntfn);
    uart_irq_off(uart);
    CHECK_OK(sel_irq_handler_ack(handler));

    CHECK_EQ(badge, UART_BADGE);
    CHECK_EQ(sel_poll(ntfn), 0);   /* the line is quiet again */
}

TEST(irq_uart_next_interrupt_waits_for_ack)
{
    volatile uint8_t *uart = map_uart(env);
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, NULL);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));

    uart_irq_on(uart);
    sel_word_t first = sel_wait(ntfn);
    /* Raise the line anew: while the first is not acked the kernel holds it back. */
    uart_irq_off(uart);
    uart_irq_on(uart);
    settle(env);
    sel_word_t early = sel_poll(ntfn);
    CHECK_OK(sel_irq_handler_ack(handler));
    sel_word_t second = sel_wait(ntfn);
    uart_irq_off(uart);
    CHECK_OK(sel_irq_handler_ack(handler));

    CHECK_EQ(first, UART_BADGE);
    CHECK_EQ(early, 0);
    CHECK_EQ(second, UART_BADGE);
}

TEST(irq_uart_handler_reissued_after_delete_in_service)
{
    /* Deleting a handler whose interrupt is in service must end that service, or the line stays dead. */
    volatile uint8_t *uart = map_uart(env);
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, NULL);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));

    uart_irq_on(uart);
    sel_word_t first = sel_wait(ntfn);
    uart_irq_off(uart);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, handler, SEL_WORD_BITS));

    sel_cptr_t again = irq_get(env, UART_IRQ);
    sel_cptr_t ntfn2 = badged_notification(env, UART_BADGE << 1, NULL);
    CHECK_OK(sel_irq_handler_set_notification(again, ntfn2));
    uart_irq_on(uart);
    sel_word_t second = sel_wait(ntfn2);
    uart_irq_off(uart);
    CHECK_OK(sel_irq_handler_ack(again));

    CHECK_EQ(first, UART_BADGE);
    CHECK_EQ(second, UART_BADGE << 1);
    CHECK_EQ(sel_poll(ntfn), 0);   /* the old notification heard nothing more */
}

TEST(irq_uart_cleared_handler_signals_only_when_set_again)
{
    volatile uint8_t *uart = map_uart(env);
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, NULL);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_OK(sel_irq_handler_clear(handler));

    uart_irq_on(uart);
    settle(env);
    sel_word_t cleared = sel_poll(ntfn);
    /* Set again, the pending line comes through. */
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    sel_word_t set = sel_wait(ntfn);
    uart_irq_off(uart);
    CHECK_OK(sel_irq_handler_ack(handler));

    CHECK_EQ(cleared, 0);
    CHECK_EQ(set, UART_BADGE);
}

TEST(irq_uart_interrupt_with_its_notification_gone_is_masked)
{
    volatile uint8_t *uart = map_uart(env);
    sel_cptr_t unbadged;
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, &unbadged);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    /* Revoking the notification takes the handler's copy of it; the line stays enabled. */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, unbadged, SEL_WORD_BITS));
    CHECK_EQ(sel_debug_cap_identify(ntfn), SEL_CAP_TYPE_NULL);

    /* The kernel takes the interrupt, finds nobody to tell, and masks the line. */
    uart_irq_on(uart);
    settle(env);
    uart_irq_off(uart);
    CHECK_EQ(sel_poll(unbadged), 0);

    /* A new notification brings the line back. */
    sel_cptr_t ntfn2 = badged_notification(env, UART_BADGE << 2, NULL);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn2));
    uart_irq_on(uart);
    sel_word_t badge = sel_wait(ntfn2);
    uart_irq_off(uart);
    CHECK_OK(sel_irq_handler_ack(handler));
    CHECK_EQ(badge, UART_BADGE << 2);
}

/* ---- interrupts as user-interrupt tokens ---------------------------------------------------- */

#define TOKEN_BITS 0x8

static sel_cptr_t mint_token(struct test_env *env, sel_cptr_t uintr, sel_word_t rights, sel_word_t bits)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS, rights,
                            bits));
    return slot;
}

TEST(irq_handler_set_user_interrupt_needs_a_token)
{
    sel_cptr_t handler = irq_get(env, SPARE_IRQ);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    /* The unbadged cap raises nothing; a token without Write cannot raise either. */
    CHECK_ERR(sel_irq_handler_set_user_interrupt(handler, uintr), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_irq_handler_set_user_interrupt(handler, mint_token(env, uintr, SEL_CAN_READ, TOKEN_BITS)),
              SEL_INVALID_CAPABILITY);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_ERR(sel_irq_handler_set_user_interrupt(handler, ntfn), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_irq_handler_set_notification(handler, mint_token(env, uintr, SEL_CAN_WRITE, TOKEN_BITS)),
              SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_irq_handler_set_user_interrupt(handler, test_object(env, SEL_ENDPOINT_OBJECT, 0)),
              SEL_INVALID_CAPABILITY);
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, mint_token(env, uintr, SEL_CAN_WRITE, TOKEN_BITS)));
    /* Either replaces the other. */
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, mint_token(env, uintr, SEL_ALL_RIGHTS, 1)));
    CHECK_OK(sel_irq_handler_clear(handler));
}

static volatile struct {
    int ready, entries, stop, after_store;
    sel_word_t bits, counter;
    sel_cptr_t never;
    volatile uint8_t *uart;
} d;

static void driver_handler(sel_word_t bits, sel_word_t uepc)
{
    (void)uepc;
    d.bits = bits;
    d.entries++;
    uart_irq_off(d.uart);   /* as a driver does: quiet the device, then Ack (the test Acks) */
}

static void enable_driver_handler(void)
{
    sel_uintr_set_handler(driver_handler);
    sel_uintr_enable_bits(TOKEN_BITS);
    sel_uintr_enable();
}

/* A driver thread waiting for something else (never signalled): the interrupt diverts it into its handler. */
static void waiting_driver(void *arg)
{
    (void)arg;
    enable_driver_handler();
    d.ready = 1;
    for (;;)
        sel_wait(d.never);
}

static sel_cptr_t driver_token(struct test_env *env, sel_thread_t *t)
{
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t->tcb, uintr));
    return mint_token(env, uintr, SEL_CAN_WRITE, TOKEN_BITS);
}

TEST(irq_uart_interrupt_diverts_a_waiting_driver_into_its_handler)
{
    memset((void *)&d, 0, sizeof(d));
    d.uart = map_uart(env);
    d.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, waiting_driver, NULL);
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, driver_token(env, &t)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(d.ready);

    uart_irq_on(d.uart);   /* taken within a few instructions (QEMU looks at interrupts between blocks) */
    CHECK(test_wait_flag(&d.entries));
    CHECK_EQ(d.entries, 1);
    CHECK_EQ(d.bits, TOKEN_BITS);
    /* Until the Ack, the line is held back. */
    uart_irq_on(d.uart);
    settle(env);
    CHECK_EQ(d.entries, 1);
    CHECK_OK(sel_irq_handler_ack(handler));   /* the line, raised again, comes through at once */
    CHECK_EQ(d.entries, 2);
    CHECK_OK(sel_irq_handler_ack(handler));
}

/* The driver itself enables the interrupt: it enters its handler right after the store, with no syscall. */
static void storing_driver(void *arg)
{
    (void)arg;
    enable_driver_handler();
    uart_irq_on(d.uart);
    test_wait_flag((volatile int *)&d.entries);   /* (a second at most: it outranks the test driver) */
    d.after_store = d.entries;
    d.ready = 1;
    for (;;)
        sel_wait(d.never);
}

TEST(irq_uart_interrupt_diverts_the_running_driver_at_once)
{
    memset((void *)&d, 0, sizeof(d));
    d.uart = map_uart(env);
    d.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, storing_driver, NULL);
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, driver_token(env, &t)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(d.ready);
    CHECK_EQ(d.after_store, 1);
    CHECK_EQ(d.bits, TOKEN_BITS);
    CHECK_OK(sel_irq_handler_ack(handler));
}

/* A driver running on the other hart: the boot hart takes the interrupt and the IPI diverts the driver. */
static void spinning_driver(void *arg)
{
    (void)arg;
    enable_driver_handler();
    d.ready = 1;
    while (!d.stop)
        d.counter++;
    for (;;)
        sel_wait(d.never);
}

TEST(irq_uart_interrupt_diverts_a_driver_on_the_other_hart)
{
    CHECK(env->bi->num_harts >= 2);
    memset((void *)&d, 0, sizeof(d));
    d.uart = map_uart(env);
    d.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, spinning_driver, NULL);
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, driver_token(env, &t)));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&d.ready));
    uart_irq_on(d.uart);
    CHECK(test_wait_flag(&d.entries));
    d.stop = 1;
    CHECK_EQ(d.bits, TOKEN_BITS);
    CHECK_OK(sel_irq_handler_ack(handler));
}

/* Revoking the UserInterrupt takes the handler's token: the kernel masks the line, as for a notification. */
TEST(irq_uart_interrupt_with_its_token_gone_is_masked)
{
    memset((void *)&d, 0, sizeof(d));
    d.uart = map_uart(env);
    d.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t handler = irq_get(env, UART_IRQ);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, waiting_driver, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    CHECK_OK(sel_irq_handler_set_user_interrupt(handler, mint_token(env, uintr, SEL_CAN_WRITE, TOKEN_BITS)));
    CHECK_OK(sel_thread_start(&t));
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS));
    uart_irq_on(d.uart);
    settle(env);
    uart_irq_off(d.uart);
    CHECK_EQ(d.entries, 0);
    /* A notification brings the line back. */
    sel_cptr_t ntfn = badged_notification(env, UART_BADGE, NULL);
    CHECK_OK(sel_irq_handler_set_notification(handler, ntfn));
    uart_irq_on(d.uart);
    CHECK_EQ(sel_wait(ntfn), UART_BADGE);
    uart_irq_off(d.uart);
    CHECK_OK(sel_irq_handler_ack(handler));
}
