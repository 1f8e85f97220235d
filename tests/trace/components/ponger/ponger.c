/* The trace suite's server (tests/trace/run.py): answers, and prints what reached it. */
#include <component.h>
#include <sel/loop.h>
#include <stdio.h>

static int calls, pokes, batches;

int32_t echo_double(int32_t x)
{
    printf("answered call %d\n", ++calls);
    return 2 * x;
}

void echo_add(echo_point_t a, echo_point_t b, echo_point_t *sum)
{
    sum->x = a.x + b.x;
    sum->y = a.y + b.y;
}

uint32_t echo_brightness(echo_color_t c) { return (uint32_t)c; }

uint64_t echo_checksum(const void *data, size_t data_len) { return (uint64_t)data_len; }

void echo_reverse(const void *text, size_t text_len, void *reversed, size_t reversed_cap, size_t *reversed_len)
{
    (void)text;
    (void)text_len;
    (void)reversed;
    (void)reversed_cap;
    *reversed_len = 0;
}

void poke_callback(void)
{
    printf("poked %d\n", ++pokes);
}

/* A batch of jobs; the loop's count of token interrupts says how each batch woke it. */
void jobs_callback(void)
{
    jobs_job_t job;
    uint64_t tag;
    int done = 0;
    while (jobs_request(&job, &tag)) {
        jobs_complete(&(jobs_result_t){ .value = job.value * job.value }, tag);
        done++;
    }
    jobs_flush();
    printf("batch %d: %d jobs, token interrupts so far %lu\n", ++batches, done,
           (unsigned long)component_loop()->token_interrupts);
}
