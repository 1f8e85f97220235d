/*
 * What the loader's main (main.c) tells the rest of the loader: the spec,
 * the caps it made for each object, and what became of each component.
 * The system-information handlers (loader/system/) use it.
 */
#ifndef LOADER_LOADER_H
#define LOADER_LOADER_H

#include "spec.h"

#include <sel/syscall.h>

/* The badge bit of rpc requests to the loader (codegen's RPC_BADGE); fault badges are thread numbers. */
#define LOADER_RPC_BADGE (1ull << 62)

/* A request with LOADER_RPC_BADGE: decoded, handled, and the reply's tag returned (generated: loader_rpc.c). */
sel_msginfo_t loader_rpc(sel_word_t badge, sel_msginfo_t info);

const struct spec *loader_spec(void);
sel_cptr_t loader_object_cap(uint32_t object);
uint32_t loader_faults(uint32_t component);
bool loader_stopped(uint32_t component);
sel_word_t loader_num_harts(void);

#endif
