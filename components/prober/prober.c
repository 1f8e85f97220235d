/* Exercises a chaos server, then makes it fault: its call never returns. */
#include <component.h>
#include <stdio.h>

int run(void)
{
    printf("chaos_divide(84, 2) = %d\n", (int)chaos_divide(84, 2));
    printf("asking the chaos server to write through a null pointer\n");
    chaos_crash(0);
    printf("the chaos server came back from crashing\n");
    return 0;
}
