/* The caller's server in the trace suite's system: prints what reached it. */
#include <component.h>
#include <stdio.h>

static int calls;

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

void knock_callback(void)
{
    printf("knocked\n");
}
