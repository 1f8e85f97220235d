/*
 * lwIP's compiler and platform definitions for the net component: GCC on
 * riscv64 with picolibc, and GCC on the host for the tests.  Both are
 * little-endian C11 with <stdint.h>, <inttypes.h> and <limits.h>, so lwIP's
 * defaults (lwip/arch.h) serve for types and format strings; what is ours
 * is how lwIP reports, asserts, packs and draws random numbers.
 */
#ifndef NET_ARCH_CC_H
#define NET_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN

/* Headers inside frames may sit at any alignment (the driver chooses where a frame starts):
 * packed structs make the compiler access them safely. */
#define PACK_STRUCT_STRUCT __attribute__((packed))

/* lwIP's diagnostics and assertions, with a "lwip:" prefix on the console. */
void net_port_diag(const char *format, ...) __attribute__((format(printf, 1, 2)));
void net_port_assert(const char *message, int line, const char *file) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) do { net_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_port_assert((x), __LINE__, __FILE__)

/* DHCP transaction ids and the first local port: not cryptographic (components/net/README.md). */
uint32_t net_port_random(void);
#define LWIP_RAND() net_port_random()

#endif /* NET_ARCH_CC_H */
