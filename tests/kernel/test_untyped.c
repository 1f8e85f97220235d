/*
 * Untyped Retype: every object type, where the objects go (the watermark),
 * when it resets, what revoking an untyped destroys (threads included), and
 * each error the invocation can return.  Each test
 * retypes from a small untyped of its own (a child of the allocator's), so
 * sizes and addresses are known exactly.
 */
#include "test.h"

#define ROOT SEL_CAP_INIT_CNODE
#define DEPTH SEL_WORD_BITS

/* n consecutive free slots of the root CNode; returns the first. */
static sel_cptr_t test_slots(struct test_env *env, unsigned n)
{
    sel_cptr_t first = test_slot(env);
    for (unsigned i = 1; i < n; i++)
        CHECK_EQ(test_slot(env), first + i);
    return first;
}

/* Retypes count objects from untyped into root slots slot.. */
static sel_error_t retype(sel_cptr_t untyped, sel_object_type_t type, sel_word_t size_bits, sel_cptr_t slot,
                          sel_word_t count)
{
    return sel_untyped_retype(untyped, type, size_bits, ROOT, 0, 0, slot, count);
}

static sel_word_t frame_paddr(sel_cptr_t frame)
{
    sel_word_t paddr = 0;
    CHECK_OK(sel_frame_get_address(frame, &paddr));
    return paddr;
}

TEST(untyped_retype_into_every_object_type)
{
    static const struct {
        sel_object_type_t type;
        sel_word_t size_bits;
        int cap_type;
    } kinds[] = {
        { SEL_UNTYPED_OBJECT, 12, SEL_CAP_TYPE_UNTYPED },
        { SEL_TCB_OBJECT, 0, SEL_CAP_TYPE_TCB },
        { SEL_ENDPOINT_OBJECT, 0, SEL_CAP_TYPE_ENDPOINT },
        { SEL_NOTIFICATION_OBJECT, 0, SEL_CAP_TYPE_NOTIFICATION },
        { SEL_CNODE_OBJECT, 4, SEL_CAP_TYPE_CNODE },
        { SEL_PAGE_TABLE_OBJECT, 0, SEL_CAP_TYPE_PAGE_TABLE },
        { SEL_FRAME_4K_OBJECT, 0, SEL_CAP_TYPE_FRAME },
        { SEL_FRAME_2M_OBJECT, 0, SEL_CAP_TYPE_FRAME },
    };
    /* 4 MiB: the small objects in the first 2 MiB, the large frame in the second. */
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 22);
    sel_cptr_t first = test_slots(env, 8);
    for (unsigned i = 0; i < 8; i++) {
        sel_error_t err = retype(untyped, kinds[i].type, kinds[i].size_bits, first + i, 1);
        if (err != SEL_NO_ERROR)
            test_fail(__FILE__, __LINE__, "retype into type %d: %s", kinds[i].type, sel_error_name(err));
        int got = sel_debug_cap_identify(first + i);
        if (got != kinds[i].cap_type)
            test_fail(__FILE__, __LINE__, "type %d gave a %s cap", kinds[i].type, sel_cap_type_name(got));
    }
    sel_word_t small = frame_paddr(first + 6), large = frame_paddr(first + 7);
    CHECK_EQ(small & 0xfff, 0);
    CHECK_EQ(large & 0x1fffff, 0);
    /* The 4K frame follows the untyped, TCB, endpoint, notification, CNode and page table: at 12 KiB. */
    CHECK_EQ(large - small, 0x200000 - 0x3000);
}

TEST(untyped_retype_many_objects_in_one_call)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t first = test_slots(env, 18);
    /* Slots first and first + 17 stay empty around the 16 objects. */
    CHECK_OK(retype(untyped, SEL_NOTIFICATION_OBJECT, 0, first + 1, 16));
    CHECK_EQ(sel_debug_cap_identify(first), SEL_CAP_TYPE_NULL);
    for (unsigned i = 1; i <= 16; i++)
        CHECK_EQ(sel_debug_cap_identify(first + i), SEL_CAP_TYPE_NOTIFICATION);
    CHECK_EQ(sel_debug_cap_identify(first + 17), SEL_CAP_TYPE_NULL);
    /* Distinct objects: a badge signalled through one does not show in another. */
    sel_cptr_t badged = test_slot(env);
    CHECK_OK(sel_cnode_mint(ROOT, badged, DEPTH, ROOT, first + 3, DEPTH, SEL_ALL_RIGHTS, 0x5));
    sel_signal(badged);
    CHECK_EQ(sel_poll(first + 2), 0);
    CHECK_EQ(sel_poll(first + 4), 0);
    CHECK_EQ(sel_poll(first + 3), 0x5);
}

TEST(untyped_objects_are_consecutive_and_aligned)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t f = test_slots(env, 7);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, f, 1));
    sel_word_t base = frame_paddr(f);
    CHECK_EQ(base & 0xffff, 0);     /* the first object sits at the start of the untyped */
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, f + 1, 3));
    for (unsigned i = 1; i <= 3; i++)
        CHECK_EQ(frame_paddr(f + i), base + i * 0x1000);
    /* An endpoint takes 32 bytes at base + 16K; the next frame is aligned up past it. */
    CHECK_OK(retype(untyped, SEL_ENDPOINT_OBJECT, 0, f + 4, 1));
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, f + 5, 1));
    CHECK_EQ(frame_paddr(f + 5), base + 5 * 0x1000);
}

TEST(untyped_not_enough_memory_reports_bytes_left)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 14);   /* 16 KiB */
    sel_cptr_t s = test_slots(env, 10);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 3));
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 3, 2), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0x1000);
    CHECK_EQ(sel_debug_cap_identify(s + 3), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(s + 4), SEL_CAP_TYPE_NULL);
    /* The last 4 KiB hold exactly four TCBs; then nothing fits. */
    CHECK_OK(retype(untyped, SEL_TCB_OBJECT, 0, s + 3, 4));
    CHECK_ERR(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s + 7, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_debug_cap_identify(s + 7), SEL_CAP_TYPE_NULL);
}

TEST(untyped_retype_past_its_end_not_enough_memory)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 13);   /* 8 KiB */
    sel_cptr_t s = test_slots(env, 3);
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 3), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0x2000);
    CHECK_ERR(retype(untyped, SEL_UNTYPED_OBJECT, 14, s, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0x2000);
    CHECK_ERR(retype(untyped, SEL_FRAME_2M_OBJECT, 0, s, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0x2000);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(sel_debug_cap_identify(s + i), SEL_CAP_TYPE_NULL);
    /* None of that used any memory: all of it is still there. */
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 13, s, 1));
}

TEST(untyped_watermark_resets_after_children_deleted)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 13);
    sel_cptr_t s = test_slots(env, 3);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 2));
    sel_word_t base = frame_paddr(s);
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 2, 1), SEL_NOT_ENOUGH_MEMORY);
    /* One child left: the watermark stays. */
    CHECK_OK(sel_cnode_delete(ROOT, s, DEPTH));
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 2, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(sel_get_mr(0), 0);
    /* No children: the whole untyped is free again, from its start. */
    CHECK_OK(sel_cnode_delete(ROOT, s + 1, DEPTH));
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 2));
    CHECK_EQ(frame_paddr(s), base);
    CHECK_EQ(frame_paddr(s + 1), base + 0x1000);
}

TEST(untyped_watermark_resets_after_revoke)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 13);
    sel_cptr_t s = test_slots(env, 4);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 2));
    sel_word_t base = frame_paddr(s);
    /* Copies are grandchildren of the untyped: revoke takes them too. */
    CHECK_OK(sel_cnode_copy(ROOT, s + 2, DEPTH, ROOT, s, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_copy(ROOT, s + 3, DEPTH, ROOT, s + 1, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(sel_debug_cap_identify(s + i), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(untyped), SEL_CAP_TYPE_UNTYPED);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 2));
    CHECK_EQ(frame_paddr(s), base);
}

TEST(untyped_retype_invalid_type_invalid_argument)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t s = test_slot(env);
    CHECK_ERR(retype(untyped, SEL_NUM_OBJECT_TYPES, 0, s, 1), SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_ERR(retype(untyped, (sel_object_type_t)-1, 0, s, 1), SEL_INVALID_ARGUMENT);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
}

TEST(untyped_retype_size_bits_out_of_range)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t s = test_slot(env);
    static const sel_word_t bad_untyped[] = { 0, SEL_MIN_UNTYPED_BITS - 1, SEL_MAX_UNTYPED_BITS + 1, 64 };
    for (unsigned i = 0; i < 4; i++) {
        CHECK_ERR(retype(untyped, SEL_UNTYPED_OBJECT, bad_untyped[i], s, 1), SEL_RANGE_ERROR);
        CHECK_EQ(sel_get_mr(0), SEL_MIN_UNTYPED_BITS);
        CHECK_EQ(sel_get_mr(1), SEL_MAX_UNTYPED_BITS);
    }
    static const sel_word_t bad_radix[] = { 0, SEL_MAX_CNODE_RADIX + 1, 64 };
    for (unsigned i = 0; i < 3; i++) {
        CHECK_ERR(retype(untyped, SEL_CNODE_OBJECT, bad_radix[i], s, 1), SEL_RANGE_ERROR);
        CHECK_EQ(sel_get_mr(0), SEL_MIN_CNODE_RADIX);
        CHECK_EQ(sel_get_mr(1), SEL_MAX_CNODE_RADIX);
    }
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    /* The limits themselves are allowed (a radix-1 CNode fits; a 2^38 untyped does not, for lack of memory). */
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, SEL_MIN_CNODE_RADIX, s, 1));
    CHECK_ERR(retype(untyped, SEL_UNTYPED_OBJECT, SEL_MAX_UNTYPED_BITS, test_slot(env), 1),
              SEL_NOT_ENOUGH_MEMORY);
}

TEST(untyped_retype_object_count_out_of_range)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t s = test_slot(env);
    CHECK_ERR(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s, 0), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), SEL_RETYPE_MAX_OBJECTS);
    CHECK_ERR(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s, SEL_RETYPE_MAX_OBJECTS + 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), SEL_RETYPE_MAX_OBJECTS);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
}

TEST(untyped_retype_256_objects_into_a_cnode)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t cnode = test_slot(env), out = test_slot(env);
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 8, cnode, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 0, SEL_RETYPE_MAX_OBJECTS));
    /* Every slot is full now. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 255, 1), SEL_DELETE_FIRST);
    CHECK_OK(sel_cnode_move(ROOT, out, DEPTH, cnode, 255, 8));
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_ENDPOINT);
}

TEST(untyped_retype_into_cnode_at_offset)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t cnode = test_slot(env), out = test_slots(env, 3);
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 4, cnode, 1));
    /* The destination CNode is the cap at (cnode, depth 64) under the root. */
    CHECK_OK(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, ROOT, cnode, DEPTH, 5, 3));
    /* Slots 4 and 8 of the CNode stay empty; 5..7 hold the notifications. */
    CHECK_ERR(sel_cnode_move(ROOT, out, DEPTH, cnode, 4, 4), SEL_FAILED_LOOKUP);
    CHECK_ERR(sel_cnode_move(ROOT, out, DEPTH, cnode, 8, 4), SEL_FAILED_LOOKUP);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_OK(sel_cnode_move(ROOT, out + i, DEPTH, cnode, 5 + i, 4));
        CHECK_EQ(sel_debug_cap_identify(out + i), SEL_CAP_TYPE_NOTIFICATION);
    }
}

TEST(untyped_retype_past_cnode_end_range_error)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t cnode = test_slot(env), out = test_slot(env);
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 4, cnode, 1));
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 16, 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), 15);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 14, 3), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 1);
    CHECK_EQ(sel_get_mr(1), 2);
    CHECK_ERR(sel_cnode_move(ROOT, out, DEPTH, cnode, 14, 4), SEL_FAILED_LOOKUP);   /* nothing was created */
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 14, 2));
    CHECK_OK(sel_cnode_move(ROOT, out, DEPTH, cnode, 15, 4));
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_ENDPOINT);
}

TEST(untyped_retype_into_occupied_slot_delete_first)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 6);   /* room for exactly two endpoints */
    sel_cptr_t other = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t s = test_slots(env, 5);
    CHECK_OK(sel_cnode_copy(ROOT, s + 2, DEPTH, ROOT, other, DEPTH, SEL_ALL_RIGHTS));
    /* s + 2 is occupied: nothing is created, not even in s and s + 1. */
    CHECK_ERR(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s, 3), SEL_DELETE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(s + 1), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(s + 2), SEL_CAP_TYPE_NOTIFICATION);
    /* And no memory was used: both endpoints still fit. */
    CHECK_OK(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s + 3, 2));
}

TEST(untyped_device_memory_only_holds_frames_and_untypeds)
{
    const sel_bootinfo_t *bi = env->bi;
    sel_cptr_t device = 0;
    sel_word_t paddr = 0;
    for (sel_word_t i = 0; i < bi->num_untypeds && !device; i++)
        if (bi->untyped_list[i].is_device && bi->untyped_list[i].size_bits >= 13) {
            device = bi->untyped.start + i;
            paddr = bi->untyped_list[i].paddr;
        }
    CHECK(device != 0);
    sel_cptr_t s = test_slot(env);
    static const sel_object_type_t kernel_types[] = {
        SEL_TCB_OBJECT, SEL_ENDPOINT_OBJECT, SEL_NOTIFICATION_OBJECT, SEL_CNODE_OBJECT, SEL_PAGE_TABLE_OBJECT,
    };
    for (unsigned i = 0; i < 5; i++) {
        CHECK_ERR(retype(device, kernel_types[i], 4, s, 1), SEL_INVALID_ARGUMENT);
        CHECK_EQ(sel_get_mr(0), 0);
    }
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    /* A frame of device memory is fine (the slot is emptied after the test). */
    CHECK_OK(retype(device, SEL_FRAME_4K_OBJECT, 0, s, 1));
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_FRAME);
    CHECK_EQ(frame_paddr(s), paddr);
    /* An untyped carved from device memory is device memory too. */
    sel_cptr_t child = test_slot(env), t = test_slot(env);
    CHECK_OK(retype(device, SEL_UNTYPED_OBJECT, 12, child, 1));
    CHECK_ERR(retype(child, SEL_TCB_OBJECT, 0, t, 1), SEL_INVALID_ARGUMENT);
    CHECK_OK(retype(child, SEL_FRAME_4K_OBJECT, 0, t, 1));
    CHECK_EQ(frame_paddr(t), paddr + 0x1000);
}

TEST(untyped_retype_bad_destination_failed_lookup)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t empty = test_slot(env);

    /* The node slot is empty, or holds something other than a CNode. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, empty, DEPTH, 0, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, ep, DEPTH, 0, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);
    /* The index does not match the root's zero guard; the depth is not the root's 64 bits. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode | (1ull << 40), DEPTH, 0, 1),
              SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, 32, 0, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH + 1, 0, 1), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), DEPTH);
    /* The root is not a CNode (depth 0: the root itself is the destination). */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ep, 0, 0, 0, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_INVALID_ROOT);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, empty, 0, 0, 0, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_INVALID_ROOT);
    /* The CNode itself works. */
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 0, 1));
}

TEST(untyped_with_copy_child_cannot_retype)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 14);
    sel_cptr_t copy = test_slot(env), s = test_slots(env, 3);
    CHECK_OK(sel_cnode_copy(ROOT, copy, DEPTH, ROOT, untyped, DEPTH, SEL_ALL_RIGHTS));
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s, 1), SEL_REVOKE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    /* The copy keeps the watermark. */
    CHECK_OK(retype(copy, SEL_FRAME_4K_OBJECT, 0, s, 1));
    sel_word_t base = frame_paddr(s);
    /* Deleting the copy hands its objects and watermark to the original: no overlap. */
    CHECK_OK(sel_cnode_delete(ROOT, copy, DEPTH));
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 1, 1));
    CHECK_EQ(frame_paddr(s + 1), base + 0x1000);
    /* And the original's revoke destroys the copy's objects. */
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(s + 1), SEL_CAP_TYPE_NULL);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 2, 1));
    CHECK_EQ(frame_paddr(s + 2), base);
}

TEST(untyped_copy_with_children_revoke_first)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t child = test_slot(env), copy = test_slot(env);
    CHECK_OK(retype(untyped, SEL_ENDPOINT_OBJECT, 0, child, 1));
    CHECK_ERR(sel_cnode_copy(ROOT, copy, DEPTH, ROOT, untyped, DEPTH, SEL_ALL_RIGHTS), SEL_REVOKE_FIRST);
    CHECK_ERR(sel_cnode_mint(ROOT, copy, DEPTH, ROOT, untyped, DEPTH, SEL_ALL_RIGHTS, 0), SEL_REVOKE_FIRST);
    CHECK_EQ(sel_debug_cap_identify(copy), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    CHECK_OK(sel_cnode_copy(ROOT, copy, DEPTH, ROOT, untyped, DEPTH, SEL_ALL_RIGHTS));
    CHECK_EQ(sel_debug_cap_identify(copy), SEL_CAP_TYPE_UNTYPED);
}

TEST(untyped_revoke_destroys_every_object)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 16);
    sel_cptr_t s = test_slots(env, 9);
    CHECK_OK(retype(untyped, SEL_ENDPOINT_OBJECT, 0, s, 1));
    CHECK_OK(retype(untyped, SEL_NOTIFICATION_OBJECT, 0, s + 1, 1));
    CHECK_OK(retype(untyped, SEL_TCB_OBJECT, 0, s + 2, 1));
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 2, s + 3, 1));
    CHECK_OK(retype(untyped, SEL_PAGE_TABLE_OBJECT, 0, s + 4, 1));
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, s + 5, 1));
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 12, s + 6, 1));
    CHECK_OK(retype(s + 6, SEL_ENDPOINT_OBJECT, 0, s + 7, 1));     /* a grandchild through the child untyped */
    CHECK_OK(sel_cnode_mint(ROOT, s + 8, DEPTH, ROOT, s, DEPTH, SEL_ALL_RIGHTS, 9));   /* a badged copy */
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, s + 3, DEPTH, 1, 1)); /* inside the CNode */
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    for (unsigned i = 0; i < 9; i++) {
        int type = sel_debug_cap_identify(s + i);
        if (type != SEL_CAP_TYPE_NULL)
            test_fail(__FILE__, __LINE__, "slot %u still holds a %s cap", i, sel_cap_type_name(type));
    }
    CHECK_EQ(sel_debug_cap_identify(untyped), SEL_CAP_TYPE_UNTYPED);
    /* Everything is free again: one object the size of the whole untyped fits. */
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 16, s, 1));
}

TEST(untyped_child_untyped_takes_its_share)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 13);
    sel_cptr_t child = test_slot(env), f = test_slots(env, 3);
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 12, child, 1));
    CHECK_OK(retype(child, SEL_FRAME_4K_OBJECT, 0, f, 1));
    sel_word_t base = frame_paddr(f);
    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, f + 1, 1));
    CHECK_EQ(frame_paddr(f + 1), base + 0x1000);
    CHECK_ERR(retype(child, SEL_FRAME_4K_OBJECT, 0, f + 2, 1), SEL_NOT_ENOUGH_MEMORY);
    /* Revoking the child untyped frees its memory for it, not for the parent. */
    CHECK_OK(sel_cnode_revoke(ROOT, child, DEPTH));
    CHECK_EQ(sel_debug_cap_identify(f), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(f + 1), SEL_CAP_TYPE_FRAME);
    CHECK_ERR(retype(untyped, SEL_FRAME_4K_OBJECT, 0, f, 1), SEL_NOT_ENOUGH_MEMORY);
    CHECK_OK(retype(child, SEL_FRAME_4K_OBJECT, 0, f, 1));
    CHECK_EQ(frame_paddr(f), base);
}

TEST(untyped_invocation_wrong_label_or_truncated)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t s = test_slot(env);
    for (int i = 0; i < 6; i++)
        sel_set_mr(i, 0);
    sel_set_mr(0, SEL_ENDPOINT_OBJECT);
    sel_set_mr(4, s);
    sel_set_mr(5, 1);
    sel_set_cap(0, ROOT);
    sel_msginfo_t info = sel_call(untyped, sel_msginfo_new(SEL_CNODE_COPY, 0, 1, 6));
    CHECK_EQ(sel_msginfo_label(info), SEL_ILLEGAL_OPERATION);
    sel_set_mr(4, s);
    info = sel_call(untyped, sel_msginfo_new(SEL_UNTYPED_RETYPE, 0, 1, 5));
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    sel_set_mr(4, s);
    info = sel_call(untyped, sel_msginfo_new(SEL_UNTYPED_RETYPE, 0, 0, 6));
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_NULL);
    /* The same message, complete, works. */
    sel_set_mr(0, SEL_ENDPOINT_OBJECT);
    sel_set_mr(1, 0);
    sel_set_mr(2, 0);
    sel_set_mr(3, 0);
    sel_set_mr(4, s);
    sel_set_mr(5, 1);
    sel_set_cap(0, ROOT);
    info = sel_call(untyped, sel_msginfo_new(SEL_UNTYPED_RETYPE, 0, 1, 6));
    CHECK_EQ(sel_msginfo_label(info), SEL_NO_ERROR);
    CHECK_EQ(sel_debug_cap_identify(s), SEL_CAP_TYPE_ENDPOINT);
}

TEST(untyped_retype_into_cnode_two_levels_down)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t a = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t b = test_object(env, SEL_CNODE_OBJECT, 3);
    sel_cptr_t c = test_object(env, SEL_CNODE_OBJECT, 2);
    sel_cptr_t out = test_slot(env);
    /* A[2] = B with guard 0x3 (2 bits), B[1] = C: through A, the slot holding C is 2 . 0x3 . 1 at depth 9. */
    CHECK_OK(sel_cnode_mint(a, 2, 4, ROOT, b, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0x3, 2)));
    CHECK_OK(sel_cnode_copy(b, 1, 3, ROOT, c, DEPTH, SEL_ALL_RIGHTS));
    sel_word_t node = (2 << 5) | (0x3 << 3) | 1;
    CHECK_OK(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, a, node, 9, 3, 1));
    CHECK_OK(sel_cnode_move(ROOT, out, DEPTH, c, 3, 2));
    CHECK_EQ(sel_debug_cap_identify(out), SEL_CAP_TYPE_NOTIFICATION);
    /* A wrong guard for B; a depth that ends inside B's level. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, a, node ^ (1 << 3), 9, 3, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_ERR(sel_untyped_retype(untyped, SEL_NOTIFICATION_OBJECT, 0, a, node >> 3, 6, 3, 1), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_DEPTH_MISMATCH);
}

/* The untyped's cap lives in a CNode made from it: revoking it destroys the CNode, and so itself. */
TEST(untyped_revoke_can_destroy_the_untyped_itself)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t cnode = test_slot(env);
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 2, cnode, 1));
    CHECK_OK(sel_cnode_move(cnode, 0, 2, ROOT, untyped, DEPTH));
    CHECK_OK(sel_cnode_revoke(cnode, 0, 2));
    CHECK_EQ(sel_debug_cap_identify(cnode), SEL_CAP_TYPE_NULL);
    CHECK_EQ(sel_debug_cap_identify(untyped), SEL_CAP_TYPE_NULL);
}

/* Memory handed out again is zeroed: a frame written, deleted and retyped reads back as zeros. */
TEST(untyped_retyped_frame_is_zeroed)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t frame = test_slot(env);
    sel_word_t vaddr = env->alloc->vaddr_next;
    env->alloc->vaddr_next += 2 * 4096;
    volatile sel_word_t *page = (volatile sel_word_t *)vaddr;

    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, frame, 1));
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    for (unsigned i = 0; i < 512; i++)
        page[i] = 0x5a5a5a5a00000000ull | i;
    CHECK_OK(sel_cnode_delete(ROOT, frame, DEPTH));   /* unmaps it, and the untyped has no children */

    CHECK_OK(retype(untyped, SEL_FRAME_4K_OBJECT, 0, frame, 1));
    CHECK_OK(sel_alloc_map_frame(env->alloc, frame, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE,
                                 SEL_VM_EXECUTE_NEVER));
    for (unsigned i = 0; i < 512; i++)
        if (page[i] != 0)
            test_fail(__FILE__, __LINE__, "word %u of the new frame is 0x%llx", i, (unsigned long long)page[i]);
}

/* A CNode made from memory that held a CNode full of caps starts empty. */
TEST(untyped_retyped_cnode_starts_empty)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t cnode = test_slot(env), out = test_slot(env);
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 4, cnode, 1));
    CHECK_OK(sel_untyped_retype(untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, cnode, DEPTH, 0, 16));
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    CHECK_OK(retype(untyped, SEL_CNODE_OBJECT, 4, cnode, 1));
    for (unsigned i = 0; i < 16; i++) {
        sel_error_t err = sel_cnode_move(ROOT, out, DEPTH, cnode, i, 4);
        if (err != SEL_FAILED_LOOKUP)
            test_fail(__FILE__, __LINE__, "slot %u of the new CNode: %s", i, sel_error_name(err));
    }
}

/*
 * An allocator that takes everything from one untyped (slots from the
 * test's allocator), so that a thread made with it lives entirely in
 * that untyped: TCB, IPC buffer, stack and the page tables mapping them.
 */
static void private_allocator(struct test_env *env, sel_allocator_t *a, sel_cptr_t untyped, unsigned slots)
{
    *a = *env->alloc;
    a->slot_start = a->slot_next = test_slots(env, slots);
    a->slot_end = a->slot_start + slots;
    a->untyped[0] = untyped;
    a->num_untypeds = 1;
    /* Addresses far from the test allocator's, in page tables of their own. */
    a->vaddr_start = a->vaddr_next = env->alloc->vaddr_next + (1ull << 30);
}

static volatile int before_revoke, after_revoke;

static void revoke_own_untyped(void *arg)
{
    before_revoke = 1;
    sel_cnode_revoke(ROOT, (sel_cptr_t)arg, DEPTH);
    after_revoke = 1;   /* never: the revoke destroyed this thread */
}

/* A thread revokes the untyped its own TCB, stack and IPC buffer came from. */
TEST(untyped_revoke_destroys_the_invoking_thread)
{
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 17);
    sel_allocator_t a;
    private_allocator(env, &a, untyped, 32);
    sel_thread_t t;
    before_revoke = after_revoke = 0;
    CHECK_OK(sel_thread_create(&a, &t, false, TEST_PRIORITY + 1, 0, revoke_own_untyped, (void *)untyped));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(before_revoke, 1);
    CHECK_EQ(after_revoke, 0);
    CHECK_EQ(sel_debug_cap_identify(t.tcb), SEL_CAP_TYPE_NULL);
    sel_cptr_t big = test_slot(env);
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 17, big, 1));
}

static volatile int spin_count;

static void spin(void *arg)
{
    (void)arg;
    for (;;)
        spin_count++;
}

/* Revoking an untyped stops a thread made from it that is running on the other hart. */
TEST(untyped_revoke_stops_a_thread_on_another_hart)
{
    if (env->bi->num_harts < 2)
        return;
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 17);
    sel_allocator_t a;
    private_allocator(env, &a, untyped, 32);
    sel_thread_t t;
    spin_count = 0;
    CHECK_OK(sel_thread_create(&a, &t, false, TEST_PRIORITY, 0, spin, NULL));
    sel_word_t other = test_other_hart(env);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&spin_count));
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));
    int stopped_at = spin_count;
    sel_word_t until = test_rdtime() + env->bi->timebase_frequency / 20;   /* 50 ms */
    while (test_rdtime() < until)
        ;
    CHECK_EQ(spin_count, stopped_at);
    /* Its memory is free and reusable at once. */
    sel_cptr_t big = test_slot(env);
    CHECK_OK(retype(untyped, SEL_UNTYPED_OBJECT, 17, big, 1));
}
