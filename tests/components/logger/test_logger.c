/* components/logger through the harness: the driver is a client of its log port. */
#include "../harness.h"
#include <string.h>

TEST(short_line_is_accepted)
{
    log_write("a short line", 12);
}

TEST(empty_line_is_accepted)
{
    log_write("", 0);
}

TEST(line_filling_the_buffer_is_accepted)
{
    static char line[4096];
    memset(line, 'x', sizeof(line));
    log_write(line, sizeof(line));
}

TEST(many_lines_in_a_row)
{
    char line[32];
    for (int i = 0; i < 50; i++) {
        int n = snprintf(line, sizeof(line), "line %d", i);
        log_write(line, (size_t)n);
    }
}
