/* Commands about the system as a whole: ps (from the loader: idl/system_info.yaml). */
#include "shell.h"

SHELL_COMMAND(ps, "ps", "components: state, priority, hart, threads, instructions, faults; each hart's idle time")
{
    if (!system_connected()) {
        shell_not_connected("ps", "system", "{kind: rpc, from: shell.system, to: loader.system}");
        return;
    }
    uint32_t n = system_count();
    printf("%-16s %-8s %4s %4s %7s %14s %6s\n", "component", "state", "prio", "hart", "threads", "instructions",
           "faults");
    for (uint32_t i = 0; i < n; i++) {
        system_info_component_t c;
        if (!system_component(i, &c))
            break;
        c.name[sizeof(c.name) - 1] = 0;
        printf("%-16s %-8s %4u %4u %7u %14llu %6lu\n", (const char *)c.name,
               c.state == SYSTEM_INFO_STATE_RUNNING ? "running" : "stopped", c.priority, c.hart, c.threads,
               (unsigned long long)c.instructions, (unsigned long)c.faults);
    }
    uint32_t harts = system_harts();
    for (uint32_t h = 0; h < harts; h++) {
        system_info_hart_t info;
        if (system_hart(h, &info))
            printf("hart %lu: %llu instructions idle, %llu in the kernel for no thread\n", (unsigned long)h,
                   (unsigned long long)info.idle, (unsigned long long)info.kernel);
    }
}
