/* Kernel console output. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/types.h>
#include <stdarg.h>

/* printf subset: %s %c %d %u %x %p with l/ll, width and 0-padding. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
/* The kernel's own output. */
void console_putchar(char c);
/* Output of a thread (writer): each of its lines behind prefix (prefix_len bytes, then ": "; NULL: none). */
void console_write(const void *writer, const char *prefix, size_t prefix_len, const char *text, size_t n);
/* writer is gone: the next line is not its. */
void console_forget(const void *writer);
/* Where console output goes: an ns16550a at base (0 means through SBI). */
void console_init_uart(word_t base, unsigned reg_shift, unsigned reg_width);

/*
 * The console read from user space (IRQ line 0: object/irq.c).  While
 * redirected, what is printed waits in a buffer (full: dropped and
 * counted) and the UART is left to its driver; turning it off prints what
 * was not read, once the UART's transmitter is empty.
 */
void console_redirect(bool on);
bool console_redirected(void);
word_t console_waiting(void);   /* bytes not read yet */
/* Takes up to room bytes into dst; *lost: bytes dropped since the last take. */
size_t console_take(char *dst, size_t room, word_t *lost);

#endif
