/* picolibc's standard streams write to the kernel's debug console. */
#include <sel/syscall.h>
#include <stdio.h>

static int console_put(char c, FILE *file)
{
    (void)file;
    sel_debug_put_char(c);
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, NULL, NULL, _FDEV_SETUP_WRITE);

FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
