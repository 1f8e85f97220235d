/* The whole user-side API of the kernel. */
#ifndef SEL_SEL_H
#define SEL_SEL_H

#include <sel/types.h>
#include <sel/abi.h>
#include <sel/ipc_buffer.h>
#include <sel/bootinfo.h>
#include <sel/syscall.h>
#include <sel/untyped.h>
#include <sel/cnode.h>
#include <sel/tcb.h>
#include <sel/vspace.h>
#include <sel/irq.h>
#include <sel/notification.h>
#include <sel/runtime.h>

/* Names of error codes and cap types, for messages. */
const char *sel_error_name(sel_error_t error);
const char *sel_cap_type_name(int cap_type);

#endif
