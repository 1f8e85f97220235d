/* components/uart_probe through the harness: the real UART interrupt must reach it. */
#include "../harness.h"

TEST(interrupt_arrives_and_it_says_so)
{
    done_wait();   /* it emits done only after the interrupt came and was acknowledged */
}
