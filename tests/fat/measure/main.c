/*
 * Instruction counts of the FAT core on the target (rv64imac, -O2),
 * bare metal under QEMU -icount (tests/fat/measure.sh builds and runs
 * it): the core on a RAM disk that QEMU loads at DISK_BASE.  The
 * instructions spent inside the disk (its submit, its wait and the copy
 * that stands in for the device's DMA) are counted apart and taken off,
 * so each figure is the core's own work.
 */
#include <stdint.h>
#include <string.h>

#include "fat.h"

#define DISK_BASE 0x88000000ul
#define UART ((volatile uint8_t *)0x10000000ul)
#define TEST_DEVICE ((volatile uint32_t *)0x100000ul)   /* QEMU virt's sifive_test: 0x5555 powers off */

static inline uint64_t instret(void)
{
    uint64_t x;
    __asm__ volatile("rdinstret %0" : "=r"(x));
    return x;
}

static void put_char(char c)
{
    while (!(UART[5] & 0x20))
        ;
    UART[0] = (uint8_t)c;
}

static void put_str(const char *s)
{
    while (*s)
        put_char(*s++);
}

static void put_num(uint64_t n)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i)
        put_char(buf[--i]);
}

static void report(const char *key, uint64_t value)
{
    put_str(key);
    put_char(' ');
    put_num(value);
    put_char('\n');
}

/* ---- the RAM disk; its instructions are counted apart ---- */

static struct {
    uint64_t lba;
    uint32_t count;
    void *buf;
    bool write, busy;
} slots[64];
static uint64_t disk_sectors, device_instructions;

static void word_copy(void *dst, const void *src, size_t n)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (size_t i = 0; i < n / 8; i++)
        d[i] = s[i];
}

static fat_io_t disk_submit(void *ctx, uint64_t lba, uint32_t count, void *buf, bool write)
{
    uint64_t t = instret();
    unsigned i = 0;
    while (slots[i].busy)
        i++;
    slots[i].lba = lba;
    slots[i].count = count;
    slots[i].buf = buf;
    slots[i].write = write;
    slots[i].busy = true;
    device_instructions += instret() - t;
    return i;
}

static bool disk_wait(void *ctx, fat_io_t io)
{
    uint64_t t = instret();
    uint8_t *at = (uint8_t *)DISK_BASE + slots[io].lba * FAT_SECTOR;
    size_t n = (size_t)slots[io].count * FAT_SECTOR;
    bool ok = slots[io].lba + slots[io].count <= disk_sectors;
    if (ok && slots[io].write)
        word_copy(at, slots[io].buf, n);
    else if (ok)
        word_copy(slots[io].buf, at, n);
    slots[io].busy = false;
    device_instructions += instret() - t;
    return ok;
}

static bool disk_flush(void *ctx) { return true; }

/* ---- the measurements ---- */

static struct fat_volume vol;
static uint8_t cache[FAT_CACHE_BYTES(256)] __attribute__((aligned(4096)));
static uint8_t data[1 << 20] __attribute__((aligned(64)));

#define FILE_BYTES (8u << 20)

static uint64_t t0, d0;

static void start(void)
{
    d0 = device_instructions;
    t0 = instret();
}

/* The core's instructions since start(): the total less the disk's. */
static uint64_t stop(void)
{
    uint64_t total = instret() - t0;
    return total - (device_instructions - d0);
}

static void fail(const char *what, int status)
{
    put_str("measure: ");
    put_str(what);
    put_str(": ");
    put_str(fat_status_name(status));
    put_char('\n');
    *TEST_DEVICE = 0x3333 | 1 << 16;
    for (;;)
        ;
}

static void check(const char *what, int status)
{
    if (status != FAT_OK)
        fail(what, status);
}

static uint64_t read_file(const char *path, size_t piece)
{
    fat_handle_t h;
    check("open for reading", fat_open(&vol, 1, path, strlen(path), FAT_O_READ, &h));
    start();
    for (uint64_t at = 0; at < FILE_BYTES; at += piece) {
        size_t done;
        check("read", fat_read(&vol, 1, h, at, data, piece, &done));
    }
    uint64_t n = stop();
    check("close", fat_close(&vol, 1, h));
    return n;
}

int main(void)
{
    disk_sectors = DISK_SECTORS;
    static const struct fat_block_device dev = {
        .submit = disk_submit, .wait = disk_wait, .flush = disk_flush, .sectors = DISK_SECTORS,
    };
    struct fat_mount_config config = { .device = &dev, .cache = cache, .cache_bytes = sizeof cache };
    start();
    check("mount", fat_mount(&vol, &config));
    report("fat_mount_instructions", stop());

    /* an 8 MiB file written in 64 KiB pieces (allocation, FAT, direct writes), then synced */
    fat_handle_t h;
    check("create", fat_open(&vol, 1, "/big", 4, FAT_O_WRITE | FAT_O_CREATE, &h));
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    start();
    for (uint64_t at = 0; at < FILE_BYTES; at += 65536) {
        size_t done;
        check("write", fat_write(&vol, 1, h, at, data, 65536, &done));
    }
    report("fat_seqwrite_64k_instructions_per_kib", stop() / (FILE_BYTES / 1024));
    check("close", fat_close(&vol, 1, h));
    start();
    check("sync", fat_sync(&vol));
    report("fat_sync_after_8m_instructions", stop());

    report("fat_seqread_1m_instructions_per_kib", read_file("/big", 1 << 20) / (FILE_BYTES / 1024));
    report("fat_seqread_64k_instructions_per_kib", read_file("/big", 65536) / (FILE_BYTES / 1024));
    report("fat_seqread_4k_instructions_per_kib", read_file("/big", 4096) / (FILE_BYTES / 1024));
    report("fat_seqread_512_instructions_per_kib", read_file("/big", 512) / (FILE_BYTES / 1024));

    /* create, write 4 KiB, close: 200 files in one folder */
    check("mkdir", fat_mkdir(&vol, "/many", 5));
    uint64_t opening = 0, writing = 0;
    start();
    for (unsigned i = 0; i < 200; i++) {
        char path[32] = "/many/file-0000.dat";
        path[11] = (char)('0' + i / 1000);
        path[12] = (char)('0' + i / 100 % 10);
        path[13] = (char)('0' + i / 10 % 10);
        path[14] = (char)('0' + i % 10);
        size_t done;
        uint64_t t = instret(), d = device_instructions;
        check("create small", fat_open(&vol, 1, path, strlen(path), FAT_O_WRITE | FAT_O_CREATE, &h));
        opening += instret() - t - (device_instructions - d);
        t = instret(), d = device_instructions;
        check("write small", fat_write(&vol, 1, h, 0, data, 4096, &done));
        writing += instret() - t - (device_instructions - d);
        check("close small", fat_close(&vol, 1, h));
    }
    report("fat_create_4k_instructions", stop() / 200);
    report("fat_create_4k_open_part", opening / 200);
    report("fat_create_4k_write_part", writing / 200);

    /* a lookup that the cache holds: stat of a file in the root */
    struct fat_stat st;
    check("stat", fat_stat(&vol, "/big", 4, &st));
    start();
    for (unsigned i = 0; i < 100; i++)
        fat_stat(&vol, "/big", 4, &st);
    report("fat_stat_cached_instructions", stop() / 100);

    start();
    check("unmount", fat_unmount(&vol));
    report("fat_unmount_instructions", stop());
    put_str("measure: done\n");
    *TEST_DEVICE = 0x5555;
    for (;;)
        ;
}
