/*
 * components/echo_client through the harness.  The client runs by itself;
 * the driver plays its server and logger: it answers its calls (wrongly,
 * for one of them, to see the client notice), serves its ping and its jobs,
 * and checks what it sent.
 */
#include "../harness.h"
#include <string.h>

static volatile int doubled, added, checksummed, reversed, logged;
static char last_log[80];

int32_t echo_double(int32_t x)
{
    doubled = x;
    return 2 * x;
}

void echo_add(echo_point_t a, echo_point_t b, echo_point_t *sum)
{
    added = 1;
    sum->x = a.x + b.x;
    sum->y = a.y + b.y;
}

/* Deliberately wrong: the client must report this check as failed. */
uint32_t echo_brightness(echo_color_t c)
{
    return 0;
}

uint64_t echo_checksum(const void *data, size_t data_len)
{
    const uint8_t *bytes = data;
    uint64_t sum = 0;
    for (size_t i = 0; i < data_len; i++)
        sum = sum * 31 + bytes[i];
    checksummed = (int)data_len;
    return sum;
}

void echo_reverse(const void *text, size_t text_len, void *out, size_t out_cap, size_t *out_len)
{
    for (size_t i = 0; i < text_len && i < out_cap; i++)
        ((char *)out)[i] = ((const char *)text)[text_len - 1 - i];
    *out_len = text_len < out_cap ? text_len : out_cap;
    reversed = 1;
}

void log_write(const void *line, size_t line_len)
{
    size_t n = line_len < 79 ? line_len : 79;
    memcpy(last_log, line, n);
    last_log[n] = 0;
    logged = 1;
}

TEST(client_calls_each_procedure)
{
    CHECK(harness_wait(&doubled));
    CHECK_EQ(doubled, 21);
    CHECK(harness_wait(&added));
    CHECK(harness_wait(&checksummed));
    CHECK_EQ(checksummed, 27);
    CHECK(harness_wait(&reversed));
}

TEST(client_pings_with_a_string_in_the_shared_page)
{
    ping_wait();
    CHECK(strcmp((char *)shared, "hello through shared memory") == 0);
    strcpy((char *)shared, "server read 'hello through shared memory'");
    pong_emit();
}

TEST(client_submits_eight_jobs_with_tags)
{
    jobs_job_t job;
    uint64_t tag;
    for (unsigned got = 0; got < 8;) {
        if (!jobs_request(&job, &tag)) {
            jobs_wait();
            continue;
        }
        CHECK_EQ(job.op, 1);
        CHECK_EQ(tag, 100 + job.value);
        CHECK(jobs_complete(&(jobs_result_t){ .value = job.value * job.value }, tag));
        got++;
    }
    jobs_flush();
}

TEST(client_logs_that_it_noticed_the_wrong_answer)
{
    CHECK(harness_wait(&logged));
    CHECK(strcmp(last_log, "1 checks failed") == 0);
}
