/* Host tests of the ready-priority bitmap (kernel/include/kernel/prio_bitmap.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/prio_bitmap.h>

#define PRIOS (PRIO_WORDS * 64)

static void prio_bitmap_zeroed_is_empty(void **state)
{
    struct prio_bitmap b = { 0 };
    assert_true(prio_bitmap_empty(&b));
}

static void prio_bitmap_set_then_clear_is_empty_again(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 100);
    assert_false(prio_bitmap_empty(&b));
    assert_int_equal(prio_bitmap_highest(&b), 100);
    prio_bitmap_clear(&b, 100);
    assert_true(prio_bitmap_empty(&b));
    assert_int_equal(b.top, 0);
    for (int w = 0; w < PRIO_WORDS; w++)
        assert_int_equal(b.words[w], 0);
}

/* Every priority alone is its own highest, including 0, 63, 64 and 255 at the word edges. */
static void prio_bitmap_highest_of_each_single_priority(void **state)
{
    for (unsigned p = 0; p < PRIOS; p++) {
        struct prio_bitmap b = { 0 };
        prio_bitmap_set(&b, p);
        assert_false(prio_bitmap_empty(&b));
        assert_int_equal(prio_bitmap_highest(&b), p);
        prio_bitmap_clear(&b, p);
        assert_true(prio_bitmap_empty(&b));
    }
}

/* Setting 0..255 in turn: the highest follows; clearing from the top: it falls back one by one. */
static void prio_bitmap_highest_over_all_priorities(void **state)
{
    struct prio_bitmap b = { 0 };
    for (unsigned p = 0; p < PRIOS; p++) {
        prio_bitmap_set(&b, p);
        assert_int_equal(prio_bitmap_highest(&b), p);
    }
    assert_int_equal(b.top, MASK(PRIO_WORDS));
    for (unsigned p = PRIOS - 1; p > 0; p--) {
        prio_bitmap_clear(&b, p);
        assert_int_equal(prio_bitmap_highest(&b), p - 1);
    }
    prio_bitmap_clear(&b, 0);
    assert_true(prio_bitmap_empty(&b));
}

/* Lower priorities set later do not hide a higher one. */
static void prio_bitmap_highest_ignores_lower_priorities(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 200);
    for (unsigned p = 0; p < 200; p += 7)
        prio_bitmap_set(&b, p);
    assert_int_equal(prio_bitmap_highest(&b), 200);
}

static void prio_bitmap_clear_one_of_two_in_same_word_keeps_the_other(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 70);
    prio_bitmap_set(&b, 100);
    prio_bitmap_clear(&b, 100);
    assert_false(prio_bitmap_empty(&b));
    assert_int_equal(b.top, BIT(1)); /* word 1 still has a ready priority */
    assert_int_equal(prio_bitmap_highest(&b), 70);
    prio_bitmap_set(&b, 100);
    prio_bitmap_clear(&b, 70); /* the lower one this time */
    assert_int_equal(prio_bitmap_highest(&b), 100);
    assert_int_equal(b.top, BIT(1));
}

static void prio_bitmap_clear_last_in_word_falls_to_lower_word(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 5);
    prio_bitmap_set(&b, 255);
    prio_bitmap_clear(&b, 255);
    assert_int_equal(b.top, BIT(0));
    assert_int_equal(prio_bitmap_highest(&b), 5);
}

/* Clearing a priority that is not set changes nothing. */
static void prio_bitmap_clear_unset_priority_is_harmless(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 130);
    prio_bitmap_clear(&b, 131);
    prio_bitmap_clear(&b, 0);
    assert_int_equal(prio_bitmap_highest(&b), 130);
    assert_int_equal(b.top, BIT(2));
}

/* The bitmap holds one bit per priority, not a count: one clear undoes two sets. */
static void prio_bitmap_set_is_idempotent(void **state)
{
    struct prio_bitmap b = { 0 };
    prio_bitmap_set(&b, 42);
    prio_bitmap_set(&b, 42);
    prio_bitmap_clear(&b, 42);
    assert_true(prio_bitmap_empty(&b));
}

static void highest_bit_of_every_single_bit_and_its_lower_mask(void **state)
{
    for (unsigned i = 0; i < 64; i++) {
        assert_int_equal(highest_bit(BIT(i)), i);
        assert_int_equal(highest_bit(BIT(i) | (BIT(i) - 1)), i); /* lower bits do not matter */
    }
    assert_int_equal(highest_bit(~0ull), 63);
}

/* Random sets and clears checked against a plain array of 256 flags. */
static void prio_bitmap_random_operations_match_flags(void **state)
{
    struct prio_bitmap b = { 0 };
    bool ready[PRIOS] = { 0 };
    uint64_t x = 0x243F6A8885A308D3ull;
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Mostly within one word, to exercise clears that leave the word non-empty. */
        unsigned p = (x >> 8) % 4 ? (unsigned)(x >> 16) % 8 + 64 * ((x >> 24) % PRIO_WORDS)
                                  : (unsigned)(x >> 16) % PRIOS;
        if (x & 1)
            prio_bitmap_set(&b, p);
        else
            prio_bitmap_clear(&b, p);
        ready[p] = x & 1;
        int highest = -1;
        for (int q = 0; q < PRIOS; q++)
            if (ready[q])
                highest = q;
        assert_int_equal(prio_bitmap_empty(&b), highest < 0);
        if (highest >= 0)
            assert_int_equal(prio_bitmap_highest(&b), highest);
        unsigned q = (unsigned)(x >> 32) % PRIOS;
        assert_int_equal(prio_bitmap_any_at_or_above(&b, q), highest >= (int)q);
    }
}

/* The fastpath's question, at every priority, for single priorities at and around the word edges. */
static void prio_bitmap_any_at_or_above_every_pair(void **state)
{
    for (unsigned set = 0; set < PRIOS; set++) {
        struct prio_bitmap b = { 0 };
        prio_bitmap_set(&b, set);
        for (unsigned q = 0; q < PRIOS; q++)
            assert_int_equal(prio_bitmap_any_at_or_above(&b, q), set >= q);
    }
    struct prio_bitmap empty = { 0 };
    for (unsigned q = 0; q < PRIOS; q++)
        assert_false(prio_bitmap_any_at_or_above(&empty, q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prio_bitmap_zeroed_is_empty),
        cmocka_unit_test(prio_bitmap_set_then_clear_is_empty_again),
        cmocka_unit_test(prio_bitmap_highest_of_each_single_priority),
        cmocka_unit_test(prio_bitmap_highest_over_all_priorities),
        cmocka_unit_test(prio_bitmap_highest_ignores_lower_priorities),
        cmocka_unit_test(prio_bitmap_clear_one_of_two_in_same_word_keeps_the_other),
        cmocka_unit_test(prio_bitmap_clear_last_in_word_falls_to_lower_word),
        cmocka_unit_test(prio_bitmap_clear_unset_priority_is_harmless),
        cmocka_unit_test(prio_bitmap_set_is_idempotent),
        cmocka_unit_test(highest_bit_of_every_single_bit_and_its_lower_mask),
        cmocka_unit_test(prio_bitmap_random_operations_match_flags),
        cmocka_unit_test(prio_bitmap_any_at_or_above_every_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
