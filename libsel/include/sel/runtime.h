/* What libsel's start-up code provides to a program. */
#ifndef SEL_RUNTIME_H
#define SEL_RUNTIME_H

#include <sel/bootinfo.h>
#include <sel/ipc_buffer.h>
#include <stddef.h>

/* The boot-info page the kernel gave the root task. */
const sel_bootinfo_t *sel_get_bootinfo(void);

/* Bytes a thread's TLS block needs (16-byte aligned). */
size_t sel_tls_size(void);

/*
 * Initialises a TLS block for a new thread at area (sel_tls_size() bytes,
 * 16-byte aligned) whose IPC buffer is ipc_buffer; returns the value for
 * the thread's tp register.
 */
void *sel_tls_create(void *area, sel_ipc_buffer_t *ipc_buffer);

#endif
