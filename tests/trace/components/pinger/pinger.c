/*
 * The trace suite's driver (tests/trace/run.py).  Each line it prints says
 * one thing that crosses to the ponger, in the order it happens: the suite
 * finds exactly these in the trace.  The ponger outranks it on its hart,
 * so each call, poke and batch is handled before the next one starts.
 */
#include <component.h>
#include <sel/trace.h>
#include <stdio.h>

#define CALLS 5
#define POKES 3
#define BATCHES 2
#define JOBS 4

int run(void)
{
    for (int i = 1; i <= CALLS; i++) {
        printf("call %d\n", i);
        if (echo_double(i) != 2 * i)
            printf("call %d: wrong answer\n", i);
        SEL_TRACE("calls made", i);
    }
    for (int i = 1; i <= POKES; i++) {
        printf("poke %d\n", i);
        poke_emit();
    }
    for (int b = 1; b <= BATCHES; b++) {
        printf("batch %d of %d jobs\n", b, JOBS);
        for (int j = 0; j < JOBS; j++)
            jobs_submit(&(jobs_job_t){ .op = 1, .value = (uint64_t)j }, (uint64_t)(b * 100 + j));
        jobs_flush();
        jobs_result_t result;
        uint64_t tag;
        for (int got = 0; got < JOBS;) {
            if (jobs_completion(&result, &tag)) {
                got++;
            } else {
                printf("waiting for completions\n");
                jobs_wait();
            }
        }
    }
    printf("done\n");
    return 0;
}
