/*
 * picolibc's standard streams write to the kernel's debug console.  Each
 * thread collects a line and hands it to the kernel in one system call, so
 * that lines printed on different harts never mix.
 */
#include <sel/syscall.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES 256

static __thread char line[LINE_MAX_BYTES];
static __thread size_t used;

void sel_debug_put_string(const char *s, size_t n)
{
    sel_ipc_buffer_t *b = sel_ipc_buffer();
    size_t max = sizeof(b->msg);
    while (n) {
        size_t chunk = n < max ? n : max;
        sel_word_t saved[(LINE_MAX_BYTES + 7) / 8 > SEL_MSG_MAX_LENGTH ? SEL_MSG_MAX_LENGTH : (LINE_MAX_BYTES + 7) / 8];
        size_t words = (chunk + 7) / 8;
        if (words > sizeof(saved) / sizeof(saved[0])) {
            words = sizeof(saved) / sizeof(saved[0]);
            chunk = words * 8;
        }
        memcpy(saved, b->msg, words * 8);
        memcpy(b->msg, s, chunk);
        sel_word_t a0 = chunk, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        sel__syscall(SEL_SYS_DEBUG_PUT_STRING, &a0, 0, &m0, &m1, &m2, &m3);
        memcpy(b->msg, saved, words * 8);
        s += chunk;
        n -= chunk;
    }
}

static int console_flush(FILE *file)
{
    (void)file;
    if (used) {
        sel_debug_put_string(line, used);
        used = 0;
    }
    return 0;
}

static int console_put(char c, FILE *file)
{
    line[used++] = c;
    if (c == '\n' || used == sizeof(line))
        console_flush(file);
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, NULL, console_flush, _FDEV_SETUP_WRITE);

FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
