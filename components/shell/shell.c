/*
 * The shell: reads what is typed on the console (one read request in
 * flight on the input ring, so the console keeps what comes meanwhile),
 * edits a line as a terminal expects (echo, backspace, Ctrl-U, Ctrl-C;
 * escape sequences ignored), and at Enter splits it into words and runs
 * the command of the table (shell.h) the first word names.
 */
#include "shell.h"

#include <string.h>

#define LINE_MAX_BYTES 120
#define PROMPT "> "

extern const struct shell_command __start_shell_commands[], __stop_shell_commands[];

static char line[LINE_MAX_BYTES + 1];
static size_t used;
static bool too_long;
static enum { PLAIN, ESCAPE, CSI } escape;   /* inside an escape sequence (arrow keys and the like) */

static void prompt(void)
{
    printf(PROMPT);
    fflush(stdout);
}

static const struct shell_command *find(const char *name)
{
    for (const struct shell_command *c = __start_shell_commands; c < __stop_shell_commands; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void shell_not_connected(const char *command, const char *port, const char *what)
{
    printf("%s: this system does not connect the shell's '%s' port (%s)\n", command, port, what);
}

static void run_line(void)
{
    char *argv[SHELL_MAX_ARGS + 1];
    int argc = 0;
    line[used] = 0;
    for (char *p = strtok(line, " \t"); p; p = strtok(NULL, " \t")) {
        if (argc == SHELL_MAX_ARGS) {
            printf("%s: more than %d words\n", argv[0], SHELL_MAX_ARGS);
            return;
        }
        argv[argc++] = p;
    }
    argv[argc] = NULL;
    if (argc == 0)
        return;
    const struct shell_command *c = find(argv[0]);
    if (!c) {
        printf("%s: no such command (help lists them)\n", argv[0]);
        return;
    }
    c->run(argc, argv);
}

/* One typed byte. */
static void typed(char c)
{
    if (escape == ESCAPE) {
        escape = c == '[' ? CSI : PLAIN;
        return;
    }
    if (escape == CSI) {
        if (c >= 0x40 && c <= 0x7e)
            escape = PLAIN;   /* the sequence's last byte */
        return;
    }
    switch (c) {
    case '\r':
    case '\n':
        printf("\n");
        if (too_long)
            printf("the line is longer than %d bytes; nothing was run\n", LINE_MAX_BYTES);
        else
            run_line();
        used = 0;
        too_long = false;
        prompt();
        return;
    case 0x7f:
    case '\b':
        if (used) {
            used--;
            printf("\b \b");
            fflush(stdout);
        }
        return;
    case 0x15:   /* Ctrl-U: the line goes */
        while (used) {
            used--;
            printf("\b \b");
        }
        fflush(stdout);
        return;
    case 0x03:   /* Ctrl-C */
        printf("^C\n");
        used = 0;
        too_long = false;
        prompt();
        return;
    case 0x1b:
        escape = ESCAPE;
        return;
    default:
        break;
    }
    if ((unsigned char)c < ' ')
        return;
    if (used == LINE_MAX_BYTES) {
        too_long = true;
        return;
    }
    line[used++] = c;
    putchar(c);
    fflush(stdout);
}

static void read_more(void)
{
    console_input_read_t read = { .room = sizeof(((console_input_typed_t *)0)->text) };
    input_submit(&read, 0);
    input_flush();
}

void input_callback(void)
{
    console_input_typed_t t;
    uint64_t tag;
    while (input_completion(&t, &tag)) {
        if (t.status != CONSOLE_INPUT_INPUT_STATUS_OK) {
            printf("the console refused a read request (status %d)\n", (int)t.status);
            continue;
        }
        if (t.dropped)
            printf("(%lu typed bytes were lost)\n", (unsigned long)t.dropped);
        for (unsigned i = 0; i < t.length && i < sizeof(t.text); i++)
            typed((char)t.text[i]);
        read_more();   /* after the line's command ran: a test can tell when a line is done */
    }
}

SHELL_COMMAND(help, "help", "the commands, and what each does")
{
    unsigned n = (unsigned)(__stop_shell_commands - __start_shell_commands);
    /* In name order: the section has them in link order. */
    const char *last = "";
    for (unsigned k = 0; k < n; k++) {
        const struct shell_command *next = NULL;
        for (const struct shell_command *c = __start_shell_commands; c < __stop_shell_commands; c++)
            if (strcmp(c->name, last) > 0 && (!next || strcmp(c->name, next->name) < 0))
                next = c;
        if (!next)
            break;
        printf("  %-16s %s\n", next->usage, next->summary);
        last = next->name;
    }
}

void init(void)
{
    printf("type help for the commands\n");
    prompt();
    read_more();
}
