/*
 * components/echo_server through the harness.  The driver calls its echo
 * procedures, pings it through the shared page, hands it jobs on the ring,
 * and stands in for its logger, recording every line it logs.
 */
#include "../harness.h"
#include <string.h>

/* The driver provides the server's log port: remember what it logs. */
static char logged[16][80];
static volatile int lines;

void log_write(const void *line, size_t line_len)
{
    if (lines < 16) {
        size_t n = line_len < 79 ? line_len : 79;
        memcpy(logged[lines], line, n);
        logged[lines][n] = 0;
        lines++;
    }
}

static bool logged_line(const char *text)
{
    for (int i = 0; i < lines; i++)
        if (strcmp(logged[i], text) == 0)
            return true;
    return false;
}

TEST(init_logs_ready)
{
    /* init() ran before the server answered anything, so one call settles it. */
    CHECK_EQ(echo_double(1), 2);
    CHECK(logged_line("ready"));
}

TEST(double_doubles_including_negatives)
{
    CHECK_EQ(echo_double(21), 42);
    CHECK_EQ((int64_t)echo_double(-7), -14);
    CHECK_EQ(echo_double(0), 0);
}

TEST(add_returns_the_sum_through_an_out_parameter)
{
    echo_point_t sum = { 99, 99 };
    echo_add((echo_point_t){ 1, -2 }, (echo_point_t){ 10, 20 }, &sum);
    CHECK_EQ(sum.x, 11);
    CHECK_EQ(sum.y, 18);
}

TEST(brightness_of_each_color)
{
    CHECK_EQ(echo_brightness(ECHO_COLOR_RED), 30);
    CHECK_EQ(echo_brightness(ECHO_COLOR_GREEN), 59);
    CHECK_EQ(echo_brightness(ECHO_COLOR_BLUE), 11);
}

TEST(checksum_of_buffers)
{
    CHECK_EQ(echo_checksum("", 0), 0);
    CHECK_EQ(echo_checksum("a", 1), 'a');
    CHECK_EQ(echo_checksum("ab", 2), 'a' * 31 + 'b');
    static char big[4000];
    memset(big, 1, sizeof(big));
    uint64_t expect = 0;
    for (size_t i = 0; i < sizeof(big); i++)
        expect = expect * 31 + 1;
    CHECK_EQ(echo_checksum(big, sizeof(big)), expect);
}

TEST(reverse_fits_the_room_given)
{
    char out[16];
    size_t n = 0;
    echo_reverse("abcdef", 6, out, sizeof(out), &n);
    CHECK_EQ(n, 6);
    CHECK(memcmp(out, "fedcba", 6) == 0);
    /* Less room than text: the server fills what there is. */
    echo_reverse("abcdef", 6, out, 3, &n);
    CHECK_EQ(n, 3);
    CHECK(memcmp(out, "fed", 3) == 0);
}

TEST(ping_is_answered_through_the_shared_page)
{
    strcpy((char *)shared, "hi");
    ping_emit();
    pong_wait();
    CHECK(strcmp((char *)shared, "server read 'hi'") == 0);
    CHECK(harness_wait(&lines) && logged_line("answered a ping through the dataport"));
}

TEST(jobs_are_squared_and_tags_return)
{
    /* The ring has 8 entries: fill it, wake the server once, collect everything. */
    for (uint64_t i = 0; i < 8; i++)
        CHECK(jobs_submit(&(jobs_job_t){ .op = 1, .value = i + 3 }, 1000 + i));
    CHECK(!jobs_submit(&(jobs_job_t){ .op = 1, .value = 1 }, 0));   /* full */
    jobs_flush();
    jobs_result_t r;
    uint64_t tag;
    for (uint64_t i = 0; i < 8; i++) {
        while (!jobs_completion(&r, &tag))
            jobs_wait();
        CHECK_EQ(tag, 1000 + i);
        CHECK_EQ(r.value, (i + 3) * (i + 3));
        CHECK_EQ(r.status, 0);
    }
    CHECK(!jobs_completion(&r, &tag));
}

TEST(unknown_job_ops_report_failure)
{
    jobs_submit(&(jobs_job_t){ .op = 7, .value = 5 }, 42);
    jobs_flush();
    jobs_result_t r;
    uint64_t tag;
    while (!jobs_completion(&r, &tag))
        jobs_wait();
    CHECK_EQ(tag, 42);
    CHECK_EQ((int64_t)r.status, -1);
}

TEST(full_rings_wait_for_room_on_both_sides)
{
    /*
     * Sixteen jobs into 8-entry rings before collecting any result: the
     * server completes eight, finds the completion ring full with the ninth
     * job in hand, and sleeps until we make room; collecting the first eight
     * releases the ring, which wakes it, and the rest come back in order.
     */
    jobs_result_t r;
    uint64_t tag;
    unsigned submitted = 0;
    while (submitted < 16) {
        if (jobs_submit(&(jobs_job_t){ .op = 1, .value = submitted }, 5000 + submitted))
            submitted++;
        else
            jobs_wait();   /* flushes, and sleeps until the server makes room (if it has not yet) */
    }
    jobs_flush();
    for (uint64_t i = 0; i < 16; i++) {
        while (!jobs_completion(&r, &tag))
            jobs_wait();
        CHECK_EQ(tag, 5000 + i);
        CHECK_EQ(r.value, i * i);
    }
    CHECK(!jobs_completion(&r, &tag));
}

/*
 * Last, since it breaks the ring for good: the driver lies about its
 * submission head (more entries ahead than the ring has).  The server
 * notices in its loop's readiness check, reports it once on the console
 * (checked from the host, tests/components/echo_server/check) and goes on
 * serving everything else.
 */
TEST(a_lying_client_breaks_the_ring_and_the_rest_goes_on)
{
    struct sel_ring_header_view {
        volatile uint32_t head;
    } *submissions = (struct sel_ring_header_view *)jobs_rings;   /* line 0 of the submission ring: its head */
    submissions->head += 1000;
    for (int32_t i = 0; i < 3; i++)
        CHECK_EQ(echo_double(i), 2 * i);   /* each call lets the server's loop turn and look at the ring */
    jobs_job_t job = { .op = 1, .value = 3 };
    CHECK(jobs_submit(&job, 1));
    jobs_flush();                           /* publishes an honest head again: too late, the server's handle is broken */
    CHECK_EQ(echo_double(21), 42);
}
