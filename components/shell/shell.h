/*
 * The shell's command table.  A file of commands defines each with
 *
 *   SHELL_COMMAND(ps, "ps", "components with their state, priority, hart and instructions")
 *   {
 *       ...argc, argv as in main()...
 *   }
 *
 * and needs nothing else: the table is a linker section, and help lists
 * it in name order.  Commands print with printf; a line of output is a
 * line on the console behind "shell: ".
 */
#ifndef SHELL_H
#define SHELL_H

#include <component.h>
#include <stdio.h>

#define SHELL_MAX_ARGS 16

struct shell_command {
    const char *name;
    const char *usage;          /* the name and its arguments, as help shows it */
    const char *summary;
    void (*run)(int argc, char **argv);
};

#define SHELL_COMMAND(id, usage_text, summary_text)                                                   \
    static void shell_run_##id(int argc, char **argv);                                               \
    static const struct shell_command shell_command_##id                                             \
        __attribute__((used, section("shell_commands"), aligned(8))) = { #id, usage_text, summary_text, \
                                                                         shell_run_##id };           \
    static void shell_run_##id(int argc, char **argv)

/* Says that a command needs a port this system does not connect (components/shell/component.yaml). */
void shell_not_connected(const char *command, const char *port, const char *what);

#endif
