/* components/greeter through the harness: the driver plays echo and the log. */
#include "../harness.h"
#include <string.h>

static volatile int calls;
static int32_t seen[8];
static volatile int logged;
static char line[64];

int32_t echo_double(int32_t x)
{
    if (calls < 8)
        seen[calls] = x;
    calls++;
    return x + 1;   /* not double: the greeter just prints what it gets */
}

void log_write(const void *text, size_t text_len)
{
    size_t n = text_len < sizeof(line) - 1 ? text_len : sizeof(line) - 1;
    memcpy(line, text, n);
    line[n] = 0;
    logged = 1;
}

TEST(doubles_three_numbers_in_order)
{
    CHECK(harness_wait(&logged));
    CHECK_EQ(calls, 3);
    CHECK_EQ(seen[0], 100);
    CHECK_EQ(seen[1], 200);
    CHECK_EQ(seen[2], 300);
}

TEST(logs_a_greeting_with_its_instance_name)
{
    CHECK(harness_wait(&logged));
    CHECK(strcmp(line, "greetings from greeter") == 0);
}
