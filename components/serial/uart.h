/*
 * The ns16550a's registers, as QEMU virt has them (one byte each, no
 * register shift: the device tree's serial@10000000 has none).
 */
#ifndef SERIAL_UART_H
#define SERIAL_UART_H

#define UART_RBR 0          /* read: received byte */
#define UART_THR 0          /* write: byte to send */
#define UART_IER 1          /* interrupt enable */
#define UART_IIR 2          /* read: interrupt identification */
#define UART_FCR 2          /* write: FIFO control */
#define UART_LCR 3          /* line control */
#define UART_MCR 4          /* modem control */
#define UART_LSR 5          /* line status */
#define UART_MSR 6          /* modem status */

#define UART_IER_RDI  0x01  /* received data available (and the receive timeout) */
#define UART_IER_THRI 0x02  /* transmit holding register (FIFO) empty */
#define UART_IER_RLSI 0x04  /* receiver line status: overrun and friends */

#define UART_IIR_NONE     0x01  /* no interrupt pending */
#define UART_IIR_ID       0x0e
#define UART_IIR_MSI      0x00
#define UART_IIR_THRI     0x02
#define UART_IIR_RDI      0x04
#define UART_IIR_RLSI     0x06
#define UART_IIR_TIMEOUT  0x0c  /* bytes wait in the receive FIFO below its trigger level */
#define UART_IIR_FIFOS    0xc0  /* both set: the FIFOs are on (a 16550A) */

#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_TRIGGER_1 0x00 /* interrupt at each received byte: typing wants no delay */

#define UART_LCR_8N1  0x03
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08  /* gates the interrupt line on PCs; set, as drivers do */

#define UART_LSR_DR   0x01  /* a received byte waits */
#define UART_LSR_OE   0x02  /* overrun: a byte was lost */
#define UART_LSR_THRE 0x20  /* the transmit FIFO is empty */
#define UART_LSR_TEMT 0x40  /* ... and so is the shift register */

#define UART_FIFO_BYTES 16

#endif
