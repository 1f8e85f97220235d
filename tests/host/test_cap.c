/*
 * Host tests of kernel/core/cap.c, built from the kernel source unchanged:
 * cap_same_object, cap_is_final, cap_delete and cap_revoke.  What deleting a
 * cap does to its object (endpoint_cancel_all, tcb_destroy, ...) is object
 * code, replaced here by the recording stubs of kernel_stubs.c: these tests
 * check which of them cap.c calls, and with what.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/notification.h>

#include "kernel_stubs.h"

static int reset(void **state)
{
    stub_reset();
    return 0;
}

/* Fake object addresses: the stubs record them and never read them. */
#define EP_A 0x80001000ull
#define EP_B 0x80002000ull
#define EP_C 0x80004000ull
#define MEM  0x80100000ull

static struct cap endpoint_cap(word_t ptr, word_t badge) { return cap_make(SEL_CAP_TYPE_ENDPOINT, ptr, badge, 0xf); }

static struct cap untyped_cap(word_t ptr, unsigned size_bits, word_t watermark)
{
    struct cap c = cap_make(SEL_CAP_TYPE_UNTYPED, ptr, watermark, 0xf);
    c.size_bits = (uint8_t)size_bits;
    return c;
}

/* Inserts cap into slot as a child of parent (NULL: a root), as Copy, Mint and Retype do. */
static void put(struct cte *slot, struct cap cap, struct cte *parent) { cap_insert(slot, &cap, parent); }

/* ---- cap_same_object ----------------------------------------------------------------- */

static void cap_same_object_null_caps_name_nothing(void **state)
{
    struct cap a = cap_null(), b = cap_null();
    assert_false(cap_same_object(&a, &b));
}

static void cap_same_object_endpoint_ignores_badge_and_rights(void **state)
{
    struct cap a = endpoint_cap(EP_A, 0), b = endpoint_cap(EP_A, 7), c = endpoint_cap(EP_B, 0);
    b.rights = 1;
    assert_true(cap_same_object(&a, &b));
    assert_false(cap_same_object(&a, &c));
}

static void cap_same_object_different_types_differ(void **state)
{
    struct cap ep = endpoint_cap(EP_A, 0), ntfn = cap_make(SEL_CAP_TYPE_NOTIFICATION, EP_A, 0, 0xf);
    assert_false(cap_same_object(&ep, &ntfn));
}

/* An untyped retyped into one untyped of half its size at its start: same address, different memory. */
static void cap_same_object_untyped_needs_same_size(void **state)
{
    struct cap big = untyped_cap(MEM, 13, 0), big_copy = untyped_cap(MEM, 13, 0x100);
    struct cap half = untyped_cap(MEM, 12, 0);
    assert_true(cap_same_object(&big, &big_copy));
    assert_false(cap_same_object(&big, &half));
}

static void cap_same_object_frame_needs_same_size(void **state)
{
    struct cap small = cap_make(SEL_CAP_TYPE_FRAME, MEM, 0, 0xf), large = small, mapped = small;
    small.size_bits = SEL_PAGE_BITS;
    large.size_bits = SEL_LARGE_PAGE_BITS;
    mapped.size_bits = SEL_PAGE_BITS;
    mapped.data = 0x400000; /* where it is mapped does not matter */
    assert_true(cap_same_object(&small, &mapped));
    assert_false(cap_same_object(&small, &large));
}

static void cap_same_object_irq_handler_compares_irq(void **state)
{
    struct cap a = cap_make(SEL_CAP_TYPE_IRQ_HANDLER, 0, 10, 0xf), b = cap_make(SEL_CAP_TYPE_IRQ_HANDLER, 1, 10, 0);
    struct cap c = cap_make(SEL_CAP_TYPE_IRQ_HANDLER, 0, 11, 0xf);
    assert_true(cap_same_object(&a, &b));
    assert_false(cap_same_object(&a, &c));
}

static void cap_same_object_control_caps_are_one_object(void **state)
{
    struct cap a = cap_make(SEL_CAP_TYPE_IRQ_CONTROL, 0, 0, 0xf), b = cap_make(SEL_CAP_TYPE_IRQ_CONTROL, 5, 9, 0);
    struct cap c = cap_make(SEL_CAP_TYPE_ASID_CONTROL, 0, 0, 0xf), d = cap_make(SEL_CAP_TYPE_ASID_CONTROL, 3, 0, 0);
    assert_true(cap_same_object(&a, &b));
    assert_true(cap_same_object(&c, &d));
    assert_false(cap_same_object(&a, &c));
}

/* ---- cap_is_final -------------------------------------------------------------------- */

static void cap_is_final_sole_cap_is_final(void **state)
{
    struct cte s = { 0 };
    put(&s, endpoint_cap(EP_A, 0), NULL);
    assert_true(cap_is_final(&s));
}

static void cap_is_final_copy_and_original_are_not(void **state)
{
    struct cte orig = { 0 }, copy = { 0 };
    struct cap c = endpoint_cap(EP_A, 0);
    cap_insert(&orig, &c, NULL);
    cap_insert(&copy, &c, &orig);
    assert_false(cap_is_final(&orig)); /* through its first child */
    assert_false(cap_is_final(&copy)); /* through its parent */
}

/* Two copies of one cap under an untyped: each finds the other as a sibling. */
static void cap_is_final_sibling_copies_are_not(void **state)
{
    struct cte u = { 0 }, a = { 0 }, b = { 0 }, other = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0), ep = endpoint_cap(EP_A, 0), ep_b = endpoint_cap(EP_B, 0);
    cap_insert(&u, &ut, NULL);
    cap_insert(&other, &ep_b, &u);
    cap_insert(&a, &ep, &u);
    cap_insert(&b, &ep, &u); /* u: [b, a, other] */
    assert_false(cap_is_final(&a)); /* through prev */
    assert_false(cap_is_final(&b)); /* through next */
    assert_true(cap_is_final(&other));
}

static void cap_is_final_objects_retyped_from_untyped_are(void **state)
{
    struct cte u = { 0 }, a = { 0 }, b = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0), ep_a = endpoint_cap(EP_A, 0), ep_b = endpoint_cap(EP_B, 0);
    cap_insert(&u, &ut, NULL);
    cap_insert(&a, &ep_a, &u);
    cap_insert(&b, &ep_b, &u);
    assert_true(cap_is_final(&a));
    assert_true(cap_is_final(&b));
    assert_true(cap_is_final(&u));
}

/* ---- cap_delete ---------------------------------------------------------------------- */

static void cap_delete_last_endpoint_cap_cancels_its_ipc(void **state)
{
    struct cte u = { 0 }, e = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0x20), ep = endpoint_cap(EP_A, 0);
    cap_insert(&u, &ut, NULL);
    cap_insert(&e, &ep, &u);
    cap_delete(&e);
    assert_int_equal(stub_calls, 1);
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
    assert_true(cap_is_null(&e.cap));
    assert_null(u.first_child);
    assert_null(e.parent);
}

static void cap_delete_endpoint_copy_leaves_its_object_alone(void **state)
{
    struct cte orig = { 0 }, copy = { 0 };
    struct cap ep = endpoint_cap(EP_A, 0);
    cap_insert(&orig, &ep, NULL);
    cap_insert(&copy, &ep, &orig);
    cap_delete(&copy);
    assert_int_equal(stub_calls, 0);
    assert_true(cap_is_null(&copy.cap));
    assert_null(orig.first_child);
    assert_true(cap_is_final(&orig));
}

static void cap_delete_empty_slot_does_nothing(void **state)
{
    struct cte p = { 0 }, s = { 0 };
    cdt_insert_child(&p, &s); /* links without a cap: delete must not touch them */
    cap_delete(&s);
    assert_ptr_equal(p.first_child, &s);
    assert_int_equal(stub_calls, 0);
}

/* Each frame cap holds its own mapping, so even a copy that is not final unmaps. */
static void cap_delete_mapped_frame_copy_unmaps_only_itself(void **state)
{
    struct cte orig = { 0 }, copy = { 0 };
    struct cap f = cap_make(SEL_CAP_TYPE_FRAME, MEM, 0, 0xf);
    f.size_bits = SEL_PAGE_BITS;
    cap_insert(&orig, &f, NULL);
    f.flags = CAP_MAPPED;
    f.data = 0x400000;
    cap_insert(&copy, &f, &orig);
    cap_delete(&copy);
    assert_int_equal(stub_count("frame_unmap_cap", (void *)MEM), 1);
    cap_delete(&orig); /* not mapped: nothing to undo */
    assert_int_equal(stub_calls, 1);
}

static void cap_delete_page_table_destroys_it_only_when_final(void **state)
{
    struct cte orig = { 0 }, copy = { 0 };
    struct cap pt = cap_make(SEL_CAP_TYPE_PAGE_TABLE, MEM, 0, 0xf);
    pt.flags = CAP_MAPPED;
    cap_insert(&orig, &pt, NULL);
    cap_insert(&copy, &pt, &orig);
    cap_delete(&orig);
    assert_int_equal(stub_calls, 0);
    assert_null(copy.parent); /* the copy took the original's place: a root */
    cap_delete(&copy);
    assert_int_equal(stub_count("page_table_destroy", (void *)MEM), 1);
    assert_int_equal(stub_calls, 1);
}

static void cap_delete_last_notification_cap_unbinds_its_tcb(void **state)
{
    struct notification n = { 0 };
    n.bound_tcb = (struct tcb *)0x80003000ull; /* only passed on to the stub */
    struct cte s = { 0 };
    put(&s, cap_make(SEL_CAP_TYPE_NOTIFICATION, (word_t)&n, 0, 0xf), NULL);
    cap_delete(&s);
    assert_int_equal(stub_count("notification_cancel_all", &n), 1);
    assert_int_equal(stub_count("tcb_unbind_notification", n.bound_tcb), 1);
    assert_int_equal(stub_calls, 2);
}

static void cap_delete_last_irq_handler_cap_frees_the_irq(void **state)
{
    struct cte ctl = { 0 }, h = { 0 };
    put(&ctl, cap_make(SEL_CAP_TYPE_IRQ_CONTROL, 0, 0, 0xf), NULL);
    put(&h, cap_make(SEL_CAP_TYPE_IRQ_HANDLER, 0, 10, 0xf), &ctl);
    cap_delete(&h);
    assert_int_equal(stub_calls, 1);
    assert_string_equal(stub_log[0].fn, "irq_handler_destroy");
    assert_int_equal(stub_log[0].irq, 10);
}

/* A copy of an untyped cap that retyped objects gives its watermark and its objects to the original. */
static void cap_delete_untyped_copy_hands_watermark_to_original(void **state)
{
    struct cte u = { 0 }, copy = { 0 }, e = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0), ep = endpoint_cap(MEM, 0);
    cap_insert(&u, &ut, NULL);
    cap_insert(&copy, &ut, &u);
    cap_insert(&e, &ep, &copy);
    copy.cap.data = 0x20; /* Retype through the copy moved its watermark */
    cap_delete(&copy);
    assert_int_equal(u.cap.data, 0x20);
    assert_ptr_equal(u.first_child, &e);
    assert_ptr_equal(e.parent, &u);
    assert_int_equal(stub_calls, 0);
}

static void cap_delete_untyped_copy_never_lowers_watermark(void **state)
{
    struct cte u = { 0 }, copy = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0x800), low = untyped_cap(MEM, 12, 0x20);
    cap_insert(&u, &ut, NULL);
    cap_insert(&copy, &low, &u);
    cap_delete(&copy);
    assert_int_equal(u.cap.data, 0x800);
}

/* A CNode's slots, 128-byte aligned as the reap list needs. */
struct cnode2 {
    _Alignas(128) struct cte slot[2];
};

/* Deleting the last cap to a CNode deletes the caps it holds, deciding finality for each. */
static void cap_delete_last_cnode_cap_deletes_its_contents(void **state)
{
    static struct cnode2 n;
    memset(&n, 0, sizeof(n));
    struct cte c = { 0 }, ext = { 0 };
    struct cap cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)n.slot, 0, 0xf), ep_b = endpoint_cap(EP_B, 0);
    cn.size_bits = 1;
    cap_insert(&c, &cn, NULL);
    put(&n.slot[0], endpoint_cap(EP_A, 0), NULL); /* the only cap to EP_A */
    cap_insert(&ext, &ep_b, NULL);
    cap_insert(&n.slot[1], &ep_b, &ext); /* a copy of a cap outside */
    cap_delete(&c);
    assert_true(cap_is_null(&n.slot[0].cap));
    assert_true(cap_is_null(&n.slot[1].cap));
    assert_null(ext.first_child);
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
    assert_int_equal(stub_calls, 1);
}

/* A CNode holding the only cap to another CNode: the whole chain goes, without recursion. */
static void cap_delete_cnode_chain_reaps_every_level(void **state)
{
    static struct cnode2 chain[3];
    memset(chain, 0, sizeof(chain));
    struct cte top = { 0 };
    for (int i = 0; i < 3; i++) {
        struct cap cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)chain[i].slot, 0, 0xf);
        cn.size_bits = 1;
        cap_insert(i == 0 ? &top : &chain[i - 1].slot[0], &cn, NULL);
    }
    put(&chain[2].slot[1], endpoint_cap(EP_A, 0), NULL);
    cap_delete(&top);
    for (int i = 0; i < 3; i++) {
        assert_true(cap_is_null(&chain[i].slot[0].cap));
        assert_true(cap_is_null(&chain[i].slot[1].cap));
    }
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
}

/* ---- cap_revoke ---------------------------------------------------------------------- */

static void cap_revoke_deletes_every_descendant_and_keeps_the_cap(void **state)
{
    struct cte r = { 0 }, u = { 0 }, sib = { 0 }, a = { 0 }, a1 = { 0 }, a2 = { 0 }, b = { 0 }, b1 = { 0 };
    struct cap ea = endpoint_cap(EP_A, 0), eb = endpoint_cap(EP_B, 0);
    put(&r, untyped_cap(MEM, 13, 0x1020), NULL);
    put(&sib, endpoint_cap(EP_C, 0), &r);
    put(&u, untyped_cap(MEM + 0x1000, 12, 0x40), &r); /* r: [u, sib] */
    put(&a, ea, &u);
    put(&a1, ea, &a);
    put(&a2, ea, &a);
    put(&b, eb, &u);
    put(&b1, eb, &b);
    cap_revoke(&u);
    struct cte *gone[] = { &a, &a1, &a2, &b, &b1 };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        assert_true(cap_is_null(&gone[i]->cap));
        assert_null(gone[i]->parent);
    }
    assert_false(cap_is_null(&u.cap));
    assert_null(u.first_child);
    assert_ptr_equal(r.first_child, &u);
    assert_ptr_equal(u.next, &sib);
    assert_false(cap_is_null(&sib.cap));
    /* Each endpoint finalised once, by the deletion of its last cap. */
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_B), 1);
    assert_int_equal(stub_calls, 2);
}

static void cap_revoke_leaf_does_nothing(void **state)
{
    struct cte p = { 0 }, s = { 0 };
    struct cap ep = endpoint_cap(EP_A, 0);
    cap_insert(&p, &ep, NULL);
    cap_insert(&s, &ep, &p);
    cap_revoke(&s);
    assert_false(cap_is_null(&s.cap));
    assert_ptr_equal(p.first_child, &s);
    assert_int_equal(stub_calls, 0);
}

/*
 * Revoke of a slot inside a CNode whose only cap is a descendant: deleting
 * that descendant reaps the CNode, slot included, and Revoke must stop there.
 */
static void cap_revoke_stops_when_its_own_slot_is_reaped(void **state)
{
    static struct cnode2 n;
    memset(&n, 0, sizeof(n));
    struct cte held = { 0 };
    struct cap ut = untyped_cap(MEM, 12, 0), cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)n.slot, 0, 0xf);
    cn.size_bits = 1;
    cap_insert(&n.slot[0], &ut, NULL);       /* the untyped, moved into the CNode */
    cap_insert(&held, &cn, &n.slot[0]);      /* the CNode retyped from it: its only cap */
    put(&n.slot[1], endpoint_cap(EP_A, 0), NULL);
    cap_revoke(&n.slot[0]);
    assert_true(cap_is_null(&held.cap));
    assert_true(cap_is_null(&n.slot[0].cap));
    assert_true(cap_is_null(&n.slot[1].cap));
    assert_null(n.slot[0].first_child);
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
}

/* ---- preempted and made again --------------------------------------------------------- */

#include <kernel/preempt.h>

/* A Revoke stopped at every preemption point, made again until done, ends as one made in one go. */
static void cap_revoke_preempted_at_every_point_ends_the_same(void **state)
{
    static struct cnode2 n;
    memset(&n, 0, sizeof(n));
    struct cte r = { 0 }, u = { 0 }, a = { 0 }, a1 = { 0 }, c = { 0 };
    struct cap ea = endpoint_cap(EP_A, 0), cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)n.slot, 0, 0xf);
    cn.size_bits = 1;
    put(&r, untyped_cap(MEM, 13, 0x1020), NULL);
    put(&u, untyped_cap(MEM + 0x1000, 12, 0x40), &r);
    put(&a, ea, &u);
    put(&a1, ea, &a);
    cap_insert(&c, &cn, &u);                       /* a CNode from u, holding the only cap to EP_B */
    put(&n.slot[1], endpoint_cap(EP_B, 0), &u);
    stub_preempt_every = 1;
    unsigned calls = 1;
    while (cap_revoke_preemptible(&u) == KERNEL_PREEMPTED)
        calls++;
    assert_true(calls > 3);
    struct cte *gone[] = { &a, &a1, &c, &n.slot[0], &n.slot[1] };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        assert_true(cap_is_null(&gone[i]->cap));
    assert_null(u.first_child);
    assert_false(cap_is_null(&u.cap));
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_B), 1);
    assert_int_equal(stub_calls, 2);
}

/*
 * A Delete of the last cap to a chain of CNodes, stopped at every point:
 * between the calls its slot holds a zombie (so nothing can be put there);
 * when done the slot is empty and the chain gone.
 */
static void cap_delete_preempted_leaves_a_zombie_until_done(void **state)
{
    static struct cnode2 chain[3];
    memset(chain, 0, sizeof(chain));
    struct cte top = { 0 };
    for (int i = 0; i < 3; i++) {
        struct cap cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)chain[i].slot, 0, 0xf);
        cn.size_bits = 1;
        cap_insert(i == 0 ? &top : &chain[i - 1].slot[0], &cn, NULL);
    }
    put(&chain[2].slot[1], endpoint_cap(EP_A, 0), NULL);
    stub_preempt_every = 1;
    unsigned calls = 1, zombie_seen = 0;
    while (cap_delete_preemptible(&top) == KERNEL_PREEMPTED) {
        calls++;
        if (top.cap.type == SEL_CAP_TYPE_ZOMBIE) {
            zombie_seen++;
            assert_null(top.parent);   /* out of the tree: the CNode's cap is gone, only its reaping is left */
        }
    }
    assert_true(calls > 3);
    assert_int_equal(zombie_seen, calls - 1);
    assert_true(cap_is_null(&top.cap));
    for (int i = 0; i < 3; i++) {
        assert_true(cap_is_null(&chain[i].slot[0].cap));
        assert_true(cap_is_null(&chain[i].slot[1].cap));
    }
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
}

/* A CNode that holds its own last cap: deleting that cap destroys the CNode, and the slot with it. */
static void cap_delete_of_a_cnodes_own_last_cap(void **state)
{
    static struct cnode2 n;
    memset(&n, 0, sizeof(n));
    struct cap cn = cap_make(SEL_CAP_TYPE_CNODE, (word_t)n.slot, 0, 0xf);
    cn.size_bits = 1;
    cap_insert(&n.slot[0], &cn, NULL);
    put(&n.slot[1], endpoint_cap(EP_A, 0), NULL);
    stub_preempt_every = 2;
    while (cap_delete_preemptible(&n.slot[0]) == KERNEL_PREEMPTED)
        ;
    assert_true(cap_is_null(&n.slot[0].cap));
    assert_true(cap_is_null(&n.slot[1].cap));
    assert_int_equal(stub_count("endpoint_cancel_all", (void *)EP_A), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(cap_same_object_null_caps_name_nothing, reset),
        cmocka_unit_test_setup(cap_same_object_endpoint_ignores_badge_and_rights, reset),
        cmocka_unit_test_setup(cap_same_object_different_types_differ, reset),
        cmocka_unit_test_setup(cap_same_object_untyped_needs_same_size, reset),
        cmocka_unit_test_setup(cap_same_object_frame_needs_same_size, reset),
        cmocka_unit_test_setup(cap_same_object_irq_handler_compares_irq, reset),
        cmocka_unit_test_setup(cap_same_object_control_caps_are_one_object, reset),
        cmocka_unit_test_setup(cap_is_final_sole_cap_is_final, reset),
        cmocka_unit_test_setup(cap_is_final_copy_and_original_are_not, reset),
        cmocka_unit_test_setup(cap_is_final_sibling_copies_are_not, reset),
        cmocka_unit_test_setup(cap_is_final_objects_retyped_from_untyped_are, reset),
        cmocka_unit_test_setup(cap_delete_last_endpoint_cap_cancels_its_ipc, reset),
        cmocka_unit_test_setup(cap_delete_endpoint_copy_leaves_its_object_alone, reset),
        cmocka_unit_test_setup(cap_delete_empty_slot_does_nothing, reset),
        cmocka_unit_test_setup(cap_delete_mapped_frame_copy_unmaps_only_itself, reset),
        cmocka_unit_test_setup(cap_delete_page_table_destroys_it_only_when_final, reset),
        cmocka_unit_test_setup(cap_delete_last_notification_cap_unbinds_its_tcb, reset),
        cmocka_unit_test_setup(cap_delete_last_irq_handler_cap_frees_the_irq, reset),
        cmocka_unit_test_setup(cap_delete_untyped_copy_hands_watermark_to_original, reset),
        cmocka_unit_test_setup(cap_delete_untyped_copy_never_lowers_watermark, reset),
        cmocka_unit_test_setup(cap_delete_last_cnode_cap_deletes_its_contents, reset),
        cmocka_unit_test_setup(cap_delete_cnode_chain_reaps_every_level, reset),
        cmocka_unit_test_setup(cap_revoke_deletes_every_descendant_and_keeps_the_cap, reset),
        cmocka_unit_test_setup(cap_revoke_leaf_does_nothing, reset),
        cmocka_unit_test_setup(cap_revoke_stops_when_its_own_slot_is_reaped, reset),
        cmocka_unit_test_setup(cap_revoke_preempted_at_every_point_ends_the_same, reset),
        cmocka_unit_test_setup(cap_delete_preempted_leaves_a_zombie_until_done, reset),
        cmocka_unit_test_setup(cap_delete_of_a_cnodes_own_last_cap, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
