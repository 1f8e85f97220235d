/*
 * Fault delivery: VM faults, user exceptions, unknown syscalls and cap
 * faults arrive at the thread's fault endpoint as a Call labelled with the
 * fault type (layouts in sel/abi.h); the handler's reply restarts the
 * thread (label 0) or leaves it inactive (any other label).  A thread with
 * no fault endpoint is suspended instead.
 *
 * The faulting instructions sit in small assembly functions with global
 * labels, so that the tests know the pc the kernel must report.
 */
#include "test.h"

#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)
#define LOWER (TEST_PRIORITY - 1)

/* Addresses nothing maps (the allocator maps from 0x1000000000 up, new address spaces at 0x2000000000). */
#define UNMAPPED 0x3000000000ull

/* fault_test_load(addr): returns the word at addr; the load is at fault_test_load_insn. */
sel_word_t fault_test_load(sel_word_t addr);
/* fault_test_store(addr, value): stores value at addr; the store is at fault_test_store_insn. */
void fault_test_store(sel_word_t addr, sel_word_t value);
/* fault_test_illegal(): executes a 4-byte illegal instruction at fault_test_illegal_insn. */
void fault_test_illegal(void);
/* fault_test_breakpoint(): executes ebreak at fault_test_breakpoint_insn. */
void fault_test_breakpoint(void);
/*
 * fault_test_syscall(number): saves sp in fault_test_syscall_sp, sets a0..a6
 * to 0xa0..0xa6 and a7 to number, executes ecall at fault_test_syscall_ecall
 * and returns a0 as it is then.
 */
sel_word_t fault_test_syscall(sel_word_t number);
extern const char fault_test_load_insn[], fault_test_store_insn[], fault_test_illegal_insn[],
    fault_test_breakpoint_insn[], fault_test_syscall_ecall[];
sel_word_t fault_test_syscall_sp;

__asm__(".pushsection .text.fault_test, \"ax\", @progbits\n"
        ".option push\n"
        ".option norvc\n"
        ".globl fault_test_load, fault_test_load_insn\n"
        "fault_test_load:\n"
        "fault_test_load_insn:\n"
        "    ld a0, 0(a0)\n"
        "    ret\n"
        ".globl fault_test_store, fault_test_store_insn\n"
        "fault_test_store:\n"
        "fault_test_store_insn:\n"
        "    sd a1, 0(a0)\n"
        "    ret\n"
        ".globl fault_test_illegal, fault_test_illegal_insn\n"
        "fault_test_illegal:\n"
        "fault_test_illegal_insn:\n"
        "    .4byte 0xc0001073\n"      /* csrw cycle, zero: cycle is read-only */
        "    ret\n"
        ".globl fault_test_breakpoint, fault_test_breakpoint_insn\n"
        "fault_test_breakpoint:\n"
        "fault_test_breakpoint_insn:\n"
        "    ebreak\n"
        "    ret\n"
        ".globl fault_test_syscall, fault_test_syscall_ecall\n"
        "fault_test_syscall:\n"
        "    mv a7, a0\n"
        "    la t0, fault_test_syscall_sp\n"
        "    sd sp, 0(t0)\n"
        "    li a0, 0xa0\n"
        "    li a1, 0xa1\n"
        "    li a2, 0xa2\n"
        "    li a3, 0xa3\n"
        "    li a4, 0xa4\n"
        "    li a5, 0xa5\n"
        "    li a6, 0xa6\n"
        "fault_test_syscall_ecall:\n"
        "    ecall\n"
        "    ret\n"
        ".option pop\n"
        ".popsection\n");

static struct {
    sel_word_t addr;            /* what the faulting thread touches */
    sel_cptr_t done;            /* a notification it signals when it has finished */
    volatile int step;
    sel_word_t result;
    sel_word_t sp;
} s;

static void reset(void) { memset(&s, 0, sizeof(s)); }

static void start_with_fault_ep(struct test_env *env, sel_thread_t *t, sel_word_t priority, sel_cptr_t fault_ep,
                                sel_thread_fn fn)
{
    CHECK_OK(sel_thread_create(env->alloc, t, false, priority, fault_ep, fn, NULL));
    CHECK_OK(sel_thread_start(t));
}

static void start_in_new_vspace_with_fault_ep(struct test_env *env, sel_thread_t *t, sel_cptr_t fault_ep,
                                              sel_thread_fn fn)
{
    CHECK_OK(sel_thread_create(env->alloc, t, true, HIGHER, fault_ep, fn, NULL));
    CHECK_OK(sel_thread_start(t));
}

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

static void load_from_addr(void *arg)
{
    s.result = fault_test_load(s.addr);
    s.step = 1;
}

static void store_and_load_back(void *arg)
{
    fault_test_store(s.addr, 0x1234);
    s.result = fault_test_load(s.addr);
    s.step = 1;
}

static void jump_to_addr(void *arg)
{
    ((void (*)(void))(uintptr_t)s.addr)();
    s.step = 1;
}

static sel_word_t current_sp(void)
{
    sel_word_t sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    return sp;
}

static void execute_illegal(void *arg)
{
    s.sp = current_sp();
    fault_test_illegal();
    s.step = 1;
}

static void execute_breakpoint(void *arg)
{
    fault_test_breakpoint();
    s.step = 1;
}

static void unknown_syscall(void *arg)
{
    s.result = fault_test_syscall((sel_word_t)(uintptr_t)arg);
    s.step = 1;
}

/* Receives a VM fault on fault_ep and checks its message. */
static void check_vm_fault(sel_cptr_t fault_ep, sel_word_t badge, const void *pc, sel_word_t addr,
                           sel_word_t prefetch, sel_word_t cause)
{
    sel_word_t got_badge = 0xffff;
    sel_msginfo_t info = sel_recv(fault_ep, &got_badge);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
    CHECK_EQ(sel_msginfo_length(info), SEL_VM_FAULT_LENGTH);
    CHECK_EQ(sel_msginfo_extra_caps(info), 0);
    CHECK_EQ(got_badge, badge);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PC), (sel_word_t)(uintptr_t)pc);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), addr);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PREFETCH), prefetch);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_FSR), cause);
}

#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_INST_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15

/* The faulting thread is below us, so the fault finds the handler already waiting. */
TEST(fault_vm_load_reaches_waiting_handler)
{
    reset();
    s.addr = UNMAPPED + 0x10;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged = mint(env, fault_ep, SEL_ALL_RIGHTS, 0x5);
    sel_thread_t t;
    start_with_fault_ep(env, &t, LOWER, badged, load_from_addr);
    check_vm_fault(fault_ep, 0x5, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);
    CHECK_EQ(s.step, 0);
}

TEST(fault_vm_instruction_fetch_is_prefetch)
{
    reset();
    s.addr = UNMAPPED + 0x3000;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, jump_to_addr);
    check_vm_fault(fault_ep, 0, (const void *)(uintptr_t)s.addr, s.addr, 1, CAUSE_INST_PAGE_FAULT);
    CHECK_EQ(s.step, 0);
}

TEST(fault_handler_fixes_vm_fault_and_thread_restarts)
{
    reset();
    s.addr = UNMAPPED + 0x2008;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, store_and_load_back);
    check_vm_fault(fault_ep, 0, fault_test_store_insn, s.addr, 0, CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(s.step, 0);

    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, s.addr & ~0xfffull, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    sel_reply(sel_msginfo_new(0, 0, 0, 0));
    /* It re-executed the store and went on. */
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.result, 0x1234);
    CHECK_EQ(*(volatile sel_word_t *)(uintptr_t)s.addr, 0x1234);
}

#define PAGER_PAGES 3
#define PAGER_BASE (UNMAPPED + 0x10000)

/* Stores i + 1 at word i of page i from PAGER_BASE up. */
static void touch_pages(void *arg)
{
    for (sel_word_t i = 0; i < PAGER_PAGES; i++)
        fault_test_store(PAGER_BASE + i * 4096 + i * 8, i + 1);
    s.step = 1;
}

/* A pager: maps a frame at each fault and restarts the thread with ReplyRecv, waiting for the next. */
TEST(fault_handler_pages_in_with_reply_recv)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, touch_pages);
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    for (sel_word_t i = 0; i < PAGER_PAGES; i++) {
        CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
        sel_word_t addr = sel_get_mr(SEL_VM_FAULT_ADDR);
        CHECK_EQ(addr, PAGER_BASE + i * 4096 + i * 8);
        sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
        CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, addr & ~0xfffull, SEL_READ_WRITE,
                                     SEL_VM_EXECUTE_NEVER));
        if (i + 1 < PAGER_PAGES)
            info = sel_reply_recv(fault_ep, sel_msginfo_new(0, 0, 0, 0), NULL);
        else
            sel_reply(sel_msginfo_new(0, 0, 0, 0));
    }
    CHECK_EQ(s.step, 1);
    for (sel_word_t i = 0; i < PAGER_PAGES; i++)
        CHECK_EQ(*(volatile sel_word_t *)(uintptr_t)(PAGER_BASE + i * 4096 + i * 8), i + 1);
}

/* The handler maps the frame into the faulting thread's own address space, not ours. */
TEST(fault_handler_fixes_vm_fault_in_other_address_space)
{
    reset();
    s.addr = UNMAPPED + 0x5008;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_in_new_vspace_with_fault_ep(env, &t, fault_ep, store_and_load_back);
    check_vm_fault(fault_ep, 0, fault_test_store_insn, s.addr, 0, CAUSE_STORE_PAGE_FAULT);

    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, t.vspace, s.addr & ~0xfffull, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    sel_reply(sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.result, 0x1234);

    /* Look at the frame through a copy mapped here. */
    sel_cptr_t copy = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, frame, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS));
    sel_word_t here = UNMAPPED + 0x6000;
    CHECK_OK(sel_alloc_map_frame(env->alloc, copy, SEL_CAP_INIT_VSPACE, here, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    CHECK_EQ(*(volatile sel_word_t *)(uintptr_t)(here + 8), 0x1234);
}

/* As store_and_load_back, then signals the notification s.done. */
static void store_load_and_report(void *arg)
{
    store_and_load_back(arg);
    sel_signal(s.done);
}

/* The thread faults on hart 1, the handler here maps the page, and it completes there. */
TEST(fault_on_other_hart_is_handled_here)
{
    reset();
    if (env->bi->num_harts < 2)
        return;
    s.addr = UNMAPPED + 0x7010;
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    CHECK_OK(sel_thread_create(env->alloc, &t, false, HIGHER, fault_ep, store_load_and_report, NULL));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    check_vm_fault(fault_ep, 0, fault_test_store_insn, s.addr, 0, CAUSE_STORE_PAGE_FAULT);

    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, s.addr & ~0xfffull, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    sel_reply(sel_msginfo_new(0, 0, 0, 0));
    sel_wait(s.done);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.result, 0x1234);
}

TEST(fault_reply_with_nonzero_label_leaves_thread_inactive)
{
    reset();
    s.addr = UNMAPPED;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, load_from_addr);
    check_vm_fault(fault_ep, 0, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);

    sel_reply(sel_msginfo_new(1, 0, 0, 0));
    /* Restarted, it would have faulted again at once. */
    sel_word_t badge = 0;
    CHECK_EQ(sel_nb_recv(fault_ep, &badge).words[0], 0);
    CHECK_EQ(s.step, 0);
    /* Resume acts only on an inactive thread: it runs and faults again. */
    CHECK_OK(sel_tcb_resume(t.tcb));
    check_vm_fault(fault_ep, 0, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);
}

TEST(fault_illegal_instruction_is_user_exception)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, execute_illegal);
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_USER_EXCEPTION);
    CHECK_EQ(sel_msginfo_length(info), SEL_USER_EXCEPTION_LENGTH);
    sel_word_t pc = sel_get_mr(SEL_USER_EXCEPTION_PC);
    CHECK_EQ(pc, (sel_word_t)(uintptr_t)fault_test_illegal_insn);
    CHECK_EQ(sel_get_mr(SEL_USER_EXCEPTION_SP), s.sp);
    CHECK_EQ(sel_get_mr(SEL_USER_EXCEPTION_CAUSE), CAUSE_ILLEGAL_INSTRUCTION);
    /* stval holds the instruction bits, or 0 where the hart does not report them. */
    sel_word_t value = sel_get_mr(SEL_USER_EXCEPTION_VALUE);
    CHECK(value == 0xc0001073 || value == 0);
    CHECK_EQ(s.step, 0);

    /* A reply of two words sets pc and sp: skip the instruction. */
    sel_set_mr(0, pc + 4);
    sel_set_mr(1, s.sp);
    sel_reply(sel_msginfo_new(0, 0, 0, 2));
    CHECK_EQ(s.step, 1);
}

TEST(fault_breakpoint_is_user_exception)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, execute_breakpoint);
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_USER_EXCEPTION);
    CHECK_EQ(sel_get_mr(SEL_USER_EXCEPTION_PC), (sel_word_t)(uintptr_t)fault_test_breakpoint_insn);
    CHECK_EQ(sel_get_mr(SEL_USER_EXCEPTION_CAUSE), CAUSE_BREAKPOINT);
    CHECK_EQ(s.step, 0);
}

TEST(fault_unknown_syscall_reports_registers_and_reply_resumes)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    CHECK_OK(sel_thread_create(env->alloc, &t, false, HIGHER, fault_ep, unknown_syscall, (void *)0x42));
    CHECK_OK(sel_thread_start(&t));
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_UNKNOWN_SYSCALL);
    CHECK_EQ(sel_msginfo_length(info), SEL_UNKNOWN_SYSCALL_LENGTH);
    CHECK_EQ(s.step, 0);
    sel_word_t pc = sel_get_mr(SEL_UNKNOWN_SYSCALL_PC);
    CHECK_EQ(pc, (sel_word_t)(uintptr_t)fault_test_syscall_ecall);
    CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_SP), fault_test_syscall_sp);
    for (int i = 0; i < 7; i++)
        CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_A0 + i), 0xa0 + i);
    CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_A7), 0x42);
    CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_NUMBER), 0x42);

    /* Set pc past the ecall, keep sp and ra, return 0x5555 in a0. */
    sel_set_mr(0, pc + 4);
    sel_set_mr(3, 0x5555);
    sel_reply(sel_msginfo_new(0, 0, 0, 4));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.result, 0x5555);
}

/* -10 lies inside the range of syscall numbers but names none. */
TEST(fault_unassigned_syscall_number_is_unknown_syscall)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    CHECK_OK(sel_thread_create(env->alloc, &t, false, HIGHER, fault_ep, unknown_syscall, (void *)(uintptr_t)-10));
    CHECK_OK(sel_thread_start(&t));
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_UNKNOWN_SYSCALL);
    sel_word_t pc = sel_get_mr(SEL_UNKNOWN_SYSCALL_PC);
    CHECK_EQ(pc, (sel_word_t)(uintptr_t)fault_test_syscall_ecall);
    CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_NUMBER), (sel_word_t)-10);
    CHECK_EQ(sel_get_mr(SEL_UNKNOWN_SYSCALL_A7), (sel_word_t)-10);

    /* A one-word reply sets only the pc: a0 keeps its value. */
    sel_set_mr(0, pc + 4);
    sel_reply(sel_msginfo_new(0, 0, 0, 1));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.result, 0xa0);
}

static void send_to_addr_slot(void *arg)
{
    sel_send((sel_cptr_t)s.addr, sel_msginfo_new(0x21, 0, 0, 0));
    s.step = 1;
}

/* The handler puts an endpoint in the slot the thread named; the restarted Send then goes through. */
TEST(fault_cap_fault_reply_retries_syscall)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.addr = test_slot(env);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, send_to_addr_slot);
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), s.addr);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), 0);

    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, s.addr, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS));
    sel_reply(sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(s.step, 0);    /* blocked in the retried Send */
    info = sel_recv(ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x21);
    CHECK_EQ(s.step, 1);
}

TEST(fault_endpoint_badge_tells_faulting_threads_apart)
{
    reset();
    s.addr = UNMAPPED;
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t a, b;
    start_with_fault_ep(env, &a, HIGHER, mint(env, fault_ep, SEL_ALL_RIGHTS, 0xa), load_from_addr);
    start_with_fault_ep(env, &b, HIGHER, mint(env, fault_ep, SEL_ALL_RIGHTS, 0xb), load_from_addr);
    check_vm_fault(fault_ep, 0xa, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);
    check_vm_fault(fault_ep, 0xb, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);
}

/*
 * Without a fault endpoint the thread is suspended (the kernel prints a
 * line) and the rest carries on.  Given a handler and resumed, it faults
 * again at the same instruction.
 */
TEST(fault_without_handler_suspends_thread)
{
    reset();
    s.addr = UNMAPPED + 0x40;
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, load_from_addr, NULL);
    CHECK_EQ(s.step, 0);

    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_OK(sel_tcb_set_space(t.tcb, fault_ep, SEL_CAP_INIT_CNODE, 0, SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_tcb_resume(t.tcb));
    check_vm_fault(fault_ep, 0, fault_test_load_insn, s.addr, 0, CAUSE_LOAD_PAGE_FAULT);
    CHECK_EQ(s.step, 0);
}
