/*
 * The demo's client: calls the server over rpc, talks to it through a
 * dataport and events, hands it jobs through a ring, logs, and reports.
 */
#include <component.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(bool ok, const char *what)
{
    printf("%-52s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

int run(void)
{
    char line[80];

    /* rpc: scalars, an enum, structs with an out parameter, buffers both ways. */
    check(echo_double(21) == 42, "rpc: echo_double(21) returned 42");
    echo_point_t sum;
    echo_add((echo_point_t){ 1, 2 }, (echo_point_t){ 30, 40 }, &sum);
    check(sum.x == 31 && sum.y == 42, "rpc: echo_add((1,2), (30,40)) returned (31,42)");
    check(echo_brightness(ECHO_COLOR_GREEN) == 59, "rpc: echo_brightness(green) returned 59");
    const char *text = "a message in the rpc buffer";
    uint64_t expect = 0;
    for (const char *p = text; *p; p++)
        expect = expect * 31 + (uint8_t)*p;
    check(echo_checksum(text, strlen(text)) == expect, "rpc: echo_checksum of a 27-byte buffer");
    char reversed[32];
    size_t n = 0;
    echo_reverse("stressed", 8, reversed, sizeof(reversed), &n);
    check(n == 8 && memcmp(reversed, "desserts", 8) == 0, "rpc: echo_reverse(\"stressed\") gave \"desserts\"");

    /* dataport and events: leave a string in shared memory, ping, wait for the pong. */
    strcpy((char *)shared, "hello through shared memory");
    ping_emit();
    pong_wait();
    check(strcmp((char *)shared, "server read 'hello through shared memory'") == 0,
          "event + dataport: the server answered in shared memory");

    /* ring: eight jobs published at once (at most one wake-up), then the completions in order. */
    for (uint64_t i = 1; i <= 8; i++)
        jobs_submit(&(jobs_job_t){ .op = 1, .value = i }, 100 + i);
    jobs_flush();
    uint64_t total = 0, tag, tags = 0;
    jobs_result_t result;
    for (unsigned got = 0; got < 8;) {
        if (jobs_completion(&result, &tag)) {
            total += result.value;
            tags += tag;
            got++;
        } else {
            jobs_wait();
        }
    }
    check(total == 204 && tags == 836, "ring: 8 jobs squared, tags came back");

    /* A second client of the logger, which sits in the server's address space (a group). */
    snprintf(line, sizeof(line), "%d checks failed", failures);
    log_write(line, strlen(line));

    printf("%s\n", failures ? "SOME CHECKS FAILED" : "every connection kind works");
    return failures;
}
