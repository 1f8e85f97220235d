/* The host's clock for lwIP (net_port.h): CLOCK_MONOTONIC in milliseconds.  Host builds only. */
#define _POSIX_C_SOURCE 200809L
#include "net_port.h"

#include <time.h>

uint32_t net_port_host_clock(void *ctx)
{
    (void)ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u);
}
