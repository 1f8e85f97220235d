/*
 * CNode invocations (Copy, Mint, Move, Mutate, Rotate, Delete, Revoke,
 * CancelBadgedSends), the capability derivation tree, and lookups through
 * CSpaces of more than one level.
 *
 * Notifications serve to see what a cap is: a Signal through a badged cap
 * ORs its badge into the word, and a Poll through any cap to the same
 * notification reads it back.
 */
#include "test.h"

#define ROOT SEL_CAP_INIT_CNODE
#define DEPTH SEL_WORD_BITS

/* Mints src (in the root CNode) with badge into a fresh slot. */
static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(ROOT, slot, DEPTH, ROOT, src, DEPTH, rights, badge));
    return slot;
}

static sel_cptr_t copy(struct test_env *env, sel_cptr_t src)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, slot, DEPTH, ROOT, src, DEPTH, SEL_ALL_RIGHTS));
    return slot;
}

/* Checks that Call on cptr fails the lookup with the given kind. */
#define CHECK_CALL_FAILS_LOOKUP(cptr, kind)                                                            \
    do {                                                                                               \
        sel_msginfo_t _info = sel_call((cptr), sel_msginfo_new(0, 0, 0, 0));                           \
        CHECK_EQ(sel_msginfo_label(_info), SEL_FAILED_LOOKUP);                                         \
        CHECK_EQ(sel_get_mr(1), (kind));                                                               \
    } while (0)

/* ---- Copy -------------------------------------------------------------------------------------- */

TEST(cnode_copy_makes_an_equal_cap)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x10);
    sel_cptr_t c = copy(env, badged);
    CHECK_EQ(sel_debug_cap_identify(c), SEL_CAP_TYPE_NOTIFICATION);
    CHECK_EQ(sel_debug_cap_identify(badged), SEL_CAP_TYPE_NOTIFICATION);
    sel_signal(c);
    CHECK_EQ(sel_poll(ntfn), 0x10);   /* same object, same badge */
}

TEST(cnode_copy_into_occupied_slot_delete_first)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_ERR(sel_cnode_copy(ROOT, ntfn, DEPTH, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_DELETE_FIRST);
    CHECK_ERR(sel_cnode_mint(ROOT, ntfn, DEPTH, ROOT, ep, DEPTH, SEL_ALL_RIGHTS, 1), SEL_DELETE_FIRST);
    CHECK_ERR(sel_cnode_copy(ROOT, ep, DEPTH, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_DELETE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(ntfn), SEL_CAP_TYPE_NOTIFICATION);
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
}

TEST(cnode_copy_from_empty_slot_failed_lookup)
{
    sel_cptr_t empty = test_slot(env), dest = test_slot(env);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, empty, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 1);   /* the source */
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_ERR(sel_cnode_mint(ROOT, dest, DEPTH, ROOT, empty, DEPTH, SEL_ALL_RIGHTS, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
}

TEST(cnode_depth_out_of_range_range_error)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t dest = test_slot(env);
    static const sel_word_t bad[] = { 0, DEPTH + 1, ~0ull };
    for (unsigned i = 0; i < 3; i++) {
        CHECK_ERR(sel_cnode_copy(ROOT, dest, bad[i], ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_RANGE_ERROR);
        CHECK_EQ(sel_get_mr(0), 1);
        CHECK_EQ(sel_get_mr(1), DEPTH);
        CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, ep, bad[i], SEL_ALL_RIGHTS), SEL_RANGE_ERROR);
        CHECK_ERR(sel_cnode_move(ROOT, dest, DEPTH, ROOT, ep, bad[i]), SEL_RANGE_ERROR);
        CHECK_ERR(sel_cnode_delete(ROOT, ep, bad[i]), SEL_RANGE_ERROR);
        CHECK_ERR(sel_cnode_revoke(ROOT, ep, bad[i]), SEL_RANGE_ERROR);
    }
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
}

TEST(cnode_guard_or_depth_mismatch_failed_lookup)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t dest = test_slot(env);
    /* The root CNode takes all 64 bits: a zero guard, then init_cnode_radix bits of index. */
    CHECK_ERR(sel_cnode_copy(ROOT, dest | (1ull << 40), DEPTH, ROOT, ep, DEPTH, SEL_ALL_RIGHTS),
              SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 0);   /* the destination */
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, ep | (1ull << env->bi->init_cnode_radix), DEPTH, SEL_ALL_RIGHTS),
              SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 1);   /* the source */
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, 32, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, ep, 63, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    /* The source root is not a CNode: an endpoint, or nothing. */
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ep, 0, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_INVALID_ROOT);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, dest, 0, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_INVALID_ROOT);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
}

TEST(cnode_copy_of_underivable_caps_illegal_operation)
{
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t dest = test_slot(env);
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, SEL_CAP_IRQ_CONTROL, DEPTH, SEL_ALL_RIGHTS),
              SEL_ILLEGAL_OPERATION);
    /* An unmapped page table: two caps could then map it twice. */
    CHECK_ERR(sel_cnode_copy(ROOT, dest, DEPTH, ROOT, pt, DEPTH, SEL_ALL_RIGHTS), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
}

TEST(cnode_invocation_wrong_label_or_truncated)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t dest = test_slot(env);
    sel_set_mr(0, dest);
    sel_set_mr(1, DEPTH);
    sel_set_mr(2, ep);
    sel_set_mr(3, DEPTH);
    sel_set_mr(4, SEL_ALL_RIGHTS);
    sel_set_cap(0, ROOT);
    sel_msginfo_t info = sel_call(ROOT, sel_msginfo_new(SEL_UNTYPED_RETYPE, 0, 1, 5));
    CHECK_EQ(sel_msginfo_label(info), SEL_ILLEGAL_OPERATION);
    sel_set_mr(0, dest);
    sel_set_mr(1, DEPTH);
    info = sel_call(ROOT, sel_msginfo_new(SEL_CNODE_COPY, 0, 1, 1));
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    sel_set_mr(0, dest);
    sel_set_mr(1, DEPTH);
    sel_set_mr(2, ep);
    sel_set_mr(3, DEPTH);
    info = sel_call(ROOT, sel_msginfo_new(SEL_CNODE_COPY, 0, 1, 4));
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    sel_set_mr(0, dest);
    sel_set_mr(1, DEPTH);
    sel_set_mr(2, ep);
    sel_set_mr(3, DEPTH);
    info = sel_call(ROOT, sel_msginfo_new(SEL_CNODE_COPY, 0, 0, 5));   /* no source root */
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
}

/* ---- Mint -------------------------------------------------------------------------------------- */

TEST(cnode_mint_without_write_cannot_send)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ep_ro = mint(env, ep, SEL_CAN_READ | SEL_CAN_GRANT, 0x1);
    sel_cptr_t ntfn_ro = mint(env, ntfn, SEL_CAN_READ, 0x2);
    sel_msginfo_t info = sel_call(ep_ro, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    info = sel_call(ntfn_ro, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_poll(ntfn), 0);
    /* With Write the same Call signals. */
    sel_cptr_t ntfn_w = mint(env, ntfn, SEL_CAN_WRITE, 0x4);
    info = sel_call(ntfn_w, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_NO_ERROR);
    CHECK_EQ(sel_poll(ntfn), 0x4);
}

TEST(cnode_mint_cannot_add_rights)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ro = mint(env, ep, SEL_CAN_READ, 0);
    /* Rights are intersected with the source's: asking for more gives nothing more. */
    sel_cptr_t again = mint(env, ro, SEL_ALL_RIGHTS, 0x3);
    sel_cptr_t copied = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, copied, DEPTH, ROOT, ro, DEPTH, SEL_ALL_RIGHTS));
    sel_msginfo_t info = sel_call(again, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    info = sel_call(copied, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
}

static void send_one_word(void *arg)
{
    sel_set_mr(0, 0xabc);
    sel_send((sel_cptr_t)arg, sel_msginfo_new(0x11, 0, 0, 1));
}

TEST(cnode_mint_badge_reaches_receiver)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged = mint(env, ep, SEL_CAN_WRITE, 0x1234);
    sel_thread_t sender;
    /* Higher priority: it runs at once and blocks in Send, as no one receives yet. */
    test_thread_start(env, &sender, TEST_PRIORITY + 1, false, send_one_word, (void *)badged);
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(ep, &badge);
    CHECK_EQ(badge, 0x1234);
    CHECK_EQ(sel_msginfo_label(info), 0x11);
    CHECK_EQ(sel_msginfo_length(info), 1);
    CHECK_EQ(sel_get_mr(0), 0xabc);
}

TEST(cnode_mint_rebadge_illegal_operation)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t b1 = mint(env, ntfn, SEL_ALL_RIGHTS, 0x1);
    sel_cptr_t dest = test_slot(env);
    CHECK_ERR(sel_cnode_mint(ROOT, dest, DEPTH, ROOT, b1, DEPTH, SEL_ALL_RIGHTS, 0x2), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
    CHECK_ERR(sel_cnode_mutate(ROOT, dest, DEPTH, ROOT, b1, DEPTH, 0x2), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(b1), SEL_CAP_TYPE_NOTIFICATION);   /* the failed Mutate left it */
    /* Badge 0 means "keep the badge". */
    CHECK_OK(sel_cnode_mint(ROOT, dest, DEPTH, ROOT, b1, DEPTH, SEL_ALL_RIGHTS, 0));
    sel_signal(dest);
    CHECK_EQ(sel_poll(ntfn), 0x1);
}

TEST(cnode_mint_cnode_guard_too_long_invalid_argument)
{
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t dest = test_slot(env);
    /* Radix 4 plus 61 guard bits is more than a word. */
    CHECK_ERR(sel_cnode_mint(ROOT, dest, DEPTH, ROOT, cnode, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0, 61)),
              SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 5);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_cnode_mint(ROOT, dest, DEPTH, ROOT, cnode, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0, 60)));
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_CNODE);
}

/* ---- Move and Mutate ----------------------------------------------------------------------------- */

TEST(cnode_move_moves_cap_and_its_place_in_the_tree)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x7);
    sel_cptr_t moved = test_slot(env);
    CHECK_OK(sel_cnode_move(ROOT, moved, DEPTH, ROOT, badged, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(badged), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(moved), SEL_CAP_TYPE_NOTIFICATION);
    sel_signal(moved);
    CHECK_EQ(sel_poll(ntfn), 0x7);
    /* Still a child of the original: revoking that deletes it. */
    CHECK_OK(sel_cnode_revoke(ROOT, ntfn, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(moved), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(ntfn), SEL_CAP_TYPE_NOTIFICATION);
}

TEST(cnode_move_errors)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t empty = test_slot(env);
    CHECK_ERR(sel_cnode_move(ROOT, ntfn, DEPTH, ROOT, ep, DEPTH), SEL_DELETE_FIRST);
    CHECK_ERR(sel_cnode_move(ROOT, ep, DEPTH, ROOT, ep, DEPTH), SEL_DELETE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
    CHECK_EQ(sel_debug_cap_identify(ntfn), SEL_CAP_TYPE_NOTIFICATION);
    sel_cptr_t dest = test_slot(env);
    CHECK_ERR(sel_cnode_move(ROOT, dest, DEPTH, ROOT, empty, DEPTH), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_ERR(sel_cnode_mutate(ROOT, dest, DEPTH, ROOT, empty, DEPTH, 1), SEL_FAILED_LOOKUP);
    CHECK_ERR(sel_cnode_mutate(ROOT, ntfn, DEPTH, ROOT, ep, DEPTH, 1), SEL_DELETE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
}

TEST(cnode_move_untyped_keeps_children_and_watermark)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 13);
    sel_cptr_t moved = test_slot(env), f0 = test_slot(env), f1 = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_FRAME_4K_OBJECT, 0, ROOT, 0, 0, f0, 1));
    sel_word_t a0 = 0, a1 = 0;
    CHECK_OK(sel_frame_get_address(f0, &a0));
    CHECK_OK(sel_cnode_move(ROOT, moved, DEPTH, ROOT, untyped, DEPTH));
    CHECK_OK(sel_untyped_retype(moved, SEL_FRAME_4K_OBJECT, 0, ROOT, 0, 0, f1, 1));
    CHECK_OK(sel_frame_get_address(f1, &a1));
    CHECK_EQ(a1, a0 + 0x1000);
    CHECK_OK(sel_cnode_revoke(ROOT, moved, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(f0), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(f1), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_untyped_retype(moved, SEL_FRAME_4K_OBJECT, 0, ROOT, 0, 0, f0, 1));
    CHECK_OK(sel_frame_get_address(f0, &a1));
    CHECK_EQ(a1, a0);
}

TEST(cnode_mutate_sets_badge)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t c = copy(env, ntfn);
    sel_cptr_t m = test_slot(env);
    CHECK_OK(sel_cnode_mutate(ROOT, m, DEPTH, ROOT, c, DEPTH, 0x9));
    CHECK_EQ(sel_debug_cap_identify(c), SEL_CAP_TYPE_NULL);
    sel_signal(m);
    CHECK_EQ(sel_poll(ntfn), 0x9);
}

TEST(cnode_mutate_sets_cnode_guard)
{
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t c = copy(env, cnode), guarded = test_slot(env), out = test_slot(env);
    CHECK_OK(sel_cnode_mutate(ROOT, guarded, DEPTH, ROOT, c, DEPTH, sel_cnode_guard(0x5, 4)));
    /* Through the guarded cap a slot is named by 4 guard bits then 4 index bits. */
    CHECK_OK(sel_cnode_copy(guarded, (0x5 << 4) | 3, 8, ROOT, ep, DEPTH, SEL_ALL_RIGHTS));
    CHECK_ERR(sel_cnode_copy(guarded, (0x6 << 4) | 4, 8, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_cnode_copy(guarded, 4, 4, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    /* The unguarded cap sees the same slot 3. */
    CHECK_OK(sel_cnode_move(ROOT, out, DEPTH, cnode, 3, 4));
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_ENDPOINT);
}

/* ---- Rotate -------------------------------------------------------------------------------------- */

TEST(cnode_rotate_moves_two_caps)
{
    sel_cptr_t n1 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t n2 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t src = copy(env, n1), pivot = copy(env, n2), dest = test_slot(env);
    /* pivot -> dest with badge 0x20, src -> pivot with badge 0x10. */
    CHECK_OK(sel_cnode_rotate(ROOT, dest, DEPTH, 0x20, ROOT, pivot, DEPTH, 0x10, ROOT, src, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(src), SEL_CAP_TYPE_NULL);
    sel_signal(dest);
    CHECK_EQ(sel_poll(n2), 0x20);
    sel_signal(pivot);
    CHECK_EQ(sel_poll(n1), 0x10);
    CHECK_EQ(sel_poll(n2), 0);
}

TEST(cnode_rotate_swaps_when_dest_is_src)
{
    sel_cptr_t n1 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t n2 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t a = mint(env, n1, SEL_ALL_RIGHTS, 0x1);
    sel_cptr_t b = mint(env, n2, SEL_ALL_RIGHTS, 0x2);
    CHECK_OK(sel_cnode_rotate(ROOT, a, DEPTH, 0, ROOT, b, DEPTH, 0, ROOT, a, DEPTH));
    sel_signal(a);
    CHECK_EQ(sel_poll(n1), 0);
    CHECK_EQ(sel_poll(n2), 0x2);
    sel_signal(b);
    CHECK_EQ(sel_poll(n2), 0);
    CHECK_EQ(sel_poll(n1), 0x1);
    /* The derivation tree followed: revoking n1 deletes its child, now in b. */
    CHECK_OK(sel_cnode_revoke(ROOT, n1, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(b), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(a), SEL_CAP_TYPE_NOTIFICATION);
}

TEST(cnode_rotate_swaps_parent_and_child)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t child = mint(env, ntfn, SEL_ALL_RIGHTS, 0x5);
    CHECK_OK(sel_cnode_rotate(ROOT, ntfn, DEPTH, 0, ROOT, child, DEPTH, 0, ROOT, ntfn, DEPTH));
    /* Now the badged child is in slot ntfn, the original in slot child. */
    sel_signal(ntfn);
    CHECK_EQ(sel_poll(child), 0x5);
    CHECK_OK(sel_cnode_revoke(ROOT, child, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(ntfn), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(child), SEL_CAP_TYPE_NOTIFICATION);
    CHECK_OK(sel_cnode_revoke(ROOT, child, DEPTH));
}

TEST(cnode_rotate_errors)
{
    sel_cptr_t n1 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t n2 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t src = mint(env, n1, SEL_ALL_RIGHTS, 0x1), pivot = mint(env, n2, SEL_ALL_RIGHTS, 0x2);
    sel_cptr_t dest = test_slot(env), empty = test_slot(env);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, src, DEPTH, 0, ROOT, src, DEPTH), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_rotate(ROOT, pivot, DEPTH, 0, ROOT, pivot, DEPTH, 0, ROOT, src, DEPTH),
              SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_rotate(ROOT, n1, DEPTH, 0, ROOT, pivot, DEPTH, 0, ROOT, src, DEPTH), SEL_DELETE_FIRST);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, empty, DEPTH, 0, ROOT, src, DEPTH), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, pivot, DEPTH, 0, ROOT, empty, DEPTH), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, pivot, 0, 0, ROOT, src, DEPTH), SEL_RANGE_ERROR);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, pivot, DEPTH, 0, ROOT, src, DEPTH + 1), SEL_RANGE_ERROR);
    /* Both caps are badged: a new badge for either is refused, and nothing moves. */
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0x8, ROOT, pivot, DEPTH, 0, ROOT, src, DEPTH),
              SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_rotate(ROOT, dest, DEPTH, 0, ROOT, pivot, DEPTH, 0x8, ROOT, src, DEPTH),
              SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_cap_identify(dest), SEL_CAP_TYPE_NULL);
    sel_signal(src);
    sel_signal(pivot);
    CHECK_EQ(sel_poll(n1), 0x1);
    CHECK_EQ(sel_poll(n2), 0x2);
}

/* ---- Delete and Revoke --------------------------------------------------------------------------- */

TEST(cnode_delete_removes_only_that_cap)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t b = mint(env, ntfn, SEL_ALL_RIGHTS, 0x3);
    sel_cptr_t c = copy(env, b);
    CHECK_OK(sel_cnode_delete(ROOT, b, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(b), SEL_CAP_TYPE_NULL);
    sel_signal(c);
    CHECK_EQ(sel_poll(ntfn), 0x3);
    /* Deleting an empty slot is no error. */
    CHECK_OK(sel_cnode_delete(ROOT, b, DEPTH));
    CHECK_ERR(sel_cnode_delete(ROOT, b | (1ull << 63), DEPTH), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
}

static volatile int receiver_got_message;

static void receive_forever(void *arg)
{
    sel_recv((sel_cptr_t)arg, NULL);
    receiver_got_message = 1;
}

/*
 * Deleting the last cap to an endpoint or notification restarts the thread
 * blocked on it: it re-executes its Recv, which now names an empty slot, so
 * it faults, and its fault handler (the test) sees a cap fault in the
 * receive phase.
 */
static void check_delete_restarts_receiver(struct test_env *env, sel_object_type_t type)
{
    sel_cptr_t obj = test_object(env, type, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t receiver;
    receiver_got_message = 0;
    CHECK_OK(sel_thread_create(env->alloc, &receiver, false, TEST_PRIORITY + 1, fault_ep, receive_forever,
                               (void *)obj));
    CHECK_OK(sel_thread_start(&receiver));   /* it runs at once and blocks in Recv */
    CHECK_OK(sel_cnode_delete(ROOT, obj, DEPTH));
    sel_word_t badge;
    sel_msginfo_t info = sel_recv(fault_ep, &badge);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), obj);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), 1);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_LOOKUP), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(receiver_got_message, 0);
    sel_reply(sel_msginfo_new(1, 0, 0, 0));   /* leave it stopped */
}

TEST(cnode_delete_last_endpoint_cap_restarts_receiver)
{
    check_delete_restarts_receiver(env, SEL_ENDPOINT_OBJECT);
}

TEST(cnode_delete_last_notification_cap_restarts_waiter)
{
    check_delete_restarts_receiver(env, SEL_NOTIFICATION_OBJECT);
}

static volatile struct {
    sel_word_t label, kind;
    int done;
} call_result;

static void call_once(void *arg)
{
    sel_msginfo_t info = sel_call((sel_cptr_t)arg, sel_msginfo_new(0, 0, 0, 0));
    call_result.label = sel_msginfo_label(info);
    call_result.kind = sel_get_mr(1);
    call_result.done = 1;
}

/* The same for a thread blocked in Call: its restarted Call finds an empty slot and says so. */
TEST(cnode_delete_last_endpoint_cap_fails_blocked_call)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t caller;
    call_result.done = 0;
    test_thread_start(env, &caller, TEST_PRIORITY + 1, false, call_once, (void *)ep);
    CHECK_EQ(call_result.done, 0);   /* blocked: nobody receives on ep */
    CHECK_OK(sel_cnode_delete(ROOT, ep, DEPTH));
    CHECK(test_wait_flag(&call_result.done));
    CHECK_EQ(call_result.label, SEL_FAILED_LOOKUP);
    CHECK_EQ(call_result.kind, SEL_LOOKUP_MISSING_CAPABILITY);
}

TEST(cnode_revoke_deletes_descendants_not_itself)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t c1 = copy(env, ep);
    sel_cptr_t c2 = mint(env, c1, SEL_ALL_RIGHTS, 0x5);
    sel_cptr_t c3 = copy(env, c2);
    sel_cptr_t sibling = copy(env, ep);
    /* Revoking the derived cap c1 deletes c2 and c3 below it, and nothing else. */
    CHECK_OK(sel_cnode_revoke(ROOT, c1, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(c2), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(c3), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(c1), SEL_CAP_TYPE_ENDPOINT);
    CHECK_EQ(sel_debug_cap_identify(sibling), SEL_CAP_TYPE_ENDPOINT);
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
    CHECK_OK(sel_cnode_revoke(ROOT, ep, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(c1), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(sibling), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
    /* Revoking a cap without children, or an empty slot, is no error. */
    CHECK_OK(sel_cnode_revoke(ROOT, ep, DEPTH));
    CHECK_OK(sel_cnode_revoke(ROOT, c1, DEPTH));
}

TEST(cnode_call_on_revoked_slot_fails_lookup)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t b = mint(env, ntfn, SEL_ALL_RIGHTS, 0x1);
    sel_msginfo_t info = sel_call(b, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_NO_ERROR);
    CHECK_OK(sel_cnode_revoke(ROOT, ntfn, DEPTH));
    CHECK_CALL_FAILS_LOOKUP(b, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(sel_poll(ntfn), 0x1);   /* only the first Call signalled */
}

/* ---- CancelBadgedSends --------------------------------------------------------------------------- */

static void send_empty_message(void *arg)
{
    sel_send((sel_cptr_t)arg, sel_msginfo_new(0, 0, 0, 0));
}

/* Two senders block on ep, with badges 1 then 2; returns the badged caps in b[0], b[1]. */
static void two_blocked_senders(struct test_env *env, sel_cptr_t ep, sel_cptr_t b[2], sel_thread_t t[2])
{
    for (unsigned i = 0; i < 2; i++) {
        b[i] = mint(env, ep, SEL_ALL_RIGHTS, i + 1);   /* seL4 cancels only through a cap with all rights */
        test_thread_start(env, &t[i], TEST_PRIORITY + 1, false, send_empty_message, (void *)b[i]);
    }
}

/*
 * A sender whose send is cancelled restarts: it sends again and so joins the
 * end of the queue.  The order in which messages arrive shows it.
 */
TEST(cnode_cancel_badged_sends_restarts_only_that_badge)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t b[2];
    sel_thread_t t[2];
    two_blocked_senders(env, ep, b, t);
    CHECK_OK(sel_cnode_cancel_badged_sends(ROOT, b[0], DEPTH));
    sel_word_t first = 0, second = 0;
    sel_recv(ep, &first);
    sel_recv(ep, &second);
    CHECK_EQ(first, 2);
    CHECK_EQ(second, 1);
}

TEST(cnode_cancel_badged_sends_with_unbadged_cap_does_nothing)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t b[2];
    sel_thread_t t[2];
    two_blocked_senders(env, ep, b, t);
    CHECK_OK(sel_cnode_cancel_badged_sends(ROOT, ep, DEPTH));
    sel_word_t first = 0, second = 0;
    sel_recv(ep, &first);
    sel_recv(ep, &second);
    CHECK_EQ(first, 1);
    CHECK_EQ(second, 2);
}

/* As in seL4, only a cap with every right may cancel other senders: with any right missing, nothing happens. */
TEST(cnode_cancel_badged_sends_with_fewer_than_all_rights_is_refused)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t b[2];
    sel_thread_t t[2];
    two_blocked_senders(env, ep, b, t);
    for (sel_word_t rights = 0; rights < SEL_ALL_RIGHTS; rights++) {
        sel_cptr_t weaker = mint(env, b[0], rights, 0);   /* badge 1, fewer rights */
        CHECK_ERR(sel_cnode_cancel_badged_sends(ROOT, weaker, DEPTH), SEL_ILLEGAL_OPERATION);
    }
    /* Both senders are still queued in their order. */
    sel_word_t first = 0, second = 0;
    sel_recv(ep, &first);
    sel_recv(ep, &second);
    CHECK_EQ(first, 1);
    CHECK_EQ(second, 2);
}

TEST(cnode_cancel_badged_sends_errors)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 1);
    sel_cptr_t empty = test_slot(env);
    CHECK_ERR(sel_cnode_cancel_badged_sends(ROOT, badged, DEPTH), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_cancel_badged_sends(ROOT, empty, DEPTH), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_cnode_cancel_badged_sends(ROOT, badged, 0), SEL_RANGE_ERROR);
    CHECK_ERR(sel_cnode_cancel_badged_sends(ROOT, badged | (1ull << 50), DEPTH), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
}

/* ---- CSpaces of more than one level ---------------------------------------------------------------- */

TEST(cnode_call_on_forged_cptr_fails_lookup)
{
    sel_cptr_t empty = test_slot(env);
    CHECK_CALL_FAILS_LOOKUP(empty, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_CALL_FAILS_LOOKUP(1ull << 40, SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_CALL_FAILS_LOOKUP(1ull << env->bi->init_cnode_radix, SEL_LOOKUP_GUARD_MISMATCH);   /* past the end */
    CHECK_CALL_FAILS_LOOKUP(~0ull, SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(sel_debug_cap_identify(1ull << 40), SEL_CAP_TYPE_NULL);
}

/*
 * root slot ga: CNode A (radix 4) with guard 0x5 (4 bits); A[3]: CNode B
 * (radix 6) with guard 0x2a (6 bits).  Through ga, B[j] is the 20-bit
 * address 0x5 . 3 . 0x2a . j.
 */
TEST(cnode_lookup_through_two_guarded_cnodes)
{
    sel_cptr_t a = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t b = test_object(env, SEL_CNODE_OBJECT, 6);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ga = mint(env, a, SEL_ALL_RIGHTS, sel_cnode_guard(0x5, 4));
    sel_cptr_t out = test_slot(env), out2 = test_slot(env);
    CHECK_OK(sel_cnode_mint(a, 3, 4, ROOT, b, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0x2a, 6)));

    sel_word_t path = (0x5ull << 16) | (3 << 12) | (0x2a << 6) | 9;
    CHECK_OK(sel_cnode_copy(ga, path, 20, ROOT, ep, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_move(ROOT, out, DEPTH, b, 9, 6));   /* the same slot, through B directly */
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_ENDPOINT);

    /* Wrong inner or outer guard; too short a depth for the last level; too long for any. */
    CHECK_ERR(sel_cnode_copy(ga, path ^ (1 << 8), 20, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ga, path ^ (1ull << 17), 20, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ga, path >> 1, 19, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    CHECK_ERR(sel_cnode_copy(ga, path << 1, 21, ROOT, ep, DEPTH, SEL_ALL_RIGHTS), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    /* Depth 8 stops at A[3]: the B cap itself. */
    CHECK_OK(sel_cnode_copy(ROOT, out2, DEPTH, ga, (0x5 << 4) | 3, 8, SEL_ALL_RIGHTS));
    CHECK_EQ(sel_debug_cap_identify(out2), SEL_CAP_TYPE_CNODE);
}

static struct {
    sel_word_t ok_label, guard_label, guard_kind, empty_kind, depth_kind, outer_kind;
    volatile int done;
} cspace_result;

#define CPTR(a_index, b_guard, b_index) (((sel_word_t)(a_index) << 12) | ((b_guard) << 6) | (b_index))

/* Runs in a CSpace of two levels (see the test below): Calls on good and forged CPtrs. */
static void call_in_two_level_cspace(void *arg)
{
    (void)arg;
    cspace_result.ok_label = sel_msginfo_label(sel_call(CPTR(1, 0x2a, 5), sel_msginfo_new(0, 0, 0, 0)));
    cspace_result.guard_label = sel_msginfo_label(sel_call(CPTR(1, 0x2b, 5), sel_msginfo_new(0, 0, 0, 0)));
    cspace_result.guard_kind = sel_get_mr(1);
    sel_call(CPTR(1, 0x2a, 6), sel_msginfo_new(0, 0, 0, 0));
    cspace_result.empty_kind = sel_get_mr(1);
    sel_call(CPTR(2, 0, 0), sel_msginfo_new(0, 0, 0, 0));
    cspace_result.depth_kind = sel_get_mr(1);
    sel_call(1ull << 60, sel_msginfo_new(0, 0, 0, 0));
    cspace_result.outer_kind = sel_get_mr(1);
    cspace_result.done = 1;
    sel_recv(CPTR(1, 0x2a, 7), NULL);   /* blocks for good: its TCB cap is not in this CSpace */
}

/*
 * A thread whose CSpace root is CNode A (radix 4, 48-bit zero guard: 52
 * bits), A[1] = CNode B (radix 6, guard 0x2a of 6 bits: the last 12 bits),
 * A[2] = CNode C (radix 8, guard 8 bits: 16 bits, more than are left).
 */
TEST(cnode_thread_with_two_level_cspace)
{
    sel_cptr_t a = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t b = test_object(env, SEL_CNODE_OBJECT, 6);
    sel_cptr_t c = test_object(env, SEL_CNODE_OBJECT, 8);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t root = mint(env, a, SEL_ALL_RIGHTS, sel_cnode_guard(0, 48));
    CHECK_OK(sel_cnode_mint(a, 1, 4, ROOT, b, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0x2a, 6)));
    CHECK_OK(sel_cnode_mint(a, 2, 4, ROOT, c, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0, 8)));
    CHECK_OK(sel_cnode_mint(b, 5, 6, ROOT, ntfn, DEPTH, SEL_ALL_RIGHTS, 0x77));
    CHECK_OK(sel_cnode_copy(b, 7, 6, ROOT, ep, DEPTH, SEL_ALL_RIGHTS));

    sel_thread_t t;
    cspace_result.done = 0;
    test_thread(env, &t, TEST_PRIORITY + 1, false, call_in_two_level_cspace, NULL);
    CHECK_OK(sel_tcb_set_space(t.tcb, 0, root, 0, SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&cspace_result.done));
    CHECK_EQ(cspace_result.ok_label, SEL_NO_ERROR);
    CHECK_EQ(sel_poll(ntfn), 0x77);
    CHECK_EQ(cspace_result.guard_label, SEL_FAILED_LOOKUP);
    CHECK_EQ(cspace_result.guard_kind, SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(cspace_result.empty_kind, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(cspace_result.depth_kind, SEL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(cspace_result.outer_kind, SEL_LOOKUP_GUARD_MISMATCH);
}

static volatile struct {
    sel_word_t ok_label, empty_label, empty_kind;
    int done;
} unguarded_result;

static void call_in_unguarded_cspace(void *arg)
{
    (void)arg;
    unguarded_result.ok_label = sel_msginfo_label(sel_call(3ull << 60, sel_msginfo_new(0, 0, 0, 0)));
    unguarded_result.empty_label = sel_msginfo_label(sel_call(4ull << 60, sel_msginfo_new(0, 0, 0, 0)));
    unguarded_result.empty_kind = sel_get_mr(1);
    unguarded_result.done = 1;
    sel_recv(5ull << 60, NULL);   /* blocks for good */
}

/* A CSpace root with no guard: the top 4 bits of a CPtr index it, and the lookup stops at A[i]. */
TEST(cnode_thread_with_unguarded_cspace_root)
{
    sel_cptr_t a = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_OK(sel_cnode_mint(a, 3, 4, ROOT, ntfn, DEPTH, SEL_ALL_RIGHTS, 0x9));
    CHECK_OK(sel_cnode_copy(a, 5, 4, ROOT, ep, DEPTH, SEL_ALL_RIGHTS));
    sel_thread_t t;
    unguarded_result.done = 0;
    test_thread(env, &t, TEST_PRIORITY + 1, false, call_in_unguarded_cspace, NULL);
    CHECK_OK(sel_tcb_set_space(t.tcb, 0, a, 0, SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&unguarded_result.done));
    CHECK_EQ(unguarded_result.ok_label, SEL_NO_ERROR);
    CHECK_EQ(sel_poll(ntfn), 0x9);
    CHECK_EQ(unguarded_result.empty_label, SEL_FAILED_LOOKUP);
    CHECK_EQ(unguarded_result.empty_kind, SEL_LOOKUP_MISSING_CAPABILITY);
}

/* ---- Deleting CNodes that hold caps ------------------------------------------------------------------ */

/*
 * CNode P holds the only cap to CNode Q, which holds endpoints,
 * notifications, a TCB and CNode R with more endpoints.  Deleting P's cap
 * destroys all of it: afterwards the untyped they came from has no
 * children, so its whole memory can be retyped again.
 */
TEST(cnode_delete_cnode_destroys_nested_cnodes)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t p = test_slot(env), q = test_slot(env), big = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 4, ROOT, 0, 0, p, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 4, ROOT, 0, 0, q, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, q, DEPTH, 0, 4));
    CHECK_OK(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, ROOT, q, DEPTH, 4, 2));
    CHECK_OK(sel_untyped_retype(untyped, SEL_TCB_OBJECT, 0, ROOT, q, DEPTH, 6, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 2, ROOT, q, DEPTH, 7, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, q, 7, 4, 0, 2));   /* into R = Q[7] */
    CHECK_OK(sel_cnode_move(p, 0, 4, ROOT, q, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(q), SEL_CAP_TYPE_NULL);
    /* While they live, the untyped is in use. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 16, ROOT, 0, 0, big, 1), SEL_NOT_ENOUGH_MEMORY);

    CHECK_OK(sel_cnode_delete(ROOT, p, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(p), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 16, ROOT, 0, 0, big, 1));
}

/*
 * A chain of 200 CNodes, each holding the only cap to the next in its slot
 * 0, the last holding an endpoint: the kernel must destroy it without
 * recursing 200 deep on its stack.
 */
TEST(cnode_delete_long_cnode_chain)
{
    enum { N = 200 };
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t holder = test_slot(env), big = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 8, ROOT, 0, 0, holder, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 1, ROOT, holder, DEPTH, 0, N));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, holder, N - 1, 8, 1, 1));
    /* holder[i] is CNode i; (holder, i << 1, 9) is its slot 0. */
    for (int i = N - 2; i >= 0; i--) {
        sel_error_t err = sel_cnode_move(holder, (sel_word_t)i << 1, 9, holder, (sel_word_t)i + 1, 8);
        if (err)
            test_fail(__FILE__, __LINE__, "moving CNode %d into CNode %d: %s", i + 1, i, sel_error_name(err));
    }
    /* Three levels down the chain: holder[0] -> CNode 0 slot 0 -> CNode 1 slot 0 holds CNode 2. */
    sel_cptr_t out = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, out, DEPTH, holder, 0, 10, SEL_ALL_RIGHTS));
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_CNODE);
    CHECK_OK(sel_cnode_delete(ROOT, out, DEPTH));
    CHECK_ERR(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 16, ROOT, 0, 0, big, 1), SEL_NOT_ENOUGH_MEMORY);

    CHECK_OK(sel_cnode_delete(ROOT, holder, DEPTH));
    CHECK_OK(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 16, ROOT, 0, 0, big, 1));
}

/* A CNode whose only cap lives in its own slot 0 cannot be reached, but revoking its untyped reclaims it. */
TEST(cnode_holding_its_own_cap_is_reclaimed_with_its_untyped)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t cnode = test_slot(env), big = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 2, ROOT, 0, 0, cnode, 1));
    CHECK_OK(sel_cnode_move(cnode, 0, 2, ROOT, cnode, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(cnode), SEL_CAP_TYPE_NULL);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 12, ROOT, 0, 0, big, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    CHECK_OK(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 12, ROOT, 0, 0, big, 1));
}

/* Two CNodes holding the only caps to each other: revoking their untyped reclaims both. */
TEST(cnode_cycle_of_cnodes_is_reclaimed_with_its_untyped)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t x = test_slot(env), y = test_slot(env), big = test_slot(env);
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 2, ROOT, 0, 0, x, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_CNODE_OBJECT, 2, ROOT, 0, 0, y, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, x, DEPTH, 1, 1));
    CHECK_OK(sel_cnode_copy(x, 0, 2, ROOT, y, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_copy(y, 0, 2, ROOT, x, DEPTH, SEL_ALL_RIGHTS));
    /* Dropping the outside caps destroys nothing: each CNode still has a cap, in the other. */
    CHECK_OK(sel_cnode_delete(ROOT, x, DEPTH));
    CHECK_OK(sel_cnode_delete(ROOT, y, DEPTH));
    CHECK_ERR(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 12, ROOT, 0, 0, big, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    CHECK_OK(sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, 12, ROOT, 0, 0, big, 1));
}

/*
 * A CNode holds the only caps to an endpoint (slot 0) and to a thread
 * blocked receiving on it (slot 1).  Destroying the endpoint first would
 * restart the thread; destroying its TCB right after must stop it for good,
 * all in the one Delete.
 */
TEST(cnode_delete_cnode_holding_blocked_thread_and_its_endpoint)
{
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 2);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t receiver;
    receiver_got_message = 0;
    CHECK_OK(sel_thread_create(env->alloc, &receiver, false, TEST_PRIORITY + 1, fault_ep, receive_forever,
                               (void *)ep));
    CHECK_OK(sel_thread_start(&receiver));
    CHECK_OK(sel_cnode_move(cnode, 0, 2, ROOT, ep, DEPTH));
    CHECK_OK(sel_cnode_move(cnode, 1, 2, ROOT, receiver.tcb, DEPTH));
    CHECK_OK(sel_cnode_delete(ROOT, cnode, DEPTH));
    /* Had the thread run again it would have faulted (its Recv names an empty slot) or received. */
    sel_word_t badge = 1;
    sel_msginfo_t info = sel_nb_recv(fault_ep, &badge);
    CHECK_EQ(sel_msginfo_label(info), 0);
    CHECK_EQ(badge, 0);
    CHECK_EQ(receiver_got_message, 0);
}
