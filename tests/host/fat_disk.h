/*
 * A block device for host tests of the FAT core (components/fs/fat): an
 * image held in memory, with a disk's volatile write cache.
 *
 *   - A read's bytes arrive at wait, and submit fills the buffer with
 *     0xA5 first: a core that looked at a buffer before its wait would
 *     see poison.  A write's bytes are taken at wait too.
 *   - Writes land in memory (later reads see them) but reach the image
 *     file only at flush; fat_disk_close without a flush is a power cut.
 *   - It counts requests in flight (the most at once, for the tests of
 *     "at least 8"), requests, sectors and flushes, and aborts the test
 *     on a request the core should never make (more than FAT_MAX_IN_FLIGHT
 *     at once, a wait on a handle not in flight).
 *   - Faults: fail_from makes every request from that number on fail.
 */
#ifndef FAT_DISK_H
#define FAT_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fat.h"

#define FAT_DISK_SLOTS 64

struct fat_disk {
    struct fat_block_device dev;
    uint8_t *image;
    uint64_t bytes;
    bool owns_image;
    uint8_t *unflushed;             /* a byte per sector: written since the last flush */
    char path[512];                 /* "" for an image only in memory */
    struct {
        uint64_t lba;
        uint32_t count;
        void *buf;
        bool write;
        bool busy;
        uint64_t number;
    } req[FAT_DISK_SLOTS];
    unsigned in_flight, max_in_flight;
    uint64_t requests, sectors_read, sectors_written, flushes;
    uint64_t fail_from;             /* requests numbered from this on fail (UINT64_MAX: none) */
};

/* Loads an image file; false (and a message) if it cannot. */
bool fat_disk_open(struct fat_disk *d, const char *path);
/* Uses memory (bytes long, a multiple of 512) as the disk, in place; no file behind it. */
void fat_disk_memory(struct fat_disk *d, uint8_t *memory, uint64_t bytes);
/* Forgets the disk without flushing (a power cut); frees what fat_disk_open took. */
void fat_disk_close(struct fat_disk *d);
/* Sectors written but not flushed. */
uint64_t fat_disk_unflushed(const struct fat_disk *d);

#endif
