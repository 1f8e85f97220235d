/* A client of echo and the log: each instance says who it is and on which hart it runs. */
#include <component.h>
#include <stdio.h>
#include <string.h>

int run(void)
{
    for (int32_t x = 100; x <= 300; x += 100)
        printf("hart %d: echo_double(%d) = %d\n", COMPONENT_HART, (int)x, (int)echo_double(x));
    char line[64];
    int n = snprintf(line, sizeof(line), "greetings from %s", COMPONENT_NAME);
    log_write(line, (size_t)n);
    return 0;
}
