/* Kernel console output. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/types.h>
#include <stdarg.h>

/* printf subset: %s %c %d %u %x %p with l/ll, width and 0-padding. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
void console_putchar(char c);
/* Where console output goes: an ns16550a at base (0 means through SBI). */
void console_init_uart(word_t base, unsigned reg_shift, unsigned reg_width);

#endif
