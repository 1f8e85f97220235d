/*
 * picolibc's standard streams write to the system's console.  Each thread
 * collects a line and hands it over whole, so that lines printed by two
 * threads never mix: to the component's console ring when the system has
 * a console (the glue sets sel_stdout_console before init: sel/console.h,
 * docs/system.md "The console"), else to the kernel's debug console in
 * one system call.
 */
#include <sel/console.h>
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

sel_console_writer_t *sel_stdout_console;

/*
 * The threads of a component share its console writer (a ring has one
 * producer): one line at a time.  Contention is rare (a control
 * component's two threads printing at once), and a thread waiting for the
 * lock yields to the holder, which is on the same hart.
 */
static int writer_lock;

static void write_line(const char *text, size_t n, bool flush)
{
    sel_console_writer_t *w = sel_stdout_console;
    if (!w) {
        sel_debug_put_string(text, n);
        return;
    }
    while (__atomic_exchange_n(&writer_lock, 1, __ATOMIC_ACQUIRE))
        sel_yield();
    sel_console_write(w, text, n);
    if (flush && (!n || text[n - 1] != '\n'))
        sel_console_flush(w, false);   /* a prompt: shown now */
    __atomic_store_n(&writer_lock, 0, __ATOMIC_RELEASE);
}

static int console_flush(FILE *file)
{
    (void)file;
    if (used) {
        write_line(line, used, true);
        used = 0;
    }
    return 0;
}

static int console_put(char c, FILE *file)
{
    line[used++] = c;
    if (c == '\n') {
        console_flush(file);
    } else if (used == sizeof(line)) {
        write_line(line, used, false);   /* a long line goes on: no need to show this piece at once */
        used = 0;
    }
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, NULL, console_flush, _FDEV_SETUP_WRITE);

FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
