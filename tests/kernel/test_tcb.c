/*
 * TCB invocations: Configure, SetSpace, SetIPCBuffer, the priority
 * invocations, ReadRegisters / WriteRegisters, Suspend / Resume.
 * Scheduling itself is in test_sched.c, other harts in test_smp.c.
 */
#include "test.h"

#include <sel/uintr.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------ */

/* Maps frame read-write at a fresh address of the root task and returns the address. */
static sel_word_t map_frame(struct test_env *env, sel_cptr_t frame)
{
    sel_word_t vaddr = env->alloc->vaddr_next;
    env->alloc->vaddr_next += 2 * 4096;     /* and a guard page */
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    return vaddr;
}

/* An invocation with exactly the words and caps given (libsel's wrappers always send enough). */
static sel_error_t raw_invoke(sel_cptr_t cap, sel_word_t label, unsigned nargs, const sel_word_t *args,
                              unsigned ncaps, const sel_cptr_t *caps)
{
    for (unsigned i = 0; i < ncaps; i++)
        sel_set_cap((int)i, caps[i]);
    for (unsigned i = 0; i < nargs; i++)
        sel_set_mr((int)i, args[i]);
    sel_msginfo_t info = sel_call(cap, sel_msginfo_new(label, 0, ncaps, nargs));
    return (sel_error_t)sel_msginfo_label(info);
}

/* A notification cap badged with badge (a copy of ntfn). */
static sel_cptr_t badged(struct test_env *env, sel_cptr_t ntfn, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS, badge));
    return slot;
}

#define LONG_MESSAGE_WORDS 8

/* What a thread sends with a message that needs its IPC buffer (words past MR3). */
struct long_send {
    sel_word_t ipc_vaddr;       /* the buffer the thread should use, 0 to keep its own */
    sel_cptr_t ep;
};

static void send_long_message(struct long_send *s)
{
    if (s->ipc_vaddr)
        sel_set_ipc_buffer((sel_ipc_buffer_t *)s->ipc_vaddr);
    for (int i = 0; i < LONG_MESSAGE_WORDS; i++)
        sel_set_mr(i, 0x100 + (sel_word_t)i);
    sel_send(s->ep, sel_msginfo_new(7, 0, 0, LONG_MESSAGE_WORDS));
}

/* Sends a long message, then touches address 16: a VM fault for its fault endpoint. */
static void send_long_then_fault(void *arg)
{
    send_long_message(arg);
    volatile int *volatile bad = (volatile int *)16;
    *bad = 1;
}

/* Receives on ep and checks that the long message arrived whole. */
static void check_long_message(sel_cptr_t ep)
{
    sel_msginfo_t info = sel_recv(ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), 7);
    CHECK_EQ(sel_msginfo_length(info), LONG_MESSAGE_WORDS);
    for (int i = 0; i < LONG_MESSAGE_WORDS; i++)
        CHECK_EQ(sel_get_mr(i), 0x100 + (sel_word_t)i);
}

/* Receives the VM fault of send_long_then_fault on fault_ep; returns its badge. */
static sel_word_t check_vm_fault(sel_cptr_t fault_ep)
{
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(fault_ep, &badge);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), 16);
    return badge;
}

/* ---- Configure ---------------------------------------------------------------- */

TEST(tcb_configure_installs_ipc_buffer_and_fault_ep)
{
    static struct long_send s;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, send_long_then_fault, &s);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged_fault_ep = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, badged_fault_ep, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, fault_ep,
                            SEL_WORD_BITS, SEL_ALL_RIGHTS, 0xfa));
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    /* Not at the start of the frame: the kernel must add the offset. */
    s.ipc_vaddr = map_frame(env, frame) + 2048;

    CHECK_OK(sel_tcb_configure(t.tcb, badged_fault_ep, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_VSPACE, s.ipc_vaddr,
                               frame));
    /* The TCB holds its own copy of the fault endpoint cap, badge and all. */
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, badged_fault_ep, SEL_WORD_BITS));
    CHECK_OK(sel_thread_start(&t));
    /* Words 4..7 come from the new buffer: the old one never held them. */
    check_long_message(s.ep);
    CHECK_EQ(check_vm_fault(fault_ep), 0xfa);
}

/* A TCB with valid Configure arguments to spoil one at a time. */
struct configure_args {
    sel_cptr_t tcb, fault_ep, cspace, vspace, frame;
    sel_word_t ipc_vaddr;
};

static struct configure_args valid_configure(struct test_env *env)
{
    struct configure_args a = {
        .tcb = test_object(env, SEL_TCB_OBJECT, 0),
        .fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0),
        .cspace = SEL_CAP_INIT_CNODE,
        .vspace = SEL_CAP_INIT_VSPACE,
        .frame = test_object(env, SEL_FRAME_4K_OBJECT, 0),
        .ipc_vaddr = 0x1000000800,
    };
    return a;
}

static sel_error_t configure(struct configure_args a)
{
    return sel_tcb_configure(a.tcb, a.fault_ep, a.cspace, 0, a.vspace, a.ipc_vaddr, a.frame);
}

TEST(tcb_configure_accepts_valid_arguments)
{
    struct configure_args a = valid_configure(env);
    CHECK_OK(configure(a));
    a.fault_ep = 0;     /* none */
    a.frame = 0;        /* no IPC buffer */
    CHECK_OK(configure(a));
}

TEST(tcb_configure_rejects_cspace_that_is_not_a_cnode)
{
    struct configure_args a = valid_configure(env);
    a.cspace = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_ERR(configure(a), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);     /* the first extra cap */
    a.cspace = test_slot(env);      /* an empty slot */
    CHECK_ERR(configure(a), SEL_INVALID_CAPABILITY);
}

TEST(tcb_configure_rejects_vspace_that_is_not_a_vspace_root)
{
    struct configure_args a = valid_configure(env);
    /* A page table without an ASID is not a VSpace root. */
    a.vspace = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_ERR(configure(a), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 2);
    a.vspace = SEL_CAP_INIT_CNODE;
    CHECK_ERR(configure(a), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 2);
}

TEST(tcb_configure_rejects_misaligned_ipc_buffer)
{
    struct configure_args a = valid_configure(env);
    a.ipc_vaddr = 0x1000000400;     /* 1 KiB aligned only: the user-interrupt CSRs would leave the page */
    CHECK_ERR(configure(a), SEL_ALIGNMENT_ERROR);
    a.ipc_vaddr = 0x1000000808;
    CHECK_ERR(configure(a), SEL_ALIGNMENT_ERROR);
}

TEST(tcb_configure_rejects_ipc_buffer_that_is_not_a_frame)
{
    struct configure_args a = valid_configure(env);
    a.frame = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_ERR(configure(a), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 3);
}

TEST(tcb_configure_rejects_fault_ep_that_is_not_a_writable_endpoint)
{
    struct configure_args a = valid_configure(env);
    a.fault_ep = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_ERR(configure(a), SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 0);     /* the first word */
    a.fault_ep = test_slot(env);    /* an empty slot */
    CHECK_ERR(configure(a), SEL_INVALID_ARGUMENT);
    /* An endpoint cap the thread could not send its faults through. */
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    a.fault_ep = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, a.fault_ep, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS,
                            SEL_CAN_READ));
    CHECK_ERR(configure(a), SEL_INVALID_ARGUMENT);
}

TEST(tcb_configure_with_too_few_caps_or_words_is_truncated)
{
    struct configure_args a = valid_configure(env);
    const sel_word_t args[4] = { a.fault_ep, 0, 0, a.ipc_vaddr };
    const sel_cptr_t caps[3] = { a.cspace, a.vspace, a.frame };
    CHECK_ERR(raw_invoke(a.tcb, SEL_TCB_CONFIGURE, 4, args, 2, caps), SEL_TRUNCATED_MESSAGE);
    CHECK_ERR(raw_invoke(a.tcb, SEL_TCB_CONFIGURE, 4, args, 0, caps), SEL_TRUNCATED_MESSAGE);
    CHECK_ERR(raw_invoke(a.tcb, SEL_TCB_CONFIGURE, 3, args, 3, caps), SEL_TRUNCATED_MESSAGE);
    CHECK_OK(raw_invoke(a.tcb, SEL_TCB_CONFIGURE, 4, args, 3, caps));
}

/* Decode before invoke: a Configure with one bad argument leaves every setting as it was. */
TEST(tcb_configure_that_fails_changes_nothing)
{
    static struct long_send s;
    sel_cptr_t old_fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t new_fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    sel_error_t err = sel_thread_create(env->alloc, &t, false, TEST_PRIORITY + 1, old_fault_ep,
                                        send_long_then_fault, &s);
    CHECK_OK(err);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    /* Everything new and valid except the VSpace. */
    CHECK_ERR(sel_tcb_configure(t.tcb, new_fault_ep, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_CNODE, 0x1000000000,
                                frame),
              SEL_INVALID_CAPABILITY);
    CHECK_OK(sel_thread_start(&t));
    check_long_message(s.ep);           /* its old IPC buffer still works */
    check_vm_fault(old_fault_ep);
    sel_word_t badge;
    CHECK_EQ(sel_msginfo_label(sel_nb_recv(new_fault_ep, &badge)), 0);
}

/* ---- SetSpace and SetIPCBuffer -------------------------------------------------- */

#define SPACE_SIGNAL_SLOT 3     /* a badged notification in the thread's new CSpace */
#define SPACE_EMPTY_SLOT 9      /* empty there (but not in the root CNode: it holds caps up to 8) */

static void signal_then_wait_on_empty_slot(void *arg)
{
    (void)arg;
    sel_signal(SPACE_SIGNAL_SLOT);
    sel_wait(SPACE_EMPTY_SLOT);     /* a cap fault */
}

TEST(tcb_set_space_changes_cspace_and_fault_ep)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    CHECK_OK(sel_cnode_mint(cnode, SPACE_SIGNAL_SLOT, 4, SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS, SEL_ALL_RIGHTS,
                            0x55));
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, signal_then_wait_on_empty_slot, NULL);
    /* A 60-bit guard of zeros: CPtrs are slot numbers at depth 64, as in the root CNode. */
    CHECK_OK(sel_tcb_set_space(t.tcb, fault_ep, cnode, sel_cnode_guard(0, 60), SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_thread_start(&t));

    CHECK_EQ(sel_poll(ntfn), 0x55);
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), SPACE_EMPTY_SLOT);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), 1);
}

TEST(tcb_set_space_rejects_bad_roots)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_space(tcb, 0, ep, 0, SEL_CAP_INIT_VSPACE), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_tcb_set_space(tcb, 0, SEL_CAP_INIT_CNODE, 0, ep), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 2);
    CHECK_ERR(sel_tcb_set_space(tcb, SEL_CAP_INIT_CNODE, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_VSPACE),
              SEL_INVALID_ARGUMENT);
    /* A guard that with the CNode's radix would resolve more than 64 bits. */
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    CHECK_ERR(sel_tcb_set_space(tcb, 0, cnode, sel_cnode_guard(0, 61), SEL_CAP_INIT_VSPACE), SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_OK(sel_tcb_set_space(tcb, 0, cnode, sel_cnode_guard(0, 60), SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_tcb_set_space(tcb, ep, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_VSPACE));
}

static void send_long_then_stop(void *arg) { send_long_message(arg); }

TEST(tcb_set_ipc_buffer_moves_the_buffer)
{
    static struct long_send s;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, send_long_then_stop, &s);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ipc_vaddr = map_frame(env, frame) + 2048;
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, s.ipc_vaddr, frame));
    CHECK_OK(sel_thread_start(&t));
    check_long_message(s.ep);
}

/* Without an IPC buffer only the four register words of a message can travel. */
TEST(tcb_set_ipc_buffer_to_none_truncates_long_messages)
{
    static struct long_send s;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, send_long_then_stop, &s);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ipc_vaddr = 0;    /* the thread keeps writing to its old buffer, which the kernel no longer knows */
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, 0, 0));
    CHECK_OK(sel_thread_start(&t));
    sel_msginfo_t info = sel_recv(s.ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), 7);
    CHECK_EQ(sel_msginfo_length(info), SEL_FAST_MESSAGE_REGISTERS);
    for (int i = 0; i < SEL_FAST_MESSAGE_REGISTERS; i++)
        CHECK_EQ(sel_get_mr(i), 0x100 + (sel_word_t)i);
}

TEST(tcb_set_ipc_buffer_rejects_misaligned_address_and_non_frame)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_ipc_buffer(tcb, 0x1000000100, frame), SEL_ALIGNMENT_ERROR);
    CHECK_ERR(sel_tcb_set_ipc_buffer(tcb, 0x1000000c00, frame), SEL_ALIGNMENT_ERROR);
    CHECK_ERR(sel_tcb_set_ipc_buffer(tcb, 0x1000000000, SEL_CAP_INIT_CNODE), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_OK(sel_tcb_set_ipc_buffer(tcb, 0x1000000800, frame));
}

/* ---- the rights of the IPC buffer's frame cap ------------------------------------ */

/* A copy of frame with rights. */
static sel_cptr_t frame_copy(struct test_env *env, sel_cptr_t frame, sel_word_t rights)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, frame, SEL_WORD_BITS,
                            rights));
    return slot;
}

/* A frame cap the thread could not even read through makes no IPC buffer. */
TEST(tcb_ipc_buffer_needs_a_frame_cap_with_read)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_ipc_buffer(tcb, 0x1000000000, frame_copy(env, frame, 0)), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_tcb_set_ipc_buffer(tcb, 0x1000000000, frame_copy(env, frame, SEL_CAN_WRITE)),
              SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_tcb_configure(tcb, 0, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_VSPACE, 0x1000000000,
                                frame_copy(env, frame, SEL_CAN_GRANT)),
              SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 3);
    CHECK_OK(sel_tcb_set_ipc_buffer(tcb, 0x1000000000, frame_copy(env, frame, SEL_CAN_READ)));
    CHECK_OK(sel_tcb_set_ipc_buffer(tcb, 0x1000000000, frame_copy(env, frame, SEL_READ_WRITE)));
}

static volatile struct {
    sel_cptr_t ep, tcb;
    sel_word_t length, reply_label, reply_length;
    int done;
} ro;

/* Receives with the message registers in registers only, then asks for 32 register words. */
static void receive_into_read_only_buffer(void *arg)
{
    (void)arg;
    sel_word_t m[4] = { 0 };
    ro.length = sel_msginfo_length(sel_recv_mrs(ro.ep, NULL, &m[0], &m[1], &m[2], &m[3]));
    sel_word_t suspend = 0, count = SEL_USER_CONTEXT_WORDS;
    sel_msginfo_t reply = sel_call_mrs(ro.tcb, sel_msginfo_new(SEL_TCB_READ_REGISTERS, 0, 0, 2), &suspend, &count,
                                       &m[2], &m[3]);
    ro.reply_label = sel_msginfo_label(reply);
    ro.reply_length = sel_msginfo_length(reply);
    ro.done = 1;
    sel_recv(ro.ep, NULL);   /* blocks for good */
}

static bool all_zero(const volatile sel_word_t *words, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (words[i])
            return false;
    return true;
}

/*
 * A thread whose IPC buffer was set through a read-only frame cap: the
 * kernel writes nothing into that frame (the message and an invocation's
 * reply arrive as if it had no buffer: the register words only), nor its
 * user-interrupt CSRs.  The test watches the frame through its own
 * read-write mapping.
 */
TEST(tcb_read_only_ipc_buffer_receives_nothing_into_the_frame)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    volatile sel_word_t *page = (volatile sel_word_t *)map_frame(env, frame_copy(env, frame, SEL_ALL_RIGHTS));
    ro.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    ro.tcb = test_object(env, SEL_TCB_OBJECT, 0);
    ro.done = 0;
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t token = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, token, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS,
                            SEL_CAN_WRITE, 1));

    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, receive_into_read_only_buffer, NULL);
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, (sel_word_t)page, frame_copy(env, frame, SEL_CAN_READ)));
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    CHECK_OK(sel_thread_start(&t));   /* it blocks in Recv */

    sel_token_send(token);            /* the kernel would write uip into the CSRs */
    for (int i = 0; i < 12; i++)
        sel_set_mr(i, 0x700 + (sel_word_t)i);
    sel_send(ro.ep, sel_msginfo_new(0x17, 0, 0, 12));
    CHECK(test_wait_flag(&ro.done));
    CHECK_EQ(ro.length, SEL_FAST_MESSAGE_REGISTERS);
    CHECK_EQ(ro.reply_label, SEL_NO_ERROR);
    CHECK_EQ(ro.reply_length, SEL_FAST_MESSAGE_REGISTERS);
    CHECK(all_zero(page, 4096 / sizeof(sel_word_t)));
}

/* Read-only is enough to send from: the kernel reads the words past the registers from the frame. */
static void send_from_read_only_buffer(void *arg)
{
    (void)arg;
    sel_word_t m[4] = { 0x800, 0x801, 0x802, 0x803 };
    sel_send_mrs(ro.ep, sel_msginfo_new(0x18, 0, 0, 10), &m[0], &m[1], &m[2], &m[3]);
}

TEST(tcb_read_only_ipc_buffer_can_send_long_messages)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    volatile sel_word_t *page = (volatile sel_word_t *)map_frame(env, frame_copy(env, frame, SEL_ALL_RIGHTS));
    for (int i = 4; i < 10; i++)
        page[1 + i] = 0x800 + (sel_word_t)i;   /* MR i is word 1 + i of the buffer */
    ro.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, send_from_read_only_buffer, NULL);
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, (sel_word_t)page, frame_copy(env, frame, SEL_CAN_READ)));
    CHECK_OK(sel_thread_start(&t));   /* it blocks in Send */
    sel_msginfo_t info = sel_recv(ro.ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x18);
    CHECK_EQ(sel_msginfo_length(info), 10);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(sel_get_mr(i), 0x800 + (sel_word_t)i);
}

/* The root task's boot-info page (its cap is read-only) as a thread's IPC buffer: a message leaves it as it was. */
static void receive_in_registers(void *arg)
{
    (void)arg;
    sel_word_t m[4] = { 0 };
    ro.length = sel_msginfo_length(sel_recv_mrs(ro.ep, NULL, &m[0], &m[1], &m[2], &m[3]));
    ro.done = 1;
    sel_recv(ro.ep, NULL);
}

TEST(tcb_boot_info_page_as_ipc_buffer_is_never_written)
{
    static sel_bootinfo_t before;
    const sel_bootinfo_t *bi = env->bi;
    memcpy(&before, bi, sizeof(before));
    ro.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    ro.done = 0;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, receive_in_registers, NULL);
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, (sel_word_t)bi, SEL_CAP_BOOTINFO_FRAME));
    CHECK_OK(sel_thread_start(&t));
    for (int i = 0; i < 64; i++)
        sel_set_mr(i, ~(sel_word_t)i);
    sel_send(ro.ep, sel_msginfo_new(0x19, 0, 0, 64));
    CHECK(test_wait_flag(&ro.done));
    CHECK_EQ(ro.length, SEL_FAST_MESSAGE_REGISTERS);
    CHECK(memcmp(&before, bi, sizeof(before)) == 0);
}

/* ---- priorities ------------------------------------------------------------------ */

TEST(tcb_set_priority_above_authority_mcp_is_range_error)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_priority(tcb, env->tcb, TEST_MCP + 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), TEST_MCP);
    CHECK_OK(sel_tcb_set_priority(tcb, env->tcb, TEST_MCP));
    CHECK_OK(sel_tcb_set_priority(tcb, env->tcb, 0));
    /* A new TCB's MCP is 0: as an authority it allows priority 0 only. */
    sel_cptr_t other = test_object(env, SEL_TCB_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_priority(other, tcb, 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(1), 0);
    CHECK_OK(sel_tcb_set_priority(other, tcb, 0));
}

TEST(tcb_set_mc_priority_limits_what_the_tcb_authorises)
{
    sel_cptr_t authority = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_mc_priority(authority, env->tcb, TEST_MCP + 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(1), TEST_MCP);
    CHECK_OK(sel_tcb_set_mc_priority(authority, env->tcb, 120));
    CHECK_ERR(sel_tcb_set_priority(tcb, authority, 121), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(1), 120);
    CHECK_OK(sel_tcb_set_priority(tcb, authority, 120));
    CHECK_ERR(sel_tcb_set_mc_priority(tcb, authority, 121), SEL_RANGE_ERROR);
    CHECK_OK(sel_tcb_set_mc_priority(tcb, authority, 120));
}

TEST(tcb_set_sched_params_sets_both_or_neither)
{
    sel_cptr_t authority = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    CHECK_OK(sel_tcb_set_sched_params(authority, env->tcb, 110, 105));
    CHECK_OK(sel_tcb_set_priority(tcb, authority, 110));
    CHECK_ERR(sel_tcb_set_priority(tcb, authority, 111), SEL_RANGE_ERROR);
    /* Either value above the authority's MCP fails, and the MCP stays 110. */
    CHECK_ERR(sel_tcb_set_sched_params(authority, env->tcb, TEST_MCP + 1, 100), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(1), TEST_MCP);
    CHECK_ERR(sel_tcb_set_sched_params(authority, env->tcb, 200, TEST_MCP + 1), SEL_RANGE_ERROR);
    CHECK_OK(sel_tcb_set_priority(tcb, authority, 110));
    CHECK_ERR(sel_tcb_set_priority(tcb, authority, 111), SEL_RANGE_ERROR);
}

TEST(tcb_priority_authority_must_be_a_tcb)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_ERR(sel_tcb_set_priority(tcb, ep, 1), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_tcb_set_mc_priority(tcb, SEL_CAP_INIT_CNODE, 1), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_tcb_set_sched_params(tcb, test_slot(env), 1, 1), SEL_INVALID_CAPABILITY);
    const sel_word_t args[1] = { 1 };
    CHECK_ERR(raw_invoke(tcb, SEL_TCB_SET_PRIORITY, 1, args, 0, NULL), SEL_TRUNCATED_MESSAGE);
}

/* ---- registers ------------------------------------------------------------------ */

/*
 * regs_wait(ntfn): sets t3 to REGS_MAGIC and waits on the notification with
 * a bare ecall, so the test knows where the thread's pc is.
 */
#define REGS_MAGIC 0x7e57ab1e
sel_word_t regs_wait(sel_cptr_t ntfn);
extern const char regs_wait_ecall[], regs_wait_after[];
__asm__(".pushsection .text.regs_wait, \"ax\", @progbits\n"
        ".globl regs_wait, regs_wait_ecall, regs_wait_after\n"
        "regs_wait:\n"
        "    li t3, 0x7e57ab1e\n"
        "    li a7, -5\n"               /* SEL_SYS_RECV */
        "regs_wait_ecall:\n"
        "    ecall\n"
        "regs_wait_after:\n"
        "    ret\n"
        ".popsection\n");

static volatile sel_word_t regs_woken;

static void wait_with_known_registers(void *arg) { regs_woken = regs_wait((sel_cptr_t)arg); }

TEST(tcb_read_registers_of_blocked_thread)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    regs_woken = 0;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, wait_with_known_registers, (void *)ntfn);

    sel_user_context_t regs;
    CHECK_OK(sel_tcb_read_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
    CHECK_EQ(regs.pc, (sel_word_t)regs_wait_after);   /* blocked: past its ecall */
    CHECK_EQ(regs.t3, REGS_MAGIC);
    CHECK_EQ(regs.a7, (sel_word_t)SEL_SYS_RECV);
    CHECK_EQ(regs.a0, ntfn);
    /* Reading fewer registers leaves the rest of the buffer alone. */
    sel_user_context_t few = { .ra = 0x1234 };
    CHECK_OK(sel_tcb_read_registers(t.tcb, false, 1, &few));
    CHECK_EQ(few.pc, (sel_word_t)regs_wait_after);
    CHECK_EQ(few.ra, 0x1234);
    CHECK_EQ(regs_woken, 0);

    sel_cptr_t badge = badged(env, ntfn, 0x77);
    sel_signal(badge);
    CHECK_EQ(regs_woken, 0x77);
}

/* With suspend set the thread stops first: a blocked one is rewound to retry its syscall. */
TEST(tcb_read_registers_with_suspend_stops_the_thread)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badge = badged(env, ntfn, 0x99);
    sel_thread_t t;
    regs_woken = 0;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, wait_with_known_registers, (void *)ntfn);

    sel_user_context_t regs;
    CHECK_OK(sel_tcb_read_registers(t.tcb, true, SEL_USER_CONTEXT_WORDS, &regs));
    CHECK_EQ(regs.pc, (sel_word_t)regs_wait_ecall);
    CHECK_EQ(regs.t3, REGS_MAGIC);
    /* Suspending it again must not rewind it again. */
    CHECK_OK(sel_tcb_suspend(t.tcb));
    CHECK_OK(sel_tcb_read_registers(t.tcb, true, 1, &regs));
    CHECK_EQ(regs.pc, (sel_word_t)regs_wait_ecall);
    /* Suspended: no longer waiting, so the signal stays pending. */
    sel_signal(badge);
    CHECK_EQ(regs_woken, 0);
    CHECK_OK(sel_tcb_resume(t.tcb));
    CHECK_EQ(regs_woken, 0x99);
}

TEST(tcb_read_registers_count_above_32_is_range_error)
{
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, wait_with_known_registers, NULL);
    CHECK_ERR(sel_tcb_read_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS + 1, NULL), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), SEL_USER_CONTEXT_WORDS);
    sel_user_context_t regs = { 0 };
    CHECK_ERR(sel_tcb_write_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS + 1, &regs), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(1), SEL_USER_CONTEXT_WORDS);
    /* A thread never started: its registers are what sel_thread_create wrote. */
    CHECK_OK(sel_tcb_read_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
    CHECK_EQ(regs.a0, (sel_word_t)wait_with_known_registers);
    CHECK_EQ(regs.a4, t.tcb);
}

TEST(tcb_read_and_write_registers_on_self_are_illegal)
{
    sel_user_context_t regs = { 0 };
    CHECK_ERR(sel_tcb_read_registers(env->tcb, false, 1, &regs), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_tcb_read_registers(env->tcb, true, 1, &regs), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_tcb_write_registers(env->tcb, false, 0, &regs), SEL_ILLEGAL_OPERATION);
}

/*
 * wr_entry: where WriteRegisters starts a thread.  It passes its sp and s1
 * on to wr_record(a0, a1, sp, s1), which records them.
 */
void wr_entry(void);
__asm__(".pushsection .text.wr_entry, \"ax\", @progbits\n"
        ".globl wr_entry\n"
        "wr_entry:\n"
        "    mv a2, sp\n"
        "    mv a3, s1\n"
        "    j wr_record\n"
        ".popsection\n");

static volatile sel_word_t wr_seen[4];

void wr_record(sel_word_t a0, sel_word_t a1, sel_word_t sp, sel_word_t s1);
void wr_record(sel_word_t a0, sel_word_t a1, sel_word_t sp, sel_word_t s1)
{
    wr_seen[0] = a0;
    wr_seen[1] = a1;
    wr_seen[2] = sp;
    wr_seen[3] = s1;
    /* No TLS here (tp is whatever we were given): only bare system calls. */
    for (;;)
        sel_wait((sel_cptr_t)a1);
}

TEST(tcb_write_registers_starts_thread_at_chosen_pc_sp_and_argument)
{
    static sel_word_t stack[256] __attribute__((aligned(16)));
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, NULL, NULL);
    for (int i = 0; i < 4; i++)
        wr_seen[i] = 0;

    sel_user_context_t regs = { 0 };
    regs.pc = (sel_word_t)wr_entry;
    regs.sp = (sel_word_t)&stack[256];
    __asm__("mv %0, gp" : "=r"(regs.gp));
    regs.a0 = 0xa0a0;
    regs.a1 = ntfn;
    regs.s1 = 0x5151;
    CHECK_OK(sel_tcb_write_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
    CHECK_EQ(wr_seen[0], 0);    /* written but not resumed: not running */
    CHECK_OK(sel_tcb_write_registers(t.tcb, true, SEL_USER_CONTEXT_WORDS, &regs));
    /* Higher priority: it ran up to its wait before we got back. */
    CHECK_EQ(wr_seen[0], 0xa0a0);
    CHECK_EQ(wr_seen[1], ntfn);
    CHECK_EQ(wr_seen[2], (sel_word_t)&stack[256]);
    CHECK_EQ(wr_seen[3], 0x5151);
}

/* ---- Suspend and Resume ----------------------------------------------------------- */

static volatile sel_word_t counter;

/* Counts, yielding after each step to threads of its priority. */
static void count_and_yield(void *arg)
{
    (void)arg;
    for (;;) {
        counter++;
        sel_yield();
    }
}

static void yield_times(int n)
{
    for (int i = 0; i < n; i++)
        sel_yield();
}

TEST(tcb_suspended_thread_makes_no_progress_until_resumed)
{
    sel_thread_t t;
    counter = 0;
    test_thread_start(env, &t, TEST_PRIORITY, false, count_and_yield, NULL);
    CHECK_EQ(counter, 0);       /* same priority: it waits for us to yield */
    yield_times(3);
    CHECK(counter > 0);

    CHECK_OK(sel_tcb_suspend(t.tcb));
    sel_word_t stopped_at = counter;
    yield_times(10);
    CHECK_EQ(counter, stopped_at);
    CHECK_OK(sel_tcb_suspend(t.tcb));   /* suspending twice is harmless */

    CHECK_OK(sel_tcb_resume(t.tcb));
    yield_times(3);
    CHECK(counter > stopped_at);
    CHECK_OK(sel_tcb_suspend(t.tcb));   /* it must not keep the driver from running */
}

TEST(tcb_resume_of_running_thread_does_nothing)
{
    sel_thread_t t;
    counter = 0;
    test_thread_start(env, &t, TEST_PRIORITY, false, count_and_yield, NULL);
    yield_times(2);
    sel_word_t before = counter;
    CHECK_OK(sel_tcb_resume(t.tcb));    /* it is RUNNING (queued behind us) */
    CHECK_OK(sel_tcb_resume(t.tcb));
    yield_times(3);
    CHECK(counter > before);
    /* Still one thread: a single Suspend stops it. */
    CHECK_OK(sel_tcb_suspend(t.tcb));
    sel_word_t stopped_at = counter;
    yield_times(10);
    CHECK_EQ(counter, stopped_at);
}

TEST(tcb_resume_of_blocked_thread_does_nothing)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badge = badged(env, ntfn, 0x31);
    sel_thread_t t;
    regs_woken = 0;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, wait_with_known_registers, (void *)ntfn);
    CHECK_OK(sel_tcb_resume(t.tcb));
    yield_times(3);
    CHECK_EQ(regs_woken, 0);    /* still waiting */
    sel_signal(badge);
    CHECK_EQ(regs_woken, 0x31);
}

static volatile int recv_done;
static volatile sel_word_t recv_word;

static void recv_once(void *arg)
{
    sel_word_t word = 0;
    sel_recv_mrs((sel_cptr_t)arg, NULL, &word, NULL, NULL, NULL);
    recv_word = word;
    recv_done = 1;
}

TEST(tcb_suspended_in_recv_retries_recv_when_resumed)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    recv_done = 0;
    recv_word = 0;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, recv_once, (void *)ep);
    CHECK_OK(sel_tcb_suspend(t.tcb));

    /* Suspended, it no longer waits on the endpoint: a non-blocking send finds nobody. */
    sel_set_mr(0, 0x1111);
    sel_nb_send(ep, sel_msginfo_new(0, 0, 0, 1));
    CHECK_OK(sel_tcb_resume(t.tcb));
    yield_times(3);
    CHECK_EQ(recv_done, 0);     /* back in its Recv, not returned from it */

    sel_word_t word = 0x4242;
    sel_send_mrs(ep, sel_msginfo_new(0, 0, 0, 1), &word, NULL, NULL, NULL);
    CHECK_EQ(recv_done, 1);
    CHECK_EQ(recv_word, 0x4242);
}

/* Suspended while waiting for the reply to its Call, a thread makes the whole Call again when resumed. */
static volatile int call_done;
static volatile sel_word_t call_reply;

static void call_once(void *arg)
{
    sel_word_t word = 5;
    sel_call_mrs((sel_cptr_t)arg, sel_msginfo_new(0, 0, 0, 1), &word, NULL, NULL, NULL);
    call_reply = word;
    call_done = 1;
}

TEST(tcb_suspended_waiting_for_reply_repeats_its_call_when_resumed)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    call_done = 0;
    call_reply = 0;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, call_once, (void *)ep);
    sel_word_t word = 0;
    sel_recv_mrs(ep, NULL, &word, NULL, NULL, NULL);
    CHECK_EQ(word, 5);
    CHECK_OK(sel_tcb_suspend(t.tcb));
    /* Our reply has nobody to go to now. */
    sel_set_mr(0, 6);
    sel_reply(sel_msginfo_new(0, 0, 0, 1));
    CHECK_EQ(call_done, 0);

    CHECK_OK(sel_tcb_resume(t.tcb));
    CHECK_EQ(call_done, 0);     /* it sent its Call again and waits for us */
    word = 0;
    sel_recv_mrs(ep, NULL, &word, NULL, NULL, NULL);
    CHECK_EQ(word, 5);
    sel_set_mr(0, 7);
    sel_reply(sel_msginfo_new(0, 0, 0, 1));
    CHECK_EQ(call_done, 1);
    CHECK_EQ(call_reply, 7);
}
