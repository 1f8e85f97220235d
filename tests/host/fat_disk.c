/* The host tests' block device for the FAT core: see fat_disk.h. */
#define _GNU_SOURCE
#include "fat_disk.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const struct fat_disk *d, unsigned slot)
{
    fprintf(stderr, "fat_disk: the core %s (slot %u, %u in flight)\n", what, slot, d->in_flight);
    abort();
}

static fat_io_t disk_submit(void *ctx, uint64_t lba, uint32_t count, void *buf, bool write)
{
    struct fat_disk *d = ctx;
    unsigned slot = 0;
    while (slot < FAT_DISK_SLOTS && d->req[slot].busy)
        slot++;
    if (slot == FAT_DISK_SLOTS || d->in_flight >= FAT_MAX_IN_FLIGHT)
        die("had more than FAT_MAX_IN_FLIGHT requests outstanding", d, slot);
    if (count == 0 || buf == NULL)
        die("submitted an empty request", d, slot);
    d->req[slot].lba = lba;
    d->req[slot].count = count;
    d->req[slot].buf = buf;
    d->req[slot].write = write;
    d->req[slot].busy = true;
    d->req[slot].number = d->requests++;
    if (++d->in_flight > d->max_in_flight)
        d->max_in_flight = d->in_flight;
    if (!write)
        memset(buf, 0xA5, (size_t)count * FAT_SECTOR);
    return slot;
}

static bool disk_wait(void *ctx, fat_io_t io)
{
    struct fat_disk *d = ctx;
    if (io >= FAT_DISK_SLOTS || !d->req[io].busy)
        die("waited for a request that is not in flight", d, io);
    d->req[io].busy = false;
    d->in_flight--;
    uint64_t lba = d->req[io].lba, count = d->req[io].count;
    if (d->req[io].number >= d->fail_from || lba > d->bytes / FAT_SECTOR || count > d->bytes / FAT_SECTOR - lba)
        return false;
    uint8_t *at = d->image + lba * FAT_SECTOR;
    if (d->req[io].write) {
        memcpy(at, d->req[io].buf, count * FAT_SECTOR);
        memset(d->unflushed + lba, 1, count);
        d->sectors_written += count;
    } else {
        memcpy(d->req[io].buf, at, count * FAT_SECTOR);
        d->sectors_read += count;
    }
    return true;
}

static bool disk_flush(void *ctx)
{
    struct fat_disk *d = ctx;
    d->flushes++;
    if (d->requests >= d->fail_from)
        return false;
    uint64_t sectors = d->bytes / FAT_SECTOR;
    if (!d->path[0]) {
        memset(d->unflushed, 0, sectors);
        return true;
    }
    int fd = open(d->path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = true;
    for (uint64_t s = 0; s < sectors;) {
        if (!d->unflushed[s]) {
            s++;
            continue;
        }
        uint64_t e = s;
        while (e < sectors && d->unflushed[e])
            e++;
        size_t n = (size_t)(e - s) * FAT_SECTOR;
        if (pwrite(fd, d->image + s * FAT_SECTOR, n, (off_t)(s * FAT_SECTOR)) != (ssize_t)n)
            ok = false;
        memset(d->unflushed + s, 0, e - s);
        s = e;
    }
    close(fd);
    return ok;
}

static void setup(struct fat_disk *d)
{
    d->dev = (struct fat_block_device){
        .submit = disk_submit, .wait = disk_wait, .flush = disk_flush, .ctx = d, .sectors = d->bytes / FAT_SECTOR,
    };
    d->fail_from = UINT64_MAX;
}

bool fat_disk_open(struct fat_disk *d, const char *path)
{
    memset(d, 0, sizeof *d);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        if (fd >= 0)
            close(fd);
        return false;
    }
    d->bytes = (uint64_t)st.st_size / FAT_SECTOR * FAT_SECTOR;
    d->image = malloc(d->bytes ? d->bytes : 1);
    d->unflushed = calloc(d->bytes / FAT_SECTOR + 1, 1);
    d->owns_image = true;
    if (!d->image || !d->unflushed || pread(fd, d->image, d->bytes, 0) != (ssize_t)d->bytes) {
        fprintf(stderr, "fat_disk: cannot load %s\n", path);
        close(fd);
        return false;
    }
    close(fd);
    snprintf(d->path, sizeof d->path, "%s", path);
    setup(d);
    return true;
}

void fat_disk_memory(struct fat_disk *d, uint8_t *memory, uint64_t bytes)
{
    memset(d, 0, sizeof *d);
    d->image = memory;
    d->bytes = bytes;
    d->unflushed = calloc(bytes / FAT_SECTOR + 1, 1);
    setup(d);
}

void fat_disk_close(struct fat_disk *d)
{
    if (d->owns_image)
        free(d->image);
    free(d->unflushed);
    memset(d, 0, sizeof *d);
}

uint64_t fat_disk_unflushed(const struct fat_disk *d)
{
    uint64_t n = 0;
    for (uint64_t s = 0; s < d->bytes / FAT_SECTOR; s++)
        n += d->unflushed[s];
    return n;
}
