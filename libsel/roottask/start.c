/* C start-up of a root task (linked into root tasks only): TLS, the IPC buffer, constructors, main, exit. */
#include <picolibc.h>
#include <picotls.h>
#include <sel/sel.h>
#include <sel/trace.h>
#include <stdio.h>
#include <stdlib.h>

static const sel_bootinfo_t *bootinfo;

extern int main(void);
extern char __tls_base[];
void __libc_init_array(void);
void __sel_start(const sel_bootinfo_t *bi);

const sel_bootinfo_t *sel_get_bootinfo(void) { return bootinfo; }

void __sel_start(const sel_bootinfo_t *bi)
{
    /* The first thread's TLS block is the template itself (.tdata, .tbss in place). */
    _set_tls(__tls_base);
    bootinfo = bi;
    sel_debug_cap = SEL_CAP_DEBUG;
    __sel_ipc_buffer = (sel_ipc_buffer_t *)bi->ipc_buffer;
    SEL_TRACE_THREAD_START();
    __libc_init_array();
    exit(main());
}

/* exit() ends here: the root task's status becomes QEMU's exit status (if it kept its debug cap). */
void _exit(int status)
{
    fflush(stdout);
    sel_debug_halt(status);
    for (;;)
        sel_tcb_suspend(SEL_CAP_INIT_TCB);
}
