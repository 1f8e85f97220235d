/*
 * System information (idl/system_info.yaml): the loader's answers to a
 * shell's `ps`.  Instructions come from the kernel's accounting, through
 * the debug cap only the loader holds (DebugCpuTime: exact under -icount).
 */
#include "loader.h"
#include "loader_rpc.h"

#include <string.h>

uint32_t system_count(void) { return loader_spec()->num_components; }

uint32_t system_harts(void) { return (uint32_t)loader_num_harts(); }

bool system_component(uint32_t index, system_info_component_t *info)
{
    const struct spec *spec = loader_spec();
    if (index >= spec->num_components)
        return false;
    const struct spec_component *c = &spec->components[index];
    memset(info, 0, sizeof(*info));
    strncpy((char *)info->name, c->name, sizeof(info->name) - 1);
    info->state = loader_stopped(index) ? SYSTEM_INFO_STATE_STOPPED : SYSTEM_INFO_STATE_RUNNING;
    info->priority = c->priority;
    info->hart = c->hart;
    info->threads = (uint8_t)c->num_threads;
    info->faults = loader_faults(index);
    for (uint32_t i = 0; i < c->num_threads; i++) {
        sel_cpu_time_t t = { 0 };
        if (sel_debug_cpu_time(loader_object_cap(spec->threads[c->first_thread + i].tcb), c->hart, &t) ==
            SEL_NO_ERROR)
            info->instructions += t.thread;
    }
    return true;
}

bool system_hart(uint32_t index, system_info_hart_t *info)
{
    if (index >= loader_num_harts())
        return false;
    sel_cpu_time_t t = { 0 };
    if (sel_debug_cpu_time(0, index, &t) != SEL_NO_ERROR)
        return false;
    *info = (system_info_hart_t){ .idle = t.idle, .kernel = t.kernel, .at = t.at };
    return true;
}
