/*
 * The capability layout of a system, as codegen writes it (build/.../spec.c)
 * and the loader instantiates it: objects, the caps in each component's
 * CSpace, mappings, threads and interrupts.  Indices refer to spec.objects.
 */
#ifndef LOADER_SPEC_H
#define LOADER_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum spec_object_type {
    SPEC_TCB,
    SPEC_ENDPOINT,
    SPEC_NOTIFICATION,
    SPEC_CNODE,          /* size_bits: radix */
    SPEC_VSPACE,
    SPEC_FRAME,          /* size_bits: 12 or 21 */
    SPEC_DEVICE_FRAME,   /* a 4 KiB frame of device memory at paddr */
    SPEC_USER_INTERRUPT, /* what tokens raise (sel/uintr.h) */
};

struct spec_object {
    uint8_t type;
    uint8_t size_bits;
    uint64_t paddr;
    const char *name;
};

struct spec_cap {
    uint32_t component;
    uint32_t slot;
    uint32_t object;
    uint8_t rights;
    uint64_t badge;
};

struct spec_mapping {
    uint32_t component;
    uint32_t vspace;
    uint64_t vaddr;
    uint32_t frame;
    bool writable;
};

enum spec_thread_role { SPEC_THREAD_MAIN, SPEC_THREAD_SERVER };

struct spec_thread {
    uint32_t component;
    uint8_t role;
    uint32_t tcb;
    uint64_t stack_top;
    uint64_t ipc_buffer;
    uint32_t ipc_frame;
    int32_t bound_notification;   /* object index, -1 for none */
    int32_t bound_user_interrupt; /* object index, -1 for none */
    const char *name;
};

/* An interrupt line: a badge of the component's notification, or a token (the badge's bits) of its
 * loop thread's UserInterrupt object (user_interrupt, -1 for none). */
struct spec_irq {
    uint32_t component;
    uint32_t irq;
    uint32_t slot;
    uint32_t notification;
    int32_t user_interrupt;
    uint64_t badge;
    const char *device;
};

/*
 * Frames that must be physically contiguous (a private DMA region, a ring's
 * data region): objects first .. first + count - 1, each a frame of
 * 2^size_bits bytes, in that order of physical addresses.
 */
struct spec_region {
    uint32_t first;
    uint32_t count;
    uint8_t size_bits;
    const char *name;
};

/* A 64-bit word of a component's constants page (a frame): the physical address of frame object. */
struct spec_patch {
    uint32_t page;
    uint32_t offset;
    uint32_t object;
};

enum spec_restart { SPEC_RESTART_NEVER, SPEC_RESTART_ON_FAULT };

struct spec_component {
    const char *name;
    const char *elf;             /* its file in the boot archive */
    uint8_t priority;
    uint8_t hart;
    uint8_t restart;
    uint32_t cnode;
    uint8_t radix;
    uint32_t vspace;
    uint64_t image_base;
    uint64_t image_limit;
    uint32_t first_thread;
    uint32_t num_threads;
    /* Where it gets a copy of the loader's debug capability; 0 (for every component but a test driver): none. */
    uint32_t debug_slot;
};

struct spec {
    const char *system;
    const struct spec_object *objects;
    uint32_t num_objects;
    const struct spec_component *components;
    uint32_t num_components;
    const struct spec_cap *caps;
    uint32_t num_caps;
    const struct spec_mapping *mappings;
    uint32_t num_mappings;
    const struct spec_thread *threads;
    uint32_t num_threads;
    const struct spec_irq *irqs;
    uint32_t num_irqs;
    /* The endpoint the loader serves (system information) and takes faults on: an object, or -1 (none). */
    int32_t loader_endpoint;
    const struct spec_region *regions;
    uint32_t num_regions;
    const struct spec_patch *patches;
    uint32_t num_patches;
};

extern const struct spec system_spec;

#endif
