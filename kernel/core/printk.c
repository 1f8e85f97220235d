/*
 * Kernel console.  Early output goes through SBI; once the kernel page
 * table maps the UART that the device tree names as stdout, output goes to
 * it directly (polling, no interrupts).  Lines belong to one writer each,
 * and threads' lines carry their prefix (console.h).
 *
 * Once a driver in user space owns the UART (it reads the console: IRQ
 * line 0, object/irq.c), the kernel stops touching it and keeps what it
 * prints in a buffer the driver drains instead, so the UART has one writer
 * and lines of the kernel, the loader and the driver's clients never mix.
 */
#include <kernel/config.h>
#include <kernel/console.h>
#include <kernel/printk.h>
#include "../arch/riscv/sbi.h"

static volatile uint8_t *uart;
static unsigned uart_shift;
static unsigned uart_width;

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40   /* transmitter empty: FIFO and shift register */

void console_init_uart(word_t base, unsigned reg_shift, unsigned reg_width)
{
    uart = base ? (volatile uint8_t *)(base + KERNEL_BASE) : NULL;
    uart_shift = reg_shift;
    uart_width = reg_width;
}

static uint32_t uart_read(unsigned reg)
{
    volatile uint8_t *p = uart + (reg << uart_shift);
    return uart_width == 4 ? *(volatile uint32_t *)p : *p;
}

static void uart_write(unsigned reg, uint32_t v)
{
    volatile uint8_t *p = uart + (reg << uart_shift);
    if (uart_width == 4)
        *(volatile uint32_t *)p = v;
    else
        *p = (uint8_t)v;
}

/*
 * What is printed while the console is read from user space waits here:
 * head counts the bytes put, tail those taken (both free-running).  A full
 * buffer drops what comes and counts it; the reader learns how much.
 */
#define CONSOLE_BUFFER_BYTES 8192
static char console_buffer[CONSOLE_BUFFER_BYTES];
static word_t console_head, console_tail, console_lost;
static bool console_is_redirected;

static void uart_output(char c)
{
    if (c == '\n')
        uart_output('\r');
    if (!uart) {
        sbi_console_putchar(c);
        return;
    }
    while (!(uart_read(UART_LSR) & UART_LSR_THRE))
        ;
    uart_write(UART_THR, (uint8_t)c);
}

static void output(char c)
{
    if (!console_is_redirected) {
        uart_output(c);
        return;
    }
    if (console_head - console_tail == CONSOLE_BUFFER_BYTES) {
        console_lost++;
        return;
    }
    console_buffer[console_head++ % CONSOLE_BUFFER_BYTES] = c;
}

bool console_redirected(void) { return console_is_redirected; }

void console_redirect(bool on)
{
    if (on == console_is_redirected)
        return;
    console_is_redirected = on;
    if (on)
        return;
    /*
     * Back on the UART: what was not read goes out, after what the driver
     * left in the UART's FIFO (waiting a bounded time: a driver still
     * writing must not hold the kernel here).
     */
    for (unsigned turns = 0; uart && turns < 1000000 && !(uart_read(UART_LSR) & UART_LSR_TEMT); turns++)
        ;
    while (console_tail != console_head)
        uart_output(console_buffer[console_tail++ % CONSOLE_BUFFER_BYTES]);
    if (console_lost)
        printk("kernel: %lu bytes of console output were lost\n", console_lost);
    console_lost = 0;
}

word_t console_waiting(void) { return console_head - console_tail; }

size_t console_take(char *dst, size_t room, word_t *lost)
{
    size_t n = 0;
    while (n < room && console_tail != console_head)
        dst[n++] = console_buffer[console_tail++ % CONSOLE_BUFFER_BYTES];
    *lost = console_lost;
    console_lost = 0;
    return n;
}

/* Whose line is on the console (console.h); the kernel's own lines have no prefix added. */
static struct console_lines lines;
static const char kernel_writer;

void console_putchar(char c) { console_lines_write(&lines, &kernel_writer, NULL, 0, &c, 1, output); }

void console_write(const void *writer, const char *prefix, size_t prefix_len, const char *text, size_t n)
{
    console_lines_write(&lines, writer, prefix, prefix_len, text, n, output);
}

void console_forget(const void *writer) { console_lines_forget(&lines, writer); }

static void put_string(const char *s, int width, bool left)
{
    int len = 0;
    while (s[len])
        len++;
    if (!left)
        for (; width > len; width--)
            console_putchar(' ');
    while (*s)
        console_putchar(*s++);
    for (; width > len; width--)
        console_putchar(' ');
}

static void put_number(unsigned long long v, unsigned base, bool negative, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = v % base;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (negative)
        buf[n++] = '-';
    for (int w = n; w < width; w++)
        console_putchar(pad);
    while (n)
        console_putchar(buf[--n]);
}

void vprintk(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            console_putchar(*fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '-') {
            left = true;
            fmt++;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        if (*fmt == 'z') {
            longs = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            put_string(s ? s : "(null)", width, left);
            break;
        }
        case 'c':
            console_putchar((char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
            put_number(v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 10, false, width, pad);
            break;
        case 'x':
            put_number(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 16, false, width, pad);
            break;
        case 'p':
            console_putchar('0');
            console_putchar('x');
            put_number((word_t)va_arg(ap, void *), 16, false, width, pad);
            break;
        case '%':
            console_putchar('%');
            break;
        default:
            console_putchar('%');
            console_putchar(*fmt);
            break;
        }
    }
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
