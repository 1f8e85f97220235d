/* C start-up of a component thread (linked into components only). */
#include <sel/glue.h>
#include <sel/trace.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void __libc_init_array(void);
void __sel_component_start(sel_word_t role, sel_ipc_buffer_t *ipc_buffer, sel_cptr_t debug_cap);

void __sel_component_start(sel_word_t role, sel_ipc_buffer_t *ipc_buffer, sel_cptr_t debug_cap)
{
    __sel_ipc_buffer = ipc_buffer;
    sel_debug_cap = debug_cap;
    SEL_TRACE_THREAD_START();
    if (role == 0)
        __libc_init_array();
    __glue_main(role);
    exit(0);
}

/* exit() and a return from run() end here. */
void _exit(int status)
{
    __glue_exit(status);
}

void sel_glue_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);   /* the kernel puts the component's name first */
    printf("\n");
    va_end(ap);
    __glue_exit(1);
}
