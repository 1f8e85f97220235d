/*
 * The timer through the harness: order, resolution, cancel, refusals, and
 * the drift of a 1-second periodic timeout over 10 periods, all measured
 * with the RTC's own clock (clock_now, and the fired_at of each answer).
 */
#include "../harness.h"

#include <string.h>

#define MS 1000000ull
#define US 1000ull

static void set(timeout_op_t op, uint64_t at, uint64_t period, uint64_t target, uint64_t tag)
{
    timeout_request_t r = { .op = op, .at = at, .period = period, .target = target };
    CHECK(timeouts_submit(&r, tag));
}

/* The next answer (sleeping until it comes). */
static void next(timeout_answer_t *a, uint64_t *tag)
{
    timeouts_flush();
    while (!timeouts_completion(a, tag))
        timeouts_wait();
}

TEST(the_clock_reads_unix_time_and_advances)
{
    uint64_t a = clock_now(), b = clock_now();
    CHECK(a > 1600000000ull * 1000000000ull);   /* after 2020 */
    CHECK(b > a);
}

/* Eight one-shots set out of order fire in deadline order; two with one deadline in the order set. */
TEST(one_shots_fire_in_deadline_order)
{
    static const unsigned order[] = { 5, 1, 3, 8, 2, 7, 4, 6 };
    uint64_t base = clock_now() + 20 * MS;
    for (unsigned i = 0; i < 8; i++)
        set(TIMEOUT_OP_ONESHOT, base + order[i] * 2 * MS, 0, 0, order[i]);
    set(TIMEOUT_OP_ONESHOT, base + 8 * 2 * MS, 0, 0, 9);   /* the same deadline as tag 8, set after it */
    uint64_t last = 0;
    for (unsigned k = 1; k <= 9; k++) {
        timeout_answer_t a;
        uint64_t tag;
        next(&a, &tag);
        CHECK_EQ(a.status, TIMEOUT_STATUS_FIRED);
        CHECK_EQ(tag, k);
        CHECK_EQ(a.sequence, 1);
        CHECK_EQ(a.deadline, base + (k == 9 ? 8 : k) * 2 * MS);
        CHECK(a.fired_at >= a.deadline);   /* never early */
        CHECK(a.fired_at >= last);
        last = a.fired_at;
    }
}

/* Resolution finer than the kernel's 2 ms tick: deadlines 250 us apart are told apart, never early. */
TEST(timeouts_a_quarter_millisecond_apart)
{
    uint64_t base = clock_now() + 5 * MS, worst = 0;
    for (unsigned i = 0; i < 8; i++)
        set(TIMEOUT_OP_ONESHOT, base + i * 250 * US, 0, 0, 100 + i);
    for (unsigned i = 0; i < 8; i++) {
        timeout_answer_t a;
        uint64_t tag;
        next(&a, &tag);
        CHECK_EQ(tag, 100 + i);
        CHECK(a.fired_at >= a.deadline);
        uint64_t late = a.fired_at - a.deadline;
        worst = late > worst ? late : worst;
    }
    printf("timeouts 250 us apart: answered at most %lu us after their deadlines\n", (unsigned long)(worst / US));
}

TEST(a_cancelled_timeout_does_not_fire)
{
    uint64_t now = clock_now();
    set(TIMEOUT_OP_ONESHOT, now + 30 * MS, 0, 0, 200);
    set(TIMEOUT_OP_PERIODIC, now + 20 * MS, 5 * MS, 0, 201);
    set(TIMEOUT_OP_CANCEL, 0, 0, 200, 202);
    timeout_answer_t a;
    uint64_t tag;
    next(&a, &tag);
    CHECK_EQ(tag, 200);
    CHECK_EQ(a.status, TIMEOUT_STATUS_CANCELLED);
    next(&a, &tag);
    CHECK_EQ(tag, 202);
    CHECK_EQ(a.status, TIMEOUT_STATUS_OK);
    /* The periodic one fires twice, then is cancelled: its cancel answer says how often it fired. */
    for (unsigned k = 1; k <= 2; k++) {
        next(&a, &tag);
        CHECK_EQ(tag, 201);
        CHECK_EQ(a.status, TIMEOUT_STATUS_FIRED);
        CHECK_EQ(a.sequence, k);
        CHECK_EQ(a.deadline, now + 20 * MS + (k - 1) * 5 * MS);
    }
    set(TIMEOUT_OP_CANCEL, 0, 0, 201, 203);
    next(&a, &tag);
    CHECK_EQ(tag, 201);
    CHECK_EQ(a.status, TIMEOUT_STATUS_CANCELLED);
    CHECK_EQ(a.sequence, 2);
    next(&a, &tag);
    CHECK_EQ(tag, 203);
    CHECK_EQ(a.status, TIMEOUT_STATUS_OK);
    /* Cancelling it again, or a tag never set: not found. */
    set(TIMEOUT_OP_CANCEL, 0, 0, 201, 204);
    next(&a, &tag);
    CHECK_EQ(tag, 204);
    CHECK_EQ(a.status, TIMEOUT_STATUS_NOT_FOUND);
}

/* Bad requests are answered, each with its reason, and change nothing. */
TEST(bad_requests_are_refused)
{
    timer_counters_t before, after;
    clock_status(&before);
    uint64_t far = clock_now() + 60000 * MS;
    timeout_request_t bad_op = { .op = (timeout_op_t)7, .at = far };
    CHECK(timeouts_submit(&bad_op, 300));
    set(TIMEOUT_OP_PERIODIC, far, 0, 0, 301);          /* period 0 */
    set(TIMEOUT_OP_ONESHOT, far, 0, 0, 302);
    set(TIMEOUT_OP_ONESHOT, far, 0, 0, 302);           /* its tag is armed already */
    static const timeout_status_t expected[] = { TIMEOUT_STATUS_INVALID, TIMEOUT_STATUS_INVALID,
                                                 TIMEOUT_STATUS_DUPLICATE };
    static const uint64_t tags[] = { 300, 301, 302 };
    for (unsigned i = 0; i < 3; i++) {
        timeout_answer_t a;
        uint64_t tag;
        next(&a, &tag);
        CHECK_EQ(tag, tags[i]);
        CHECK_EQ(a.status, expected[i]);
    }
    /* 64 armed (302 and 63 more); the 65th is busy. */
    for (unsigned i = 0; i < 64; i++)
        set(TIMEOUT_OP_ONESHOT, far + i, 0, 0, 400 + i);
    timeout_answer_t a;
    uint64_t tag;
    next(&a, &tag);
    CHECK_EQ(tag, 463);
    CHECK_EQ(a.status, TIMEOUT_STATUS_BUSY);
    set(TIMEOUT_OP_CANCEL, 0, 0, 302, 500);
    for (unsigned i = 0; i < 63; i++)
        set(TIMEOUT_OP_CANCEL, 0, 0, 400 + i, 501 + i);
    unsigned cancelled = 0, ok = 0;
    for (unsigned i = 0; i < 128; i++) {
        next(&a, &tag);
        cancelled += a.status == TIMEOUT_STATUS_CANCELLED;
        ok += a.status == TIMEOUT_STATUS_OK;
    }
    CHECK_EQ(cancelled, 64);
    CHECK_EQ(ok, 64);
    clock_status(&after);
    CHECK_EQ(after.armed, 0);
    CHECK_EQ(after.rejected - before.rejected, 4);
}

/*
 * The drift of a 1-second periodic timeout over 10 periods, against the
 * RTC: its deadlines are the first one plus whole periods exactly (lateness
 * never adds up), it never fires early, and each firing's lateness is what
 * the host's scheduling of QEMU costs.  The 10th firing's lateness is the
 * drift after 10 periods.
 */
TEST(a_periodic_timeout_does_not_drift)
{
    uint64_t first = clock_now() + 1000 * MS, worst = 0, late10 = 0;
    uint64_t received[10], fired[10];
    set(TIMEOUT_OP_PERIODIC, first, 1000 * MS, 0, 600);
    for (unsigned k = 1; k <= 10; k++) {
        timeout_answer_t a;
        uint64_t tag;
        next(&a, &tag);
        received[k - 1] = clock_now();
        CHECK_EQ(tag, 600);
        CHECK_EQ(a.status, TIMEOUT_STATUS_FIRED);
        CHECK_EQ(a.sequence, k);
        CHECK_EQ(a.missed, 0);
        CHECK_EQ(a.deadline, first + (k - 1) * 1000 * MS);
        CHECK(a.fired_at >= a.deadline);
        fired[k - 1] = a.fired_at;
        uint64_t late = a.fired_at - a.deadline;
        worst = late > worst ? late : worst;
        late10 = late;
    }
    set(TIMEOUT_OP_CANCEL, 0, 0, 600, 601);
    timeout_answer_t a;
    uint64_t tag;
    next(&a, &tag);
    CHECK_EQ(a.status, TIMEOUT_STATUS_CANCELLED);
    next(&a, &tag);
    CHECK_EQ(a.status, TIMEOUT_STATUS_OK);
    uint64_t to_driver = 0;
    for (unsigned k = 0; k < 10; k++)
        to_driver = received[k] - fired[k] > to_driver ? received[k] - fired[k] : to_driver;
    printf("1 s periodic timeout over 10 periods: drift %lu us at the 10th (the latest firing %lu us after its "
           "deadline; 9 periods took %lu us); answers reached the client at most %lu us after firing\n",
           (unsigned long)(late10 / US), (unsigned long)(worst / US), (unsigned long)((fired[9] - fired[0]) / US),
           (unsigned long)(to_driver / US));
    CHECK(worst < 500 * MS);   /* bounded by the host, not by the timer: a firing is late, never accumulated */
}

TEST(counters_say_what_happened)
{
    timer_counters_t c;
    clock_status(&c);
    CHECK(c.interrupts >= 10);
    CHECK_EQ(c.fired, 9 + 8 + 2 + 10);   /* the one-shots, the quarter-milliseconds, the cancelled periodic one, the drift */
    CHECK_EQ(c.missed, 0);
    CHECK_EQ(c.armed, 0);
    CHECK_EQ(c.clients, 1);
    printf("timer counters: %lu interrupts, %lu alarms set, %lu fired, %lu cancelled, %lu refused, "
           "latest %lu us after a deadline\n", (unsigned long)c.interrupts, (unsigned long)c.alarms_set,
           (unsigned long)c.fired, (unsigned long)c.cancelled, (unsigned long)c.rejected,
           (unsigned long)(c.max_lateness_ns / US));
}
