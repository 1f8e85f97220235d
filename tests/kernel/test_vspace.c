/*
 * Address spaces: Frame Map / Unmap / GetAddress, PageTable Map / Unmap,
 * ASIDControl MakePool and ASIDPool Assign.
 *
 * Whether an address translates is checked by a probe: a thread that makes
 * one access and reports PROBE_DONE on its fault endpoint, so a VM fault
 * arrives there instead.  Addresses from REGION up are free in the root
 * task's address space (libsel uses 0x1000000000 and 0x2000000000), and the
 * page tables that cover them are the test's, gone when it ends.
 */
#include "test.h"

#include <string.h>

#define REGION      0x3000000000ull
#define PAGE        4096ull
#define LARGE_PAGE  (1ull << SEL_LARGE_PAGE_BITS)
#define HUGE_PAGE   (1ull << SEL_HUGE_PAGE_BITS)

/* scause values in SEL_VM_FAULT_FSR. */
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15

/* RV64 instructions for code the tests write into pages. */
#define INSN_LI_A0_42     0x02a00513u   /* addi a0, zero, 42 */
#define INSN_RET          0x00008067u   /* jalr zero, 0(ra) */
#define INSN_SD_A0_0_A1   0x00a5b023u   /* sd a0, 0(a1) */
#define INSN_LD_T0_0_A2   0x00063283u   /* ld t0, 0(a2) */
#define INSN_J_SELF       0x0000006fu   /* jal zero, 0 */

/* ---- helpers ---------------------------------------------------------------- */

static sel_cptr_t copy_of(struct test_env *env, sel_cptr_t cap, sel_rights_t rights)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, cap, SEL_WORD_BITS,
                            rights));
    return slot;
}

/* Maps frame, adding the page tables it needs. */
static void map(struct test_env *env, sel_cptr_t frame, sel_cptr_t vspace, sel_word_t vaddr, sel_rights_t rights,
                sel_word_t attributes)
{
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, vspace, vaddr, rights, attributes));
}

/* A fresh VSpace root (ASID from the root task's pool) without page tables. */
static sel_cptr_t new_vspace(struct test_env *env)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, pt));
    return pt;
}

static void put_code(volatile uint32_t *at, const uint32_t *code, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        at[i] = code[i];
    __asm__ volatile("fence.i" ::: "memory");
}

enum probe_op { PROBE_READ, PROBE_WRITE, PROBE_EXEC };
#define PROBE_DONE 0x600d

struct probe {
    enum probe_op op;
    sel_word_t addr;
    sel_word_t value;   /* stored by PROBE_WRITE; what PROBE_READ loaded or PROBE_EXEC returned */
    sel_cptr_t ep;      /* the probe's fault endpoint, where it also reports PROBE_DONE */
    sel_thread_t thread;
};

/* What arrived at the probe's endpoint: PROBE_DONE or a fault type, and the fault's words. */
struct probe_msg {
    sel_word_t label;
    sel_word_t mr[SEL_VM_FAULT_LENGTH];
};

static void probe_main(void *arg)
{
    struct probe *p = arg;
    switch (p->op) {
    case PROBE_READ:
        p->value = *(volatile sel_word_t *)p->addr;
        break;
    case PROBE_WRITE:
        *(volatile sel_word_t *)p->addr = p->value;
        break;
    case PROBE_EXEC:
        __asm__ volatile("fence.i" ::: "memory");
        p->value = ((sel_word_t(*)(void))p->addr)();
        break;
    }
    sel_send(p->ep, sel_msginfo_new(PROBE_DONE, 0, 0, 0));
}

/* Creates (not starts) a probe thread; with new_vspace, p must not live on the test's stack. */
static void probe_create(struct test_env *env, struct probe *p, bool new_vspace, enum probe_op op, sel_word_t addr,
                         sel_word_t value)
{
    p->op = op;
    p->addr = addr;
    p->value = value;
    p->ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_error_t err = sel_thread_create(env->alloc, &p->thread, new_vspace, TEST_PRIORITY + 1, p->ep, probe_main, p);
    if (err)
        test_fail(__FILE__, __LINE__, "cannot create the probe: %s", sel_error_name(err));
}

/* Waits for the probe's next message. */
static struct probe_msg probe_wait(struct probe *p)
{
    struct probe_msg m = { 0 };
    m.label = sel_msginfo_label(sel_recv(p->ep, NULL));
    for (int i = 0; i < SEL_VM_FAULT_LENGTH; i++)
        m.mr[i] = sel_get_mr(i);
    return m;
}

/* Answers the probe's fault: restart it (after fixing the mapping) or leave it stopped. */
static void probe_restart(void) { sel_reply(sel_msginfo_new(0, 0, 0, 0)); }
static void probe_stop(void) { sel_reply(sel_msginfo_new(1, 0, 0, 0)); }

/* Makes one access from a thread in the root task's address space; a faulting probe is left stopped. */
static struct probe_msg probe_run(struct test_env *env, struct probe *p, enum probe_op op, sel_word_t addr,
                                  sel_word_t value)
{
    probe_create(env, p, false, op, addr, value);
    CHECK_OK(sel_thread_start(&p->thread));
    struct probe_msg m = probe_wait(p);
    if (m.label != PROBE_DONE)
        probe_stop();
    return m;
}

#define CHECK_VM_FAULT(m, addr_, cause)                                                                \
    do {                                                                                               \
        CHECK_EQ((m).label, SEL_FAULT_VM);                                                             \
        CHECK_EQ((m).mr[SEL_VM_FAULT_ADDR], (addr_));                                                  \
        CHECK_EQ((m).mr[SEL_VM_FAULT_FSR], (cause));                                                   \
        CHECK_EQ((m).mr[SEL_VM_FAULT_PREFETCH], (cause) == CAUSE_FETCH_PAGE_FAULT);                    \
    } while (0)

/*
 * A thread with no IPC buffer that starts at pc in vspace with a0..a2 set;
 * its faults go to ep.  Not started.
 */
static sel_cptr_t bare_thread(struct test_env *env, sel_cptr_t vspace, sel_cptr_t ep, sel_word_t pc, sel_word_t a0,
                              sel_word_t a1, sel_word_t a2)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    CHECK_OK(sel_tcb_configure(tcb, ep, SEL_CAP_INIT_CNODE, 0, vspace, 0, 0));
    CHECK_OK(sel_tcb_set_sched_params(tcb, SEL_CAP_INIT_TCB, TEST_PRIORITY + 1, TEST_PRIORITY + 1));
    sel_user_context_t regs = { 0 };
    regs.pc = pc;
    regs.a0 = a0;
    regs.a1 = a1;
    regs.a2 = a2;
    CHECK_OK(sel_tcb_write_registers(tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
    return tcb;
}

/* ---- Frame Map ---------------------------------------------------------------- */

TEST(frame_map_4k_read_write)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    volatile sel_word_t *p = (volatile sel_word_t *)REGION;
    CHECK_EQ(p[0], 0);      /* new frames are zeroed */
    CHECK_EQ(p[511], 0);
    p[0] = 0x1111;
    p[511] = 0x2222;
    /* Another thread sees the same memory at the same address. */
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, REGION + 511 * 8, 0);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(pr.value, 0x2222);
    m = probe_run(env, &pr, PROBE_WRITE, REGION + 8, 0x3333);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(p[1], 0x3333);
}

TEST(frame_map_2m_large_page)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_2M_OBJECT, 0);
    sel_word_t vaddr = REGION + LARGE_PAGE;
    map(env, frame, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    volatile sel_word_t *p = (volatile sel_word_t *)vaddr;
    p[0] = 0xa;
    p[LARGE_PAGE / 8 - 1] = 0xb;
    CHECK_EQ(p[0], 0xa);
    CHECK_EQ(p[LARGE_PAGE / 8 - 1], 0xb);
    sel_word_t paddr;
    CHECK_OK(sel_frame_get_address(frame, &paddr));
    CHECK_EQ(paddr % LARGE_PAGE, 0);
    /* One mapping covers the whole 2 MiB: a 4 KiB page cannot go inside it. */
    sel_cptr_t small = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_ERR(sel_frame_map(small, SEL_CAP_INIT_VSPACE, vaddr + 5 * PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER),
              SEL_DELETE_FIRST);
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, vaddr + LARGE_PAGE - 8, 0);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(pr.value, 0xb);
    /* Past its end nothing is mapped. */
    m = probe_run(env, &pr, PROBE_READ, vaddr + LARGE_PAGE, 0);
    CHECK_VM_FAULT(m, vaddr + LARGE_PAGE, CAUSE_LOAD_PAGE_FAULT);
}

TEST(frame_map_read_only_write_faults)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t writable = copy_of(env, frame, SEL_ALL_RIGHTS);
    map(env, writable, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)REGION = 77;
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, REGION + PAGE, 0);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(pr.value, 77);
    m = probe_run(env, &pr, PROBE_WRITE, REGION + PAGE, 88);
    CHECK_VM_FAULT(m, REGION + PAGE, CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(*(volatile sel_word_t *)REGION, 77);
}

TEST(frame_map_rights_reduced_to_the_caps)
{
    /* A read-only cap asked for a read-write mapping gives a read-only one. */
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t read_only = copy_of(env, frame, SEL_CAN_READ);
    CHECK_OK(sel_alloc_map_frame(env->alloc, read_only, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_WRITE, REGION, 1);
    CHECK_VM_FAULT(m, REGION, CAUSE_STORE_PAGE_FAULT);
    m = probe_run(env, &pr, PROBE_READ, REGION, 0);
    CHECK_EQ(m.label, PROBE_DONE);
}

TEST(frame_map_execute_never)
{
    static const uint32_t code[] = { INSN_LI_A0_42, INSN_RET };
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    put_code((volatile uint32_t *)REGION, code, 2);
    sel_cptr_t exec = copy_of(env, frame, SEL_ALL_RIGHTS);
    map(env, exec, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_CAN_READ, SEL_VM_DEFAULT);

    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_EXEC, REGION + PAGE, 0);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(pr.value, 42);
    /* The same code through the execute-never mapping. */
    m = probe_run(env, &pr, PROBE_EXEC, REGION, 0);
    CHECK_VM_FAULT(m, REGION, CAUSE_FETCH_PAGE_FAULT);
    CHECK_EQ(m.mr[SEL_VM_FAULT_PC], REGION);
}

TEST(frame_map_write_without_read_is_not_writable)
{
    /* RISC-V has no write-only pages: W without R maps neither R nor W (frame.c). */
    static const uint32_t code[] = { INSN_LI_A0_42, INSN_RET };
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    put_code((volatile uint32_t *)REGION, code, 2);

    /* Neither readable, writable nor executable: no such page. */
    sel_cptr_t nothing = copy_of(env, frame, SEL_ALL_RIGHTS);
    CHECK_ERR(sel_alloc_map_frame(env->alloc, nothing, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_CAN_WRITE,
                                  SEL_VM_EXECUTE_NEVER),
              SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 1);   /* the rights */

    /* Executable: an execute-only page. */
    map(env, nothing, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_CAN_WRITE, SEL_VM_DEFAULT);
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_WRITE, REGION + PAGE + 64, 1);
    CHECK_VM_FAULT(m, REGION + PAGE + 64, CAUSE_STORE_PAGE_FAULT);
    m = probe_run(env, &pr, PROBE_READ, REGION + PAGE, 0);
    CHECK_VM_FAULT(m, REGION + PAGE, CAUSE_LOAD_PAGE_FAULT);
    m = probe_run(env, &pr, PROBE_EXEC, REGION + PAGE, 0);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(pr.value, 42);
    CHECK_EQ(*(volatile sel_word_t *)(REGION + 64), 0);
}

TEST(frame_map_missing_page_table_fails_lookup)
{
    sel_cptr_t vspace = new_vspace(env);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_word_t vaddr = 0x12345000;
    CHECK_ERR(sel_frame_map(frame, vspace, vaddr, SEL_READ_WRITE, SEL_VM_DEFAULT), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(sel_get_mr(2), 30);   /* the level below the root is missing */
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(pt, vspace, vaddr, SEL_VM_DEFAULT));
    CHECK_ERR(sel_frame_map(frame, vspace, vaddr, SEL_READ_WRITE, SEL_VM_DEFAULT), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(2), 21);   /* now the last level */
    /* Also in the root task's space, where nothing is mapped this high. */
    CHECK_ERR(sel_frame_map(frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_DEFAULT),
              SEL_FAILED_LOOKUP);
    /* A failed map leaves the cap unmapped: it maps elsewhere. */
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
}

TEST(frame_map_over_existing_mapping_delete_first)
{
    sel_cptr_t a = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t b = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, a, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)REGION = 5;
    CHECK_ERR(sel_frame_map(b, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER), SEL_DELETE_FIRST);
    /* Even a copy of the frame that is there. */
    sel_cptr_t a2 = copy_of(env, a, SEL_ALL_RIGHTS);
    CHECK_ERR(sel_frame_map(a2, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER), SEL_DELETE_FIRST);
    /* The existing mapping is untouched and b is still free to map. */
    CHECK_EQ(*(volatile sel_word_t *)REGION, 5);
    map(env, b, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    CHECK_EQ(*(volatile sel_word_t *)(REGION + PAGE), 0);
    /* A 2 MiB page over a page table that holds mappings. */
    sel_cptr_t large = test_object(env, SEL_FRAME_2M_OBJECT, 0);
    CHECK_ERR(sel_frame_map(large, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER),
              SEL_DELETE_FIRST);
    CHECK_EQ(*(volatile sel_word_t *)REGION, 5);
}

TEST(frame_map_misaligned_alignment_error)
{
    sel_cptr_t small = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t large = test_object(env, SEL_FRAME_2M_OBJECT, 0);
    map(env, small, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);   /* page tables */
    CHECK_OK(sel_frame_unmap(small));
    CHECK_ERR(sel_frame_map(small, SEL_CAP_INIT_VSPACE, REGION + 0x800, SEL_READ_WRITE, SEL_VM_DEFAULT),
              SEL_ALIGNMENT_ERROR);
    CHECK_ERR(sel_frame_map(small, SEL_CAP_INIT_VSPACE, REGION + 8, SEL_READ_WRITE, SEL_VM_DEFAULT),
              SEL_ALIGNMENT_ERROR);
    CHECK_ERR(sel_frame_map(large, SEL_CAP_INIT_VSPACE, REGION + 2 * LARGE_PAGE + PAGE, SEL_READ_WRITE,
                            SEL_VM_DEFAULT),
              SEL_ALIGNMENT_ERROR);
    /* Nothing was mapped: both still map at aligned addresses. */
    map(env, small, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    map(env, large, SEL_CAP_INIT_VSPACE, REGION + 2 * LARGE_PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
}

TEST(frame_map_beyond_user_space_invalid_argument)
{
    sel_cptr_t small = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t large = test_object(env, SEL_FRAME_2M_OBJECT, 0);
    static const sel_word_t bad[] = { SEL_USER_TOP, SEL_USER_TOP + LARGE_PAGE, 0x8000000000ull,
                                      0xffffffc000000000ull, 0xffffffffffe00000ull };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERR(sel_frame_map(small, SEL_CAP_INIT_VSPACE, bad[i], SEL_READ_WRITE, SEL_VM_DEFAULT),
                  SEL_INVALID_ARGUMENT);
        CHECK_EQ(sel_get_mr(0), 0);   /* the address */
        CHECK_ERR(sel_frame_map(large, SEL_CAP_INIT_VSPACE, bad[i], SEL_READ_WRITE, SEL_VM_DEFAULT),
                  SEL_INVALID_ARGUMENT);
    }
    /* The last page and the last large page below the top are fine. */
    map(env, small, SEL_CAP_INIT_VSPACE, SEL_USER_TOP - PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)(SEL_USER_TOP - 8) = 9;
    CHECK_EQ(*(volatile sel_word_t *)(SEL_USER_TOP - 8), 9);
    map(env, large, SEL_CAP_INIT_VSPACE, SEL_USER_TOP - 2 * LARGE_PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
}

TEST(frame_map_cap_mapped_elsewhere_invalid_capability)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    map(env, test_object(env, SEL_FRAME_4K_OBJECT, 0), SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_READ_WRITE,
        SEL_VM_EXECUTE_NEVER);   /* the page tables for REGION + 2 * PAGE */
    CHECK_ERR(sel_frame_map(frame, SEL_CAP_INIT_VSPACE, REGION + 2 * PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER),
              SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 0);   /* the frame cap itself */
    /* The same address in another address space is elsewhere too. */
    sel_cptr_t vspace = new_vspace(env);
    sel_cptr_t pt1 = test_object(env, SEL_PAGE_TABLE_OBJECT, 0), pt0 = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(pt1, vspace, REGION, SEL_VM_DEFAULT));
    CHECK_OK(sel_page_table_map(pt0, vspace, REGION, SEL_VM_DEFAULT));
    CHECK_ERR(sel_frame_map(frame, vspace, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER), SEL_INVALID_CAPABILITY);
    /* A copy maps fine, and shows the same memory. */
    sel_cptr_t copy = copy_of(env, frame, SEL_ALL_RIGHTS);
    CHECK_OK(sel_frame_map(copy, SEL_CAP_INIT_VSPACE, REGION + 2 * PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    *(volatile sel_word_t *)REGION = 0x5eed;
    CHECK_EQ(*(volatile sel_word_t *)(REGION + 2 * PAGE), 0x5eed);
}

TEST(frame_remap_same_place_changes_rights)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    volatile sel_word_t *p = (volatile sel_word_t *)REGION;
    p[0] = 1;   /* the TLB now holds a writable translation */

    /* Down to read-only: a write faults (the old translation was flushed). */
    CHECK_OK(sel_frame_map(frame, SEL_CAP_INIT_VSPACE, REGION, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER));
    struct probe pr;
    probe_create(env, &pr, false, PROBE_WRITE, REGION, 2);
    CHECK_OK(sel_thread_start(&pr.thread));
    struct probe_msg m = probe_wait(&pr);
    CHECK_VM_FAULT(m, REGION, CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(p[0], 1);

    /* Back to read-write, and the faulting store is retried and succeeds. */
    CHECK_OK(sel_frame_map(frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    probe_restart();
    m = probe_wait(&pr);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(p[0], 2);
}

/* ---- Frame Unmap, delete, GetAddress ------------------------------------------------ */

TEST(frame_unmap_then_access_faults)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_OK(sel_frame_unmap(frame));   /* never mapped: nothing to do */
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)REGION = 0xdada;   /* and in the TLB */
    CHECK_OK(sel_frame_unmap(frame));
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, REGION, 0);
    CHECK_VM_FAULT(m, REGION, CAUSE_LOAD_PAGE_FAULT);
    CHECK_OK(sel_frame_unmap(frame));   /* again: fine */
    /* The cap is free to map elsewhere, and the memory kept its contents. */
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER);
    CHECK_EQ(*(volatile sel_word_t *)(REGION + PAGE), 0xdada);
}

TEST(frame_delete_mapped_cap_unmaps)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    sel_cptr_t copy = copy_of(env, frame, SEL_ALL_RIGHTS);
    map(env, copy, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)(REGION + PAGE) = 0xcafe;
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS));
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, REGION + PAGE, 0);
    CHECK_VM_FAULT(m, REGION + PAGE, CAUSE_LOAD_PAGE_FAULT);
    /* The other cap's mapping stays. */
    CHECK_EQ(*(volatile sel_word_t *)REGION, 0xcafe);
}

TEST(frame_get_address_is_in_its_untyped)
{
    /* Retype the frame ourselves, to know which untyped it came from. */
    const sel_bootinfo_t *bi = env->bi;
    sel_cptr_t frame = test_slot(env);
    sel_cptr_t untyped = 0;
    for (unsigned i = 0; i < env->alloc->num_untypeds && !untyped; i++)
        if (sel_untyped_retype(env->alloc->untyped[i], SEL_FRAME_4K_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, frame, 1) ==
            SEL_NO_ERROR)
            untyped = env->alloc->untyped[i];
    CHECK(untyped != 0);
    const sel_untyped_desc_t *desc = &bi->untyped_list[untyped - bi->untyped.start];

    sel_word_t paddr, paddr2;
    CHECK_OK(sel_frame_get_address(frame, &paddr));
    CHECK(paddr >= desc->paddr);
    CHECK(paddr + PAGE <= desc->paddr + (1ull << desc->size_bits));
    CHECK_EQ(paddr % PAGE, 0);
    /* A copy, mapped or not, names the same memory. */
    sel_cptr_t copy = copy_of(env, frame, SEL_CAN_READ);
    map(env, copy, SEL_CAP_INIT_VSPACE, REGION, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER);
    CHECK_OK(sel_frame_get_address(copy, &paddr2));
    CHECK_EQ(paddr2, paddr);
    /* A second frame from the same untyped lies elsewhere. */
    sel_cptr_t other = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_FRAME_4K_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, other, 1));
    CHECK_OK(sel_frame_get_address(other, &paddr2));
    CHECK(paddr2 != paddr);
    CHECK(paddr2 >= desc->paddr && paddr2 + PAGE <= desc->paddr + (1ull << desc->size_bits));
}

/* ---- shared memory between address spaces ------------------------------------------ */

static struct probe shared_probe;   /* not on the stack: the probe runs in another address space */

TEST(frame_shared_between_address_spaces)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t copy = copy_of(env, frame, SEL_ALL_RIGHTS);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    /* In the other space at another address, where the root task has nothing. */
    sel_word_t there = REGION + 0x10000000;
    probe_create(env, &shared_probe, true, PROBE_WRITE, there + 16, 0xfeedface);
    map(env, copy, shared_probe.thread.vspace, there, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    volatile sel_word_t *p = (volatile sel_word_t *)REGION;
    CHECK_OK(sel_thread_start(&shared_probe.thread));
    struct probe_msg m = probe_wait(&shared_probe);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(p[2], 0xfeedface);

    /* And the other way: what we write, a reader over there sees. */
    p[3] = 0xbeef;
    probe_create(env, &shared_probe, true, PROBE_READ, there + 24, 0);
    sel_cptr_t copy2 = copy_of(env, frame, SEL_CAN_READ);
    map(env, copy2, shared_probe.thread.vspace, there, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER);
    CHECK_OK(sel_thread_start(&shared_probe.thread));
    m = probe_wait(&shared_probe);
    CHECK_EQ(m.label, PROBE_DONE);
    CHECK_EQ(shared_probe.value, 0xbeef);
}

/* ---- PageTable Map / Unmap ----------------------------------------------------------- */

TEST(page_table_map_each_level)
{
    sel_cptr_t vspace = new_vspace(env);
    sel_word_t vaddr = 0x40201000;
    sel_cptr_t pt1 = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t pt0 = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t pt_extra = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t small = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t large = test_object(env, SEL_FRAME_2M_OBJECT, 0);

    CHECK_OK(sel_page_table_map(pt1, vspace, vaddr, SEL_VM_DEFAULT));   /* the 1 GiB level */
    /* With it a 2 MiB page maps anywhere in that GiB. */
    CHECK_OK(sel_frame_map(large, vspace, 0x40000000 + 7 * LARGE_PAGE, SEL_READ_WRITE, SEL_VM_DEFAULT));
    CHECK_ERR(sel_frame_map(small, vspace, vaddr, SEL_READ_WRITE, SEL_VM_DEFAULT), SEL_FAILED_LOOKUP);
    CHECK_OK(sel_page_table_map(pt0, vspace, vaddr, SEL_VM_DEFAULT));   /* the 2 MiB level */
    CHECK_OK(sel_frame_map(small, vspace, vaddr, SEL_READ_WRITE, SEL_VM_DEFAULT));
    /* Every level there is present now. */
    CHECK_ERR(sel_page_table_map(pt_extra, vspace, vaddr, SEL_VM_DEFAULT), SEL_DELETE_FIRST);
    CHECK_ERR(sel_page_table_map(pt_extra, vspace, vaddr + 0x1000, SEL_VM_DEFAULT), SEL_DELETE_FIRST);
    /* Where a 2 MiB page is, no page table goes. */
    CHECK_ERR(sel_page_table_map(pt_extra, vspace, 0x40000000 + 7 * LARGE_PAGE, SEL_VM_DEFAULT), SEL_DELETE_FIRST);
    /* In another GiB the first level is missing again. */
    CHECK_OK(sel_page_table_map(pt_extra, vspace, 3 * HUGE_PAGE, SEL_VM_DEFAULT));
    CHECK_ERR(sel_frame_map(copy_of(env, small, SEL_ALL_RIGHTS), vspace, 3 * HUGE_PAGE, SEL_READ_WRITE,
                            SEL_VM_DEFAULT),
              SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(2), 21);
}

TEST(page_table_map_bad_arguments)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t mapped = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(mapped, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    /* Into something that is not a VSpace root: a mapped page table, one without ASID, a frame, a TCB. */
    CHECK_ERR(sel_page_table_map(pt, mapped, REGION + HUGE_PAGE, SEL_VM_DEFAULT), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    sel_cptr_t no_asid = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_ERR(sel_page_table_map(pt, no_asid, REGION + HUGE_PAGE, SEL_VM_DEFAULT), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_ERR(sel_page_table_map(pt, test_object(env, SEL_FRAME_4K_OBJECT, 0), REGION + HUGE_PAGE, SEL_VM_DEFAULT),
              SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_page_table_map(pt, env->tcb, REGION + HUGE_PAGE, SEL_VM_DEFAULT), SEL_INVALID_CAPABILITY);
    /* A page table that is already mapped, or is a VSpace root. */
    CHECK_ERR(sel_page_table_map(mapped, SEL_CAP_INIT_VSPACE, REGION + HUGE_PAGE, SEL_VM_DEFAULT),
              SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_ERR(sel_page_table_map(new_vspace(env), SEL_CAP_INIT_VSPACE, REGION + HUGE_PAGE, SEL_VM_DEFAULT),
              SEL_INVALID_CAPABILITY);
    /* Outside user space. */
    CHECK_ERR(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, SEL_USER_TOP, SEL_VM_DEFAULT), SEL_INVALID_ARGUMENT);
    CHECK_ERR(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, 0xffffffc000000000ull, SEL_VM_DEFAULT),
              SEL_INVALID_ARGUMENT);
    /* pt is unharmed by all that. */
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, REGION + HUGE_PAGE, SEL_VM_DEFAULT));
}

TEST(page_table_unmap_needs_the_final_cap)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    sel_cptr_t copy = copy_of(env, pt, SEL_ALL_RIGHTS);
    CHECK_ERR(sel_page_table_unmap(pt), SEL_REVOKE_FIRST);
    CHECK_ERR(sel_page_table_unmap(copy), SEL_REVOKE_FIRST);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS));
    CHECK_OK(sel_page_table_unmap(pt));
    CHECK_OK(sel_page_table_unmap(pt));   /* unmapped already: nothing to do */
    /* The level is free again. */
    sel_cptr_t other = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(other, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    /* A VSpace root is not mapped anywhere: it cannot be unmapped. */
    CHECK_ERR(sel_page_table_unmap(new_vspace(env)), SEL_ILLEGAL_OPERATION);
}

TEST(page_table_unmap_removes_its_mappings)
{
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, SEL_CAP_INIT_VSPACE, REGION + 3 * PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)(REGION + 3 * PAGE) = 0x77;   /* in the TLB */
    /* Our own last-level table for the next 2 MiB, with a mapping in it. */
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_word_t base = REGION + LARGE_PAGE;
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, base, SEL_VM_DEFAULT));
    sel_cptr_t copy = copy_of(env, frame, SEL_ALL_RIGHTS);
    CHECK_OK(sel_frame_map(copy, SEL_CAP_INIT_VSPACE, base + 5 * PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    CHECK_EQ(*(volatile sel_word_t *)(base + 5 * PAGE), 0x77);

    CHECK_OK(sel_page_table_unmap(pt));
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, base + 5 * PAGE, 0);
    CHECK_VM_FAULT(m, base + 5 * PAGE, CAUSE_LOAD_PAGE_FAULT);
    /* Mapped again elsewhere, it does not bring the old mapping with it. */
    sel_word_t base2 = REGION + 4 * LARGE_PAGE;
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, base2, SEL_VM_DEFAULT));
    m = probe_run(env, &pr, PROBE_READ, base2 + 5 * PAGE, 0);
    CHECK_VM_FAULT(m, base2 + 5 * PAGE, CAUSE_LOAD_PAGE_FAULT);
    /* Mappings through other tables are unaffected. */
    CHECK_EQ(*(volatile sel_word_t *)(REGION + 3 * PAGE), 0x77);
}

TEST(page_table_delete_removes_its_mappings)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_word_t base = REGION + LARGE_PAGE;
    /* The first level is the allocator's; pt is the last. */
    map(env, test_object(env, SEL_FRAME_4K_OBJECT, 0), SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE,
        SEL_VM_EXECUTE_NEVER);
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, base, SEL_VM_DEFAULT));
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    CHECK_OK(sel_frame_map(frame, SEL_CAP_INIT_VSPACE, base, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    *(volatile sel_word_t *)base = 1;
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, pt, SEL_WORD_BITS));
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, base, 0);
    CHECK_VM_FAULT(m, base, CAUSE_LOAD_PAGE_FAULT);
    /* The frame cap still thinks it is mapped there; unmapping it is harmless. */
    CHECK_OK(sel_frame_unmap(frame));
}

TEST(page_table_copy_unmapped_illegal_operation)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t slot = test_slot(env);
    CHECK_ERR(sel_cnode_copy(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, pt, SEL_WORD_BITS,
                             SEL_ALL_RIGHTS),
              SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, pt, SEL_WORD_BITS,
                             SEL_ALL_RIGHTS, 0),
              SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NULL);
    /* Mapped, or a VSpace root, it can be copied. */
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, pt, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS));
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_PAGE_TABLE);
    copy_of(env, new_vspace(env), SEL_ALL_RIGHTS);
    /* Moving an unmapped one is fine: it makes no second cap. */
    sel_cptr_t fresh = test_object(env, SEL_PAGE_TABLE_OBJECT, 0), moved = test_slot(env);
    CHECK_OK(sel_cnode_move(SEL_CAP_INIT_CNODE, moved, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, fresh, SEL_WORD_BITS));
    CHECK_EQ(sel_debug_cap_identify(moved), SEL_CAP_TYPE_PAGE_TABLE);
}

/* ---- ASID control and pools ---------------------------------------------------------- */

TEST(asid_make_pool_and_assign)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS);
    sel_cptr_t pool = test_slot(env);
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    CHECK_EQ(sel_debug_cap_identify(pool), SEL_CAP_TYPE_ASID_POOL);
    /* The untyped is used up. */
    sel_cptr_t slot = test_slot(env);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, slot, 1),
              SEL_NOT_ENOUGH_MEMORY);
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_REVOKE_FIRST);
    /* A page table assigned from the new pool is a VSpace root: frames map into it. */
    sel_cptr_t vspace = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(pool, vspace));
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, vspace, 0x10000, SEL_READ_WRITE, SEL_VM_DEFAULT);
    CHECK_ERR(sel_frame_map(copy_of(env, frame, SEL_ALL_RIGHTS), vspace, 0x10000, SEL_READ_WRITE, SEL_VM_DEFAULT),
              SEL_DELETE_FIRST);
}

TEST(asid_make_pool_needs_an_unused_4k_untyped)
{
    sel_cptr_t slot = test_slot(env);
    sel_cptr_t big = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS + 1);
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, big, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    sel_cptr_t small = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS - 1);
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, small, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, test_object(env, SEL_ENDPOINT_OBJECT, 0),
                                         SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_INVALID_CAPABILITY);
    /* Used: an object was retyped from it. */
    sel_cptr_t used = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS);
    sel_cptr_t child = test_slot(env);
    CHECK_OK(sel_untyped_retype(used, SEL_ENDPOINT_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, child, 1));
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, used, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS),
              SEL_REVOKE_FIRST);
    /* Once the child is gone it is unused again. */
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, child, SEL_WORD_BITS));
    /* An occupied destination. */
    CHECK_ERR(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, used, SEL_CAP_INIT_CNODE, big, SEL_WORD_BITS),
              SEL_DELETE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, used, SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS));
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_ASID_POOL);
}

TEST(asid_assign_twice_or_to_non_page_table_fails)
{
    sel_cptr_t pt = new_vspace(env);
    CHECK_ERR(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, pt), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 1);
    sel_cptr_t mapped = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(mapped, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    CHECK_ERR(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, mapped), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, test_object(env, SEL_FRAME_4K_OBJECT, 0)),
              SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, SEL_CAP_INIT_VSPACE), SEL_INVALID_CAPABILITY);
    /* The root task's VSpace is untouched. */
    map(env, test_object(env, SEL_FRAME_4K_OBJECT, 0), SEL_CAP_INIT_VSPACE, REGION + HUGE_PAGE, SEL_READ_WRITE,
        SEL_VM_EXECUTE_NEVER);
    *(volatile sel_word_t *)(REGION + HUGE_PAGE) = 1;
}

TEST(asid_pool_full_delete_first)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS);
    sel_cptr_t pool = test_slot(env);
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    /* 512 page tables in consecutive slots. */
    sel_cptr_t memory = test_object(env, SEL_UNTYPED_OBJECT, SEL_PAGE_TABLE_BITS + 9);
    sel_cptr_t first = test_slot(env);
    for (unsigned i = 1; i < SEL_ASID_POOL_ENTRIES; i++)
        CHECK_EQ(test_slot(env), first + i);
    for (unsigned i = 0; i < SEL_ASID_POOL_ENTRIES; i += SEL_RETYPE_MAX_OBJECTS)
        CHECK_OK(sel_untyped_retype(memory, SEL_PAGE_TABLE_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, first + i,
                                    SEL_RETYPE_MAX_OBJECTS));
    for (unsigned i = 0; i < SEL_ASID_POOL_ENTRIES; i++)
        CHECK_OK(sel_asid_pool_assign(pool, first + i));
    sel_cptr_t one_more = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_ERR(sel_asid_pool_assign(pool, one_more), SEL_DELETE_FIRST);
    /* Deleting a VSpace root frees its ASID. */
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, first + 100, SEL_WORD_BITS));
    CHECK_OK(sel_asid_pool_assign(pool, one_more));
    map(env, test_object(env, SEL_FRAME_4K_OBJECT, 0), one_more, 0x10000, SEL_READ_WRITE, SEL_VM_DEFAULT);
}

TEST(asid_pool_delete_invalidates_its_vspaces)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS);
    sel_cptr_t pool = test_slot(env);
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    sel_cptr_t vspace = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(pool, vspace));
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_page_table_map(pt, vspace, 0, SEL_VM_DEFAULT));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    /* The page table is no longer a usable VSpace root. */
    sel_cptr_t pt2 = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_ERR(sel_page_table_map(pt2, vspace, HUGE_PAGE, SEL_VM_DEFAULT), SEL_INVALID_CAPABILITY);
    /* A new pool from the same (now unused) untyped works, and the old root cannot be assigned twice. */
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    CHECK_ERR(sel_asid_pool_assign(pool, vspace), SEL_INVALID_CAPABILITY);
    sel_cptr_t fresh = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(pool, fresh));
    CHECK_OK(sel_page_table_map(pt2, fresh, HUGE_PAGE, SEL_VM_DEFAULT));
    /* pt was mapped in the dead space: unmapping it is harmless, and then it maps again. */
    CHECK_OK(sel_page_table_unmap(pt));
    CHECK_OK(sel_page_table_map(pt, fresh, 0, SEL_VM_DEFAULT));
}

TEST(tcb_configure_needs_a_vspace_root_with_asid)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_ERR(sel_tcb_configure(tcb, 0, SEL_CAP_INIT_CNODE, 0, pt, 0, 0), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_get_mr(0), 2);   /* the VSpace cap */
    CHECK_ERR(sel_tcb_set_space(tcb, 0, SEL_CAP_INIT_CNODE, 0, pt), SEL_INVALID_CAPABILITY);
    /* A mapped (non-root) page table is no better. */
    CHECK_OK(sel_page_table_map(pt, SEL_CAP_INIT_VSPACE, REGION, SEL_VM_DEFAULT));
    CHECK_ERR(sel_tcb_configure(tcb, 0, SEL_CAP_INIT_CNODE, 0, pt, 0, 0), SEL_INVALID_CAPABILITY);
    /* With an ASID it is fine. */
    sel_cptr_t root = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, root));
    CHECK_OK(sel_tcb_configure(tcb, 0, SEL_CAP_INIT_CNODE, 0, root, 0, 0));
}

/* ---- threads in address spaces of their own -------------------------------------------- */

/* Addresses in the bare thread's space; the root task has nothing there. */
#define BARE_CODE  0x3400000000ull
#define BARE_DATA  (BARE_CODE + PAGE)
#define BARE_HOLE  (BARE_CODE + 2 * PAGE)   /* never mapped */

/*
 * A VSpace root from pool with code (RX) at BARE_CODE and data (RW) at
 * BARE_DATA, both also mapped read-write in the root task at REGION and
 * REGION + PAGE.
 */
static sel_cptr_t bare_vspace(struct test_env *env, sel_cptr_t pool, const uint32_t *code, unsigned n)
{
    sel_cptr_t vspace = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(pool, vspace));
    sel_cptr_t code_frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t data_frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, code_frame, SEL_CAP_INIT_VSPACE, REGION, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    map(env, data_frame, SEL_CAP_INIT_VSPACE, REGION + PAGE, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    put_code((volatile uint32_t *)REGION, code, n);
    map(env, copy_of(env, code_frame, SEL_ALL_RIGHTS), vspace, BARE_CODE, SEL_CAN_READ, SEL_VM_DEFAULT);
    map(env, copy_of(env, data_frame, SEL_ALL_RIGHTS), vspace, BARE_DATA, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    return vspace;
}

TEST(asid_assigned_vspace_runs_a_thread)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, SEL_ASID_POOL_BITS);
    sel_cptr_t pool = test_slot(env);
    CHECK_OK(sel_asid_control_make_pool(SEL_CAP_ASID_CONTROL, untyped, SEL_CAP_INIT_CNODE, pool, SEL_WORD_BITS));
    /* Store a0 at a1, then load from a2, which is not mapped. */
    static const uint32_t code[] = { INSN_SD_A0_0_A1, INSN_LD_T0_0_A2, INSN_J_SELF };
    sel_cptr_t vspace = bare_vspace(env, pool, code, 3);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t tcb = bare_thread(env, vspace, ep, BARE_CODE, 0x1234abcd, BARE_DATA + 8, BARE_HOLE);
    CHECK_OK(sel_tcb_resume(tcb));
    sel_msginfo_t info = sel_recv(ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PC), BARE_CODE + 4);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), BARE_HOLE);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_FSR), CAUSE_LOAD_PAGE_FAULT);
    CHECK_EQ(((volatile sel_word_t *)(REGION + PAGE))[1], 0x1234abcd);
    probe_stop();
    /* The thread's BARE_DATA is not ours: the root task has nothing there. */
    struct probe pr;
    struct probe_msg m = probe_run(env, &pr, PROBE_READ, BARE_DATA, 0);
    CHECK_VM_FAULT(m, BARE_DATA, CAUSE_LOAD_PAGE_FAULT);
}

TEST(vspace_delete_root_of_blocked_thread_faults_it)
{
    static const uint32_t code[] = { INSN_SD_A0_0_A1, INSN_LD_T0_0_A2, INSN_J_SELF };
    sel_cptr_t vspace = bare_vspace(env, SEL_CAP_INIT_ASID_POOL, code, 3);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t tcb = bare_thread(env, vspace, ep, BARE_CODE, 1, BARE_DATA, BARE_HOLE);
    CHECK_OK(sel_tcb_resume(tcb));
    CHECK_EQ(sel_msginfo_label(sel_recv(ep, NULL)), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), BARE_HOLE);
    /* Every cap to the root goes: the TCB's copy by revoking, then the original. */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, vspace, SEL_WORD_BITS));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, vspace, SEL_WORD_BITS));
    /* Restarted, the thread cannot even fetch its instruction. */
    probe_restart();
    CHECK_EQ(sel_msginfo_label(sel_recv(ep, NULL)), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PC), BARE_CODE + 4);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PREFETCH), 1);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), BARE_CODE + 4);
    probe_stop();
}

TEST(vspace_delete_root_of_running_thread_faults_it)
{
    /* The thread spins on the other hart in its address space while we destroy it. */
    CHECK(env->bi->num_harts >= 2);
    sel_word_t other_hart = test_other_hart(env);
    static const uint32_t code[] = { INSN_SD_A0_0_A1, INSN_J_SELF };
    sel_cptr_t vspace = bare_vspace(env, SEL_CAP_INIT_ASID_POOL, code, 2);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t tcb = bare_thread(env, vspace, ep, BARE_CODE, 1, BARE_DATA, 0);
    CHECK_OK(sel_tcb_set_affinity(tcb, other_hart));
    CHECK_OK(sel_tcb_resume(tcb));
    CHECK(test_wait_flag((volatile int *)(REGION + PAGE)));   /* it is running */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, vspace, SEL_WORD_BITS));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, vspace, SEL_WORD_BITS));
    CHECK_EQ(sel_msginfo_label(sel_recv(ep, NULL)), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PC), BARE_CODE + 4);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PREFETCH), 1);
    probe_stop();
}

/* ---- unmapping under a thread that runs on the other hart --------------------------------- */

#define SHOOTDOWN_VADDR 0x3200000000ull

static volatile struct {
    sel_word_t reads;
    int stop;
} reader;

/* On the other hart, in an address space of its own: reads the page in a loop (its TLB keeps it). */
static void read_forever(void *arg)
{
    (void)arg;
    volatile sel_word_t *page = (volatile sel_word_t *)SHOOTDOWN_VADDR;
    while (!reader.stop) {
        (void)*page;
        reader.reads++;
    }
    for (;;)
        ;
}

/*
 * Unmapping the page must reach that hart's TLB (the kernel's remote
 * fence): its next read faults, at most one read after the Unmap returned.
 * Without the shootdown it would go on reading the old frame.
 */
TEST(frame_unmap_reaches_the_tlb_of_a_thread_on_the_other_hart)
{
    CHECK(env->bi->num_harts >= 2);
    memset((void *)&reader, 0, sizeof(reader));
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    CHECK_OK(sel_thread_create(env->alloc, &t, true, TEST_PRIORITY, fault_ep, read_forever, NULL));
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    map(env, frame, t.vspace, SHOOTDOWN_VADDR, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    sel_word_t start = test_rdtime();
    while (reader.reads < 100000 && test_rdtime() - start < env->bi->timebase_frequency)
        ;
    CHECK(reader.reads >= 100000);   /* it runs, with the page in its TLB */

    CHECK_OK(sel_frame_unmap(frame));
    sel_word_t at_unmap = reader.reads;
    /* Its fault comes (polled, so a kernel that misses the TLB fails here instead of hanging). */
    sel_msginfo_t info = { { 0 } };
    sel_word_t badge = 0;
    start = test_rdtime();
    do
        info = sel_nb_recv(fault_ep, &badge);
    while (sel_msginfo_label(info) == 0 && test_rdtime() - start < env->bi->timebase_frequency);
    reader.stop = 1;
    sel_word_t after = reader.reads - at_unmap;
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_ADDR), SHOOTDOWN_VADDR);
    CHECK(after <= 1);
}
