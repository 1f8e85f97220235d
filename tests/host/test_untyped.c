/* Host tests of object_size_bits and untyped_place (kernel/include/kernel/untyped.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/untyped.h>

/* ---- object_size_bits ------------------------------------------------------------- */

static void object_size_bits_fixed_size_objects_ignore_size_bits(void **state)
{
    static const struct { word_t type; int bits; } fixed[] = {
        { SEL_TCB_OBJECT, SEL_TCB_BITS },
        { SEL_ENDPOINT_OBJECT, SEL_ENDPOINT_BITS },
        { SEL_NOTIFICATION_OBJECT, SEL_NOTIFICATION_BITS },
        { SEL_PAGE_TABLE_OBJECT, SEL_PAGE_TABLE_BITS },
        { SEL_FRAME_4K_OBJECT, SEL_PAGE_BITS },
        { SEL_FRAME_2M_OBJECT, SEL_LARGE_PAGE_BITS },
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        assert_int_equal(object_size_bits(fixed[i].type, 0), fixed[i].bits);
        assert_int_equal(object_size_bits(fixed[i].type, 63), fixed[i].bits);
        assert_int_equal(object_size_bits(fixed[i].type, ~0ull), fixed[i].bits);
    }
}

static void object_size_bits_untyped_accepts_4_to_38(void **state)
{
    assert_int_equal(object_size_bits(SEL_UNTYPED_OBJECT, SEL_MIN_UNTYPED_BITS - 1), -1);
    for (word_t bits = SEL_MIN_UNTYPED_BITS; bits <= SEL_MAX_UNTYPED_BITS; bits++)
        assert_int_equal(object_size_bits(SEL_UNTYPED_OBJECT, bits), (int)bits);
    assert_int_equal(object_size_bits(SEL_UNTYPED_OBJECT, SEL_MAX_UNTYPED_BITS + 1), -1);
    assert_int_equal(object_size_bits(SEL_UNTYPED_OBJECT, 1ull << 32), -1); /* not truncated to int */
}

static void object_size_bits_cnode_is_radix_plus_slot_bits(void **state)
{
    assert_int_equal(object_size_bits(SEL_CNODE_OBJECT, 0), -1);
    for (word_t radix = SEL_MIN_CNODE_RADIX; radix <= SEL_MAX_CNODE_RADIX; radix++)
        assert_int_equal(object_size_bits(SEL_CNODE_OBJECT, radix), (int)radix + SEL_SLOT_BITS);
    assert_int_equal(object_size_bits(SEL_CNODE_OBJECT, SEL_MAX_CNODE_RADIX + 1), -1);
    assert_int_equal(object_size_bits(SEL_CNODE_OBJECT, (1ull << 32) + 4), -1);
}

static void object_size_bits_rejects_unknown_types(void **state)
{
    assert_int_equal(object_size_bits(SEL_NUM_OBJECT_TYPES, 12), -1);
    assert_int_equal(object_size_bits(~0ull, 12), -1);
    assert_int_equal(object_size_bits((1ull << 32) | SEL_TCB_OBJECT, 0), -1); /* not truncated to the low bits */
}

/* ---- untyped_place ------------------------------------------------------------------ */

static void untyped_place_first_object_at_start_of_fresh_region(void **state)
{
    assert_int_equal(untyped_place(0, 12, 5, 1), 0);
}

static void untyped_place_aligns_first_object_to_its_size(void **state)
{
    assert_int_equal(untyped_place(0x10, 12, 10, 1), 0x400);  /* 16 bytes used: next 1 KiB boundary */
    assert_int_equal(untyped_place(0x401, 12, 10, 1), 0x800);
    assert_int_equal(untyped_place(0x400, 12, 10, 1), 0x400); /* already aligned: no gap */
    assert_int_equal(untyped_place(0x20, 12, 5, 1), 0x20);
}

static void untyped_place_exact_fit(void **state)
{
    assert_int_equal(untyped_place(0, 12, 10, 4), 0);          /* four 1 KiB objects fill 4 KiB */
    assert_int_equal(untyped_place(0x800, 12, 10, 2), 0x800);  /* the last two */
    assert_int_equal(untyped_place(0, 12, 12, 1), 0);          /* one object the size of the region */
    assert_int_equal(untyped_place(0, 12, 4, 256), 0);         /* 256 x 16 bytes */
}

static void untyped_place_one_object_too_many(void **state)
{
    assert_int_equal(untyped_place(0, 12, 10, 5), -1);
    assert_int_equal(untyped_place(0x800, 12, 10, 3), -1);
    assert_int_equal(untyped_place(0, 12, 12, 2), -1);
}

/* One byte used is enough to push the last of an exact fit out. */
static void untyped_place_one_byte_too_many(void **state)
{
    assert_int_equal(untyped_place(1, 12, 10, 4), -1);
    assert_int_equal(untyped_place(1, 12, 10, 3), 0x400);
    assert_int_equal(untyped_place(0x801, 12, 10, 2), -1);
    assert_int_equal(untyped_place(1, 12, 12, 1), -1);
}

static void untyped_place_count_must_be_1_to_256(void **state)
{
    assert_int_equal(untyped_place(0, 20, 4, 0), -1);
    assert_int_equal(untyped_place(0, 20, 4, 1), 0);
    assert_int_equal(untyped_place(0, 20, 4, SEL_RETYPE_MAX_OBJECTS), 0);
    assert_int_equal(untyped_place(0, 20, 4, SEL_RETYPE_MAX_OBJECTS + 1), -1);
    assert_int_equal(untyped_place(0, 20, 4, ~0ull), -1);
}

static void untyped_place_object_larger_than_region(void **state)
{
    assert_int_equal(untyped_place(0, 12, 13, 1), -1);
    assert_int_equal(untyped_place(0, 4, SEL_LARGE_PAGE_BITS, 1), -1);
    assert_int_equal(untyped_place(0, SEL_MAX_UNTYPED_BITS, SEL_MAX_UNTYPED_BITS + 1, 1), -1);
}

static void untyped_place_full_region_has_no_room(void **state)
{
    assert_int_equal(untyped_place(0x1000, 12, 4, 1), -1); /* watermark at the end */
    assert_int_equal(untyped_place(0xff0, 12, 4, 1), 0xff0); /* room for exactly one more */
    assert_int_equal(untyped_place(0xff0, 12, 4, 2), -1);
    assert_int_equal(untyped_place(0xff1, 12, 4, 1), -1);
}

static void untyped_place_watermark_past_region_is_refused(void **state)
{
    assert_int_equal(untyped_place(0x2000, 12, 4, 1), -1);
    assert_int_equal(untyped_place(BIT(40), 12, 4, 1), -1);
}

/* Region of 2^38 with the largest counts: no product or sum may wrap. */
static void untyped_place_large_region_does_not_overflow(void **state)
{
    const unsigned r = SEL_MAX_UNTYPED_BITS;
    assert_int_equal(untyped_place(0, r, r - 8, 256), 0);                      /* exactly fills it */
    assert_int_equal(untyped_place(0, r, r - 8, 257), -1);                     /* count over the limit */
    assert_int_equal(untyped_place(1, r, r - 8, 256), -1);
    assert_int_equal(untyped_place(0, r, r - 7, 256), -1);                     /* 2^39 bytes asked */
    assert_int_equal(untyped_place(0, r, r, 256), -1);                         /* 256 x 2^38 */
    assert_int_equal(untyped_place(BIT(r) - BIT(30), r, 30, 1), (int64_t)(BIT(r) - BIT(30)));
    assert_int_equal(untyped_place(BIT(r) - BIT(30), r, 30, 2), -1);
    assert_int_equal(untyped_place(BIT(r) - 1, r, r - 1, 1), -1);              /* align up past the end */
}

/* Watermarks near 2^64 would wrap when aligned up: refused, never placed at a small offset. */
static void untyped_place_watermark_near_word_end_does_not_wrap(void **state)
{
    assert_int_equal(untyped_place(~0ull, 38, 12, 1), -1);
    assert_int_equal(untyped_place(~0ull - 0xffe, 38, 12, 1), -1);
    assert_int_equal(untyped_place(~0ull - 0x1000, 38, 12, 1), -1);
}

/*
 * Over a grid of inputs: a result is aligned, at or past the watermark and
 * the objects end inside the region; -1 only when that is impossible
 * (computed here in 128-bit arithmetic, which cannot wrap).
 */
static void untyped_place_agrees_with_wide_arithmetic(void **state)
{
    static const word_t watermarks[] = { 0, 1, 15, 16, 17, 0x3ff, 0x400, 0x401, 0xfff, 0x1000, 0x1001,
                                         BIT(20) - 1, BIT(20), BIT(30) + 5, BIT(37), BIT(38) - 16, BIT(38),
                                         BIT(38) + 1, ~0ull - 16 };
    static const word_t counts[] = { 0, 1, 2, 3, 15, 16, 17, 255, 256, 257 };
    for (unsigned r = 4; r <= 38; r += 2)
        for (unsigned o = 4; o <= 40; o += 3)
            for (size_t w = 0; w < sizeof(watermarks) / sizeof(watermarks[0]); w++)
                for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                    word_t wm = watermarks[w], n = counts[c];
                    unsigned __int128 size = (unsigned __int128)1 << o;
                    unsigned __int128 start = ((unsigned __int128)wm + size - 1) / size * size;
                    bool fits = o <= r && n >= 1 && n <= 256 && start + n * size <= ((unsigned __int128)1 << r);
                    int64_t got = untyped_place(wm, r, o, n);
                    if (fits)
                        assert_int_equal(got, (int64_t)start);
                    else
                        assert_int_equal(got, -1);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(object_size_bits_fixed_size_objects_ignore_size_bits),
        cmocka_unit_test(object_size_bits_untyped_accepts_4_to_38),
        cmocka_unit_test(object_size_bits_cnode_is_radix_plus_slot_bits),
        cmocka_unit_test(object_size_bits_rejects_unknown_types),
        cmocka_unit_test(untyped_place_first_object_at_start_of_fresh_region),
        cmocka_unit_test(untyped_place_aligns_first_object_to_its_size),
        cmocka_unit_test(untyped_place_exact_fit),
        cmocka_unit_test(untyped_place_one_object_too_many),
        cmocka_unit_test(untyped_place_one_byte_too_many),
        cmocka_unit_test(untyped_place_count_must_be_1_to_256),
        cmocka_unit_test(untyped_place_object_larger_than_region),
        cmocka_unit_test(untyped_place_full_region_has_no_room),
        cmocka_unit_test(untyped_place_watermark_past_region_is_refused),
        cmocka_unit_test(untyped_place_large_region_does_not_overflow),
        cmocka_unit_test(untyped_place_watermark_near_word_end_does_not_wrap),
        cmocka_unit_test(untyped_place_agrees_with_wide_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
