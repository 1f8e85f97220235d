/* components/prober through the harness: it divides, then asks for a null-pointer crash. */
#include "../harness.h"

static volatile int divided, crashed;
static int32_t divide_a, divide_b;
static uint32_t crash_how;

int32_t chaos_divide(int32_t a, int32_t b)
{
    divide_a = a;
    divide_b = b;
    divided = 1;
    return a / b;
}

void chaos_crash(uint32_t how)
{
    crash_how = how;
    crashed = 1;
}

TEST(divides_84_by_2_first)
{
    CHECK(harness_wait(&divided));
    CHECK_EQ(divide_a, 84);
    CHECK_EQ(divide_b, 2);
}

TEST(then_asks_for_a_null_pointer_write)
{
    CHECK(harness_wait(&crashed));
    CHECK_EQ(crash_how, 0);
}
