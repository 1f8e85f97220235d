/* The demo's server: the handlers and callbacks its glue calls. */
#include <component.h>
#include <stdio.h>
#include <string.h>

static unsigned served;

static void log_line(const char *text)
{
    log_write(text, strlen(text));
}

int32_t echo_double(int32_t x)
{
    served++;
    return 2 * x;
}

void echo_add(echo_point_t a, echo_point_t b, echo_point_t *sum)
{
    served++;
    sum->x = a.x + b.x;
    sum->y = a.y + b.y;
}

uint32_t echo_brightness(echo_color_t c)
{
    served++;
    static const uint32_t levels[] = { 30, 59, 11 };   /* the luma weights of red, green and blue */
    return levels[c];
}

uint64_t echo_checksum(const void *data, size_t data_len)
{
    const uint8_t *bytes = data;
    uint64_t sum = 0;
    for (size_t i = 0; i < data_len; i++)
        sum = sum * 31 + bytes[i];
    served++;
    return sum;
}

void echo_reverse(const void *text, size_t text_len, void *reversed, size_t reversed_cap, size_t *reversed_len)
{
    const char *in = text;
    char *out = reversed;
    size_t n = text_len < reversed_cap ? text_len : reversed_cap;
    for (size_t i = 0; i < n; i++)
        out[i] = in[text_len - 1 - i];
    *reversed_len = n;
    served++;
}

/* A ping: the client left a string in the shared page; answer in place and pong. */
void ping_callback(void)
{
    char *page = shared;
    char answer[64];
    snprintf(answer, sizeof(answer), "server read '%.40s'", page);
    strcpy(page, answer);
    log_line("answered a ping through the dataport");
    pong_emit();
}

/*
 * Jobs on the ring: square each value.  A result that does not fit because
 * the client has not collected earlier ones waits here; the glue then
 * sleeps until the client makes room, and calls this again.
 */
static jobs_result_t waiting_result;
static uint64_t waiting_tag;
static bool waiting;

void jobs_callback(void)
{
    unsigned done = 0;
    if (waiting && jobs_complete(&waiting_result, waiting_tag)) {
        waiting = false;
        done++;
    }
    jobs_job_t job;
    uint64_t tag;
    while (!waiting && jobs_request(&job, &tag)) {
        jobs_result_t result = { .value = job.value * job.value, .status = job.op == 1 ? 0 : -1 };
        if (jobs_complete(&result, tag)) {
            done++;
        } else {
            waiting_result = result;
            waiting_tag = tag;
            waiting = true;
        }
    }
    if (done) {
        char line[64];
        snprintf(line, sizeof(line), "squared %u numbers from the ring", done);
        log_line(line);
        jobs_flush();   /* the client sees the results now (the glue would flush after we return) */
    }
}

void init(void)
{
    log_line("ready");
}
