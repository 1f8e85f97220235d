/* Thread-local state every program has: the IPC buffer pointer, and TLS set-up for new threads. */
#include <picolibc.h>
#include <picotls.h>
#include <sel/runtime.h>
#include <sel/syscall.h>

__thread sel_ipc_buffer_t *__sel_ipc_buffer;

size_t sel_tls_size(void) { return (_tls_size() + 15) & ~(size_t)15; }

void *sel_tls_create(void *area, sel_ipc_buffer_t *ipc_buffer)
{
    _init_tls(area);
    /* Local-exec TLS: a variable sits at the same offset from tp in every thread. */
    char *tp;
    __asm__("mv %0, tp" : "=r"(tp));
    size_t offset = (size_t)((char *)&__sel_ipc_buffer - tp);
    *(sel_ipc_buffer_t **)((char *)area + offset) = ipc_buffer;
    return area;
}
