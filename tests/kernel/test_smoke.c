/* Basic checks that the environment itself works. */
#include "test.h"

TEST(boot_info_is_sane)
{
    const sel_bootinfo_t *bi = env->bi;
    CHECK_EQ(bi->magic, SEL_BOOTINFO_MAGIC);
    CHECK(bi->num_harts >= 1 && bi->num_harts <= SEL_MAX_HARTS);
    CHECK(bi->untyped.end - bi->untyped.start == bi->num_untypeds);
    CHECK(bi->empty.start < bi->empty.end);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_INIT_CNODE), SEL_CAP_TYPE_CNODE);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_INIT_TCB), SEL_CAP_TYPE_TCB);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_INIT_VSPACE), SEL_CAP_TYPE_PAGE_TABLE);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_IRQ_CONTROL), SEL_CAP_TYPE_IRQ_CONTROL);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_ASID_CONTROL), SEL_CAP_TYPE_ASID_CONTROL);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_INIT_ASID_POOL), SEL_CAP_TYPE_ASID_POOL);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_BOOTINFO_FRAME), SEL_CAP_TYPE_FRAME);
    CHECK_EQ(sel_debug_cap_identify(bi->untyped.start), SEL_CAP_TYPE_UNTYPED);
    CHECK_EQ(sel_debug_cap_identify(bi->empty.end - 1), SEL_CAP_TYPE_NULL);
}

static volatile int ran;
static void set_flag(void *arg) { ran = (int)(sel_word_t)arg; }

TEST(thread_runs_in_same_and_new_address_space)
{
    sel_thread_t a, b;
    ran = 0;
    test_thread_start(env, &a, TEST_PRIORITY + 1, false, set_flag, (void *)1);
    CHECK_EQ(ran, 1);   /* higher priority: it ran before we got back */
    ran = 0;
    test_thread_start(env, &b, TEST_PRIORITY + 1, true, set_flag, (void *)2);
    CHECK_EQ(ran, 2);
}
