/* The demo's log: prints each line with the name of the component that sent it. */
#include <component.h>
#include <stdio.h>

void log_write(const void *line, size_t line_len)
{
    printf("[%s] %.*s\n", log_client_name(), (int)line_len, (const char *)line);
}
