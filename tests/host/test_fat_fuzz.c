/*
 * A seeded fuzz run of the FAT core under ASan and UBSan: small good
 * images (FAT16 and FAT32, files and folders with long names written by
 * the core) are mutated where a FAT volume keeps its structure (the boot
 * sector and FSInfo, the FATs, the directories) and then mounted, walked,
 * read, written, renamed, removed, checked, synced and unmounted through
 * the real code.  Every call must return one of the core's statuses; a
 * crash, a sanitizer report or a hang fails the run.
 *
 * make test runs FAT_FUZZ_ITERATIONS (default 10000) iterations; make
 * fuzz-fat runs more.  Each iteration's mutations come from (seed,
 * iteration) alone: FAT_FUZZ_SEED and FAT_FUZZ_ONLY=n replay one, and
 * a crash prints both (and keeps the image in $TMPDIR/fat-fuzz-crash.img).
 */
#define _GNU_SOURCE
#include <sanitizer/common_interface_defs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_util.h"

#define CACHE_BLOCKS 24

struct base {
    const char *name;
    uint8_t *image;
    size_t bytes;
    uint64_t meta_end;              /* the mutations land below this: up to the last directory and file */
};

static char work[256];
static struct base bases[2];
static uint8_t *image;              /* the mutated copy */
static size_t image_bytes;
static uint64_t current_seed, current_iteration;

static void on_death(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/fat-fuzz-crash.img", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    fprintf(stderr, "fuzz: died in iteration %llu of seed %llu (replay: FAT_FUZZ_SEED=%llu FAT_FUZZ_ONLY=%llu); "
            "the mutated image is in %s\n", (unsigned long long)current_iteration, (unsigned long long)current_seed,
            (unsigned long long)current_seed, (unsigned long long)current_iteration, path);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(image, 1, image_bytes, f);
        fclose(f);
    }
}

/* splitmix64 */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void populate(struct fat_volume *vol)
{
    static uint8_t data[9000];
    pattern_fill(data, sizeof data, 3, 0);
    static const char *const dirs[] = { "/d1", "/d1/d2", "/d1/d2/d3", "/a folder with a long name", "/E" };
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(fat_mkdir(vol, P(dirs[i])), FAT_OK);
    for (unsigned i = 0; i < 24; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/file %u with a name long enough for two entries.txt", dirs[i % 5], i);
        assert_int_equal(write_whole(vol, path, data, (i * 397) % sizeof data), FAT_OK);
    }
    assert_int_equal(write_whole(vol, "/SHORT.TXT", data, 100), FAT_OK);
    assert_int_equal(write_whole(vol, "/empty", data, 0), FAT_OK);
}

static void make_base(struct base *b, const char *name, const char *mkfs, unsigned kib)
{
    char path[300], out[2048];
    snprintf(path, sizeof path, "%s/%s", work, name);
    if (run(out, sizeof out, "mkfs.fat -C %s '%s' %u", mkfs, path, kib) != 0)
        fprintf(stderr, "# %s", out);
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, path, 32, false), FAT_OK);
    populate(&fx.vol);
    /* everything the core wrote lies before the first free cluster after the files */
    uint32_t last = fx.vol.next_free;
    b->meta_end = fx.vol.data_offset + (uint64_t)(last - 2 + 1) * fx.vol.cluster_bytes;
    fixture_unmount(&fx);
    assert_fsck_clean(path);
    struct fat_disk d;
    assert_true(fat_disk_open(&d, path));
    b->name = name;
    b->bytes = d.bytes;
    b->image = malloc(d.bytes);
    memcpy(b->image, d.image, d.bytes);
    fat_disk_close(&d);
}

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "fuzz");
    make_base(&bases[0], "fuzz16.img", "-F 16 -s 1 -r 64", 3072);  /* 6000-odd clusters: just FAT16 */
    make_base(&bases[1], "fuzz32.img", "-F 32 -s 1", 2048);        /* a small FAT32, which the core allows */
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < 2; i++)
        free(bases[i].image);
    remove_tree(work);
    return 0;
}

/* ---- mutations ---- */

static void mutate(uint64_t *rng, const struct base *b)
{
    static const uint32_t interesting[] = { 0, 1, 2, 3, 0xFF, 0xFFFF, 0xFFF7, 0xFFF8, 0x0FFFFFF7, 0x0FFFFFFF,
                                            0x7FFFFFFF, 0xFFFFFFFF, 0x10, 0x20, 0x200, 0x1000, 0xE5, 0x2E };
    unsigned count = 1 + next_random(rng) % 8;
    for (unsigned i = 0; i < count; i++) {
        uint64_t r = next_random(rng), where;
        switch (r % 10) {
        case 0: case 1:                     /* the boot sector and FSInfo */
            where = (r >> 8) % 1024;
            break;
        default:                            /* the FATs, the root, the folders and files */
            where = (r >> 8) % b->meta_end;
            break;
        }
        uint64_t kind = next_random(rng);
        switch (kind % 4) {
        case 0:
            image[where] = (uint8_t)(kind >> 8);
            break;
        case 1:
            image[where] ^= (uint8_t)(1u << ((kind >> 8) % 8));
            break;
        case 2: {
            uint32_t v = interesting[(kind >> 8) % (sizeof interesting / sizeof interesting[0])];
            uint64_t at = where & ~3ull;
            if (at + 4 <= image_bytes)
                memcpy(image + at, &v, 4);
            break;
        }
        default: {                          /* a plausible cluster number */
            uint16_t v = (uint16_t)((kind >> 8) % 7000);
            memcpy(image + (where & ~1ull), &v, 2);
            break;
        }
        }
    }
}

/* ---- exercising a volume ---- */

static unsigned calls;

static int ok(int status)
{
    calls++;
    assert_true(status >= FAT_OK && status <= FAT_TOO_MANY_OPEN);
    return status;
}

/* Walks a folder (bounded), reading every file; remembers a few paths for the writes. */
static void walk(struct fat_volume *vol, const char *path, unsigned depth, char found[4][512], unsigned *nfound,
                 unsigned *budget)
{
    fat_handle_t h;
    if (ok(fat_open(vol, 1, P(path), FAT_O_READ, &h)) != FAT_OK)
        return;
    uint32_t cookie = 0;
    static struct fat_dirent entry;
    while (*budget) {
        --*budget;
        if (ok(fat_readdir(vol, 1, h, &cookie, &entry)) != FAT_OK || entry.name_len == 0)
            break;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", path, entry.name);
        if (*nfound < 4 && strlen(child) < 512)
            strcpy(found[(*nfound)++], child);
        struct fat_stat st;
        ok(fat_stat(vol, P(child), &st));
        if (entry.stat.is_dir) {
            if (depth < 6)
                walk(vol, child, depth + 1, found, nfound, budget);
        } else {
            fat_handle_t f;
            if (ok(fat_open(vol, 1, P(child), FAT_O_READ, &f)) == FAT_OK) {
                static uint8_t buf[20000];
                size_t done;
                ok(fat_read(vol, 1, f, 0, buf, sizeof buf, &done));
                ok(fat_read(vol, 1, f, 7, buf, 600, &done));
                ok(fat_close(vol, 1, f));
            }
        }
    }
    ok(fat_close(vol, 1, h));
}

static void exercise(struct fat_volume *vol, uint64_t *rng)
{
    char found[4][512];
    unsigned nfound = 0, budget = 300;
    walk(vol, "", 0, found, &nfound, &budget);
    static uint8_t data[6000];
    memset(data, 0x5A, sizeof data);
    fat_handle_t h;
    if (ok(fat_open(vol, 2, P("/fuzz new file with a long name.txt"), FAT_O_WRITE | FAT_O_CREATE, &h)) == FAT_OK) {
        size_t done;
        ok(fat_write(vol, 2, h, 0, data, sizeof data, &done));
        ok(fat_write(vol, 2, h, 20000, data, 100, &done));
        ok(fat_truncate(vol, 2, h, 3000));
        ok(fat_close(vol, 2, h));
    }
    ok(fat_mkdir(vol, P("/fuzz dir")));
    ok(fat_mkdir(vol, P("/d1/d2/fuzz dir")));
    if (nfound > 0) {
        char to[600];
        snprintf(to, sizeof to, "/fuzz dir/moved %llu", (unsigned long long)(next_random(rng) % 100));
        ok(fat_rename(vol, P(found[0]), P(to)));
    }
    if (nfound > 1) {
        ok(fat_remove(vol, P(found[1])));
        ok(fat_rmdir(vol, P(found[1])));
    }
    if (nfound > 2 && ok(fat_open(vol, 3, P(found[2]), FAT_O_WRITE | FAT_O_APPEND, &h)) == FAT_OK) {
        size_t done;
        ok(fat_write(vol, 3, h, 0, data, 1000, &done));
        ok(fat_close(vol, 3, h));
    }
    ok(fat_rmdir(vol, P("/E")));
    static uint8_t bitmap[8192];
    ok(fat_check(vol, bitmap, sizeof bitmap));
    ok(fat_sync(vol));
}

static void test_fuzz_mutated_images(void **state)
{
    const char *env = getenv("FAT_FUZZ_ITERATIONS");
    uint64_t iterations = env ? strtoull(env, NULL, 10) : 10000;
    current_seed = getenv("FAT_FUZZ_SEED") ? strtoull(getenv("FAT_FUZZ_SEED"), NULL, 10) : 1;
    const char *only = getenv("FAT_FUZZ_ONLY");
    size_t biggest = bases[0].bytes > bases[1].bytes ? bases[0].bytes : bases[1].bytes;
    image = malloc(biggest);
    void *cache = malloc(FAT_CACHE_BYTES(CACHE_BLOCKS));
    static struct fat_volume vol;
    static struct fat_disk disk;
    __sanitizer_set_death_callback(on_death);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t mounted = 0;
    for (uint64_t i = only ? strtoull(only, NULL, 10) : 0; i < (only ? strtoull(only, NULL, 10) + 1 : iterations);
         i++) {
        current_iteration = i;
        uint64_t rng = current_seed * 0x100000001B3ull ^ i;
        const struct base *b = &bases[next_random(&rng) % 2];
        image_bytes = b->bytes;
        memcpy(image, b->image, b->bytes);
        mutate(&rng, b);
        fat_disk_memory(&disk, image, image_bytes);
        struct fat_mount_config config = {
            .device = &disk.dev, .cache = cache, .cache_bytes = FAT_CACHE_BYTES(CACHE_BLOCKS),
        };
        if (ok(fat_mount(&vol, &config)) == FAT_OK) {
            mounted++;
            exercise(&vol, &rng);
            ok(fat_unmount(&vol));
        }
        assert_int_equal(disk.in_flight, 0);     /* every request was waited for */
        fat_disk_close(&disk);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "# fuzz: %llu mutated images (%llu mounted, %u calls) in %.1f s, seed %llu\n",
            (unsigned long long)(only ? 1 : iterations), (unsigned long long)mounted, calls, seconds,
            (unsigned long long)current_seed);
    assert_true(only || iterations < 10000 || mounted > iterations / 4);   /* most mutations must still mount */
    free(cache);
    free(image);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_mutated_images),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
