/* components/faulty through the harness: the honest half of chaos. */
#include "../harness.h"

TEST(divides)
{
    CHECK_EQ(chaos_divide(84, 2), 42);
    CHECK_EQ((int64_t)chaos_divide(-9, 3), -3);
}

TEST(division_by_zero_gives_zero)
{
    CHECK_EQ(chaos_divide(1, 0), 0);
}
