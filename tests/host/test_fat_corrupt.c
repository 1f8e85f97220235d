/*
 * Corrupt volumes give errors, never a crash or a hang: fixtures made by
 * patching a good image (FAT16 and FAT32, files and folders written by
 * the core) in the test disk's memory, each with the status and the
 * problem it must give.  The cases of issue 9: a truncated FAT, cross-
 * linked clusters, a loop in a cluster chain, a cluster number past the
 * volume, an absurd BPB, a directory entry pointing at itself; and more
 * of each kind, plus a failing device.
 *
 * White-box: the test includes fat_internal.h to find where entries are.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_internal.h"
#include "fat_util.h"

static char work[256], base16[300], base32[300];

/* The files every base image holds. */
static void populate(const char *image)
{
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 32, false), FAT_OK);
    uint8_t data[1500];
    pattern_fill(data, sizeof data, 1, 0);
    assert_int_equal(write_whole(&fx.vol, "/a.txt", data, sizeof data), FAT_OK);   /* 3 clusters of 512 */
    pattern_fill(data, sizeof data, 2, 0);
    assert_int_equal(write_whole(&fx.vol, "/b.txt", data, sizeof data), FAT_OK);
    assert_int_equal(fat_mkdir(&fx.vol, P("/dir")), FAT_OK);
    assert_int_equal(fat_mkdir(&fx.vol, P("/dir/sub")), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/dir/sub/c.txt", "see", 3), FAT_OK);
    for (unsigned i = 0; i < 40; i++) {     /* /dir over several clusters */
        char path[64];
        snprintf(path, sizeof path, "/dir/a long name to fill clusters %u", i);
        assert_int_equal(write_whole(&fx.vol, path, "x", 1), FAT_OK);
    }
    fixture_unmount(&fx);
    assert_fsck_clean(image);
}

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "corrupt");
    snprintf(base16, sizeof base16, "%s/base16.img", work);
    snprintf(base32, sizeof base32, "%s/base32.img", work);
    char out[2048];
    if (run(out, sizeof out, "mkfs.fat -C -F 16 -s 1 '%s' 4096 && mkfs.fat -C -F 32 -s 1 '%s' 40960", base16, base32)) {
        fprintf(stderr, "# %s", out);
        return -1;
    }
    populate(base16);
    populate(base32);
    return 0;
}

static int teardown(void **state)
{
    remove_tree(work);
    return 0;
}

/* ---- a fixture: the base image in the test disk, patched, then mounted ---- */

struct fixture {
    struct fat_fixture fx;
    struct fat_volume good;         /* the base image's geometry */
};

static void load(struct fixture *f, const char *image)
{
    assert_int_equal(fixture_mount(&f->fx, image, 32, true), FAT_OK);
    f->fx.disk.path[0] = 0;                 /* patches and writes stay in memory: the base is kept */
    f->good = f->fx.vol;
    fat_unmount(&f->fx.vol);
}

static struct dir_slot entry_of(struct fixture *f, const char *path)
{
    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    assert_int_equal(path_lookup(&f->fx.vol, P(path), &dir, &len, &slot, &found), FAT_OK);
    assert_true(found);
    return slot;
}

static uint32_t cluster_of(struct fixture *f, const char *path)
{
    struct dir_slot slot = entry_of(f, path);
    return dirent_cluster(&slot.entry, &f->fx.vol);
}

static void poke32(struct fixture *f, uint64_t offset, uint32_t value) { put32(f->fx.disk.image + offset, value); }
static void poke16(struct fixture *f, uint64_t offset, uint16_t value) { put16(f->fx.disk.image + offset, value); }

/* Sets a FAT entry in every copy. */
static void poke_fat(struct fixture *f, uint32_t cluster, uint32_t value)
{
    for (uint32_t copy = 0; copy < f->good.fat_copies; copy++) {
        uint64_t at = f->good.fat_offset + copy * f->good.fat_bytes + (uint64_t)cluster * (f->good.fat_bits / 8);
        if (f->good.fat_bits == 32)
            poke32(f, at, value);
        else
            poke16(f, at, (uint16_t)value);
    }
}

static void poke_entry_cluster(struct fixture *f, uint64_t entry_offset, uint32_t cluster)
{
    poke16(f, entry_offset + 26, (uint16_t)cluster);
    if (f->good.fat_bits == 32)
        poke16(f, entry_offset + 20, (uint16_t)(cluster >> 16));
}

/* Mounts the patched image again (the cache is fresh, so it sees the patches). */
static int remount(struct fixture *f, bool read_only)
{
    struct fat_mount_config config = {
        .device = &f->fx.disk.dev, .cache = f->fx.cache, .cache_bytes = f->fx.cache_bytes, .read_only = read_only,
    };
    return fat_mount(&f->fx.vol, &config);
}

/* Loads the base and mounts it so that entry_of works, for patching. */
static void open_fixture(struct fixture *f, const char *image)
{
    load(f, image);
    assert_int_equal(remount(f, true), FAT_OK);
}

static void done(struct fixture *f)
{
    if (f->fx.vol.mounted)
        fat_unmount(&f->fx.vol);
    fixture_crash(&f->fx);
}

static void assert_problem(struct fat_volume *vol, const char *words)
{
    const char *problem = fat_mount_problem(vol);
    if (!strstr(problem, words))
        fprintf(stderr, "# expected a problem with '%s', got '%s'\n", words, problem);
    assert_non_null(strstr(problem, words));
}

static int open_read_all(struct fat_volume *vol, const char *path)
{
    fat_handle_t h;
    int status = fat_open(vol, 1, P(path), FAT_O_READ, &h);
    if (status != FAT_OK)
        return status;
    static uint8_t buf[1 << 16];
    size_t n;
    status = fat_read(vol, 1, h, 0, buf, sizeof buf, &n);
    fat_close(vol, 1, h);
    return status;
}

static int check_volume(struct fat_volume *vol)
{
    static uint8_t bitmap[1 << 17];
    return fat_check(vol, bitmap, sizeof bitmap);
}

/* ---- a truncated FAT ---- */

static void test_truncated_fat_in_the_bpb(void **state)
{
    struct fixture f;
    load(&f, base16);
    poke16(&f, 22, 2);                      /* FATSz16: 2 sectors, 512 entries for 4000-odd clusters */
    assert_int_equal(remount(&f, true), FAT_CORRUPT);
    assert_problem(&f.fx.vol, "truncated FAT");
    done(&f);
    load(&f, base32);
    poke32(&f, 36, 3);                      /* FATSz32 */
    assert_int_equal(remount(&f, true), FAT_CORRUPT);
    assert_problem(&f.fx.vol, "truncated FAT");
    done(&f);
}

static void test_truncated_image(void **state)
{
    struct fixture f;
    load(&f, base16);
    /* the image file ends inside the FAT: the device is smaller than the volume */
    f.fx.disk.bytes = f.good.fat_offset + 1024;
    f.fx.disk.dev.sectors = f.fx.disk.bytes / FAT_SECTOR;
    assert_int_equal(remount(&f, true), FAT_CORRUPT);
    assert_problem(&f.fx.vol, "larger than the device");
    done(&f);
}

/* ---- cross-linked clusters ---- */

static void test_cross_linked_clusters(void **state)
{
    for (int fat = 0; fat < 2; fat++) {
        struct fixture f;
        open_fixture(&f, fat ? base32 : base16);
        uint32_t a = cluster_of(&f, "/a.txt");
        uint64_t b_entry = entry_of(&f, "/b.txt").offset;
        poke_entry_cluster(&f, b_entry, a);         /* b's chain is a's */
        assert_int_equal(remount(&f, false), FAT_OK);
        assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "two chains");
        /* without the check: both read (the same bytes); once a is gone, b runs into free clusters */
        assert_int_equal(open_read_all(&f.fx.vol, "/a.txt"), FAT_OK);
        assert_int_equal(open_read_all(&f.fx.vol, "/b.txt"), FAT_OK);
        assert_int_equal(fat_remove(&f.fx.vol, P("/a.txt")), FAT_OK);
        assert_int_equal(open_read_all(&f.fx.vol, "/b.txt"), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "free cluster");
        assert_int_equal(fat_remove(&f.fx.vol, P("/b.txt")), FAT_CORRUPT);
        done(&f);
    }
}

/* ---- a loop in a cluster chain ---- */

static void test_loop_in_a_file_chain(void **state)
{
    for (int fat = 0; fat < 2; fat++) {
        struct fixture f;
        open_fixture(&f, fat ? base32 : base16);
        uint32_t a = cluster_of(&f, "/a.txt");
        poke_fat(&f, a + 2, a);                     /* the third cluster leads back to the first */
        assert_int_equal(remount(&f, false), FAT_OK);
        assert_int_equal(open_read_all(&f.fx.vol, "/a.txt"), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "loops");
        assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
        /* freeing it stops at the first cluster it freed itself */
        assert_int_equal(fat_remove(&f.fx.vol, P("/a.txt")), FAT_CORRUPT);
        assert_int_equal(open_read_all(&f.fx.vol, "/b.txt"), FAT_OK);
        done(&f);
    }
}

static void test_loop_in_a_directory_chain(void **state)
{
    for (int fat = 0; fat < 2; fat++) {
        struct fixture f;
        open_fixture(&f, fat ? base32 : base16);
        uint32_t dir = cluster_of(&f, "/dir");
        poke_fat(&f, dir, dir);                     /* the folder's first cluster is its own next */
        assert_int_equal(remount(&f, false), FAT_OK);
        fat_handle_t h;
        assert_int_equal(fat_open(&f.fx.vol, 1, P("/dir"), FAT_O_READ, &h), FAT_CORRUPT);
        /* a lookup in it ends (2 MiB of entries at most), whatever it finds */
        struct fat_stat st;
        int status = fat_stat(&f.fx.vol, P("/dir/no such name"), &st);
        assert_true(status == FAT_NOT_FOUND || status == FAT_CORRUPT);
        assert_int_equal(fat_stat(&f.fx.vol, P("/dir/sub/c.txt"), &st), FAT_OK);
        status = write_whole(&f.fx.vol, "/dir/new file with a long name", "x", 1);
        assert_true(status == FAT_OK || status == FAT_NO_SPACE || status == FAT_CORRUPT);
        assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
        done(&f);
    }
}

/* ---- a cluster number past the volume ---- */

static void test_cluster_past_the_volume(void **state)
{
    for (int fat = 0; fat < 2; fat++) {
        struct fixture f;
        open_fixture(&f, fat ? base32 : base16);
        uint32_t a = cluster_of(&f, "/a.txt"), past = f.good.cluster_count + 2 + 40;
        uint64_t b_entry = entry_of(&f, "/b.txt").offset;
        poke_fat(&f, a + 1, past);                  /* a's chain leaves the volume */
        poke_entry_cluster(&f, b_entry, fat ? 0x0FFFFFF0 : 0xFFF0);  /* b starts outside it */
        assert_int_equal(remount(&f, false), FAT_OK);
        assert_int_equal(open_read_all(&f.fx.vol, "/a.txt"), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "outside the volume");
        assert_int_equal(open_read_all(&f.fx.vol, "/b.txt"), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "outside the volume");
        fat_handle_t h;
        assert_int_equal(fat_open(&f.fx.vol, 1, P("/b.txt"), FAT_O_WRITE, &h), FAT_CORRUPT);
        assert_int_equal(fat_remove(&f.fx.vol, P("/b.txt")), FAT_CORRUPT);
        assert_int_equal(fat_remove(&f.fx.vol, P("/a.txt")), FAT_CORRUPT);
        assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
        done(&f);
    }
}

static void test_file_longer_than_its_chain(void **state)
{
    struct fixture f;
    open_fixture(&f, base16);
    poke32(&f, entry_of(&f, "/a.txt").offset + 28, 1 << 20);    /* 1 MiB on 3 clusters */
    assert_int_equal(remount(&f, false), FAT_OK);
    assert_int_equal(open_read_all(&f.fx.vol, "/a.txt"), FAT_CORRUPT);
    assert_problem(&f.fx.vol, "shorter than its file");
    assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
    done(&f);
}

/* ---- an absurd BPB ---- */

struct bpb_patch {
    const char *what;
    unsigned offset, size;
    uint32_t value;
    int fat_bits;                   /* the base it applies to */
    int status;
    const char *problem;
};

static void test_absurd_bpb(void **state)
{
    static const struct bpb_patch patches[] = {
        { "bytes per sector 3", 11, 2, 3, 16, FAT_CORRUPT, "bytes per sector" },
        { "bytes per sector 0", 11, 2, 0, 32, FAT_CORRUPT, "bytes per sector" },
        { "bytes per sector 8192", 11, 2, 8192, 16, FAT_CORRUPT, "bytes per sector" },
        { "0 sectors per cluster", 13, 1, 0, 16, FAT_CORRUPT, "sectors per cluster" },
        { "3 sectors per cluster", 13, 1, 3, 32, FAT_CORRUPT, "sectors per cluster" },
        { "no reserved sectors", 14, 2, 0, 16, FAT_CORRUPT, "reserved" },
        { "no FATs", 16, 1, 0, 32, FAT_CORRUPT, "number of FATs" },
        { "200 FATs", 16, 1, 200, 16, FAT_CORRUPT, "number of FATs" },
        { "no sectors", 19, 2, 0, 16, FAT_CORRUPT, "no sectors" },
        { "no root entries on FAT16", 17, 2, 0, 16, FAT_CORRUPT, "root directory entries" },
        { "root entries on FAT32", 17, 2, 512, 32, FAT_CORRUPT, "fixed root" },
        { "a FAT32 FAT of 0 sectors", 36, 4, 0, 32, FAT_CORRUPT, "FAT size is zero" },
        { "the FATs fill the volume", 22, 2, 60000, 16, FAT_CORRUPT, "fill the whole volume" },
        { "FAT32 root cluster 1", 44, 4, 1, 32, FAT_CORRUPT, "root directory's cluster" },
        { "FAT32 root cluster past the end", 44, 4, 0x0FFFFFF0, 32, FAT_CORRUPT, "root directory's cluster" },
        { "FAT32 version 1.0", 42, 2, 0x0100, 32, FAT_CORRUPT, "version" },
        { "FSInfo past the reserved sectors", 48, 2, 100, 32, FAT_CORRUPT, "FSInfo" },
        { "a volume larger than the device", 32, 4, 0x7FFFFFFF, 32, FAT_CORRUPT, "larger than the device" },
        { "no signature", 510, 2, 0, 16, FAT_CORRUPT, "signature" },
        { "no jump: not a boot sector, not an MBR", 0, 1, 0, 16, FAT_INVALID, "neither" },
    };
    for (unsigned i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        const struct bpb_patch *p = &patches[i];
        struct fixture f;
        load(&f, p->fat_bits == 32 ? base32 : base16);
        uint8_t *at = f.fx.disk.image + p->offset;
        if (p->size == 1)
            at[0] = (uint8_t)p->value;
        else if (p->size == 2)
            put16(at, (uint16_t)p->value);
        else
            put32(at, p->value);
        if (p->offset == 0)                 /* no jump, and no MBR partition either */
            memset(f.fx.disk.image + 446, 0, 64);
        int status = remount(&f, true);
        if (status != p->status)
            fprintf(stderr, "# %s: %s (%s)\n", p->what, fat_status_name(status), fat_mount_problem(&f.fx.vol));
        assert_int_equal(status, p->status);
        assert_problem(&f.fx.vol, p->problem);
        done(&f);
    }
}

static void test_fat12_is_refused(void **state)
{
    char image[300], out[1024];
    snprintf(image, sizeof image, "%s/fat12.img", work);
    assert_int_equal(run(out, sizeof out, "mkfs.fat -C -F 12 '%s' 1440", image), 0);
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 16, true), FAT_INVALID);
    assert_non_null(strstr(fat_mount_problem(&fx.vol), "FAT12"));
    fixture_crash(&fx);
}

/* ---- a directory entry pointing at itself ---- */

static void test_directory_entry_pointing_at_itself(void **state)
{
    for (int fat = 0; fat < 2; fat++) {
        struct fixture f;
        open_fixture(&f, fat ? base32 : base16);
        uint32_t dir = cluster_of(&f, "/dir");
        poke_entry_cluster(&f, entry_of(&f, "/dir/sub").offset, dir);   /* /dir/sub is /dir */
        assert_int_equal(remount(&f, false), FAT_OK);
        struct fat_stat st;
        assert_int_equal(fat_stat(&f.fx.vol, P("/dir/sub/c.txt"), &st), FAT_CORRUPT);
        assert_problem(&f.fx.vol, "its own directory");
        assert_int_equal(fat_stat(&f.fx.vol, P("/dir/sub/sub/sub/sub"), &st), FAT_CORRUPT);
        assert_int_equal(fat_rmdir(&f.fx.vol, P("/dir/sub")), FAT_CORRUPT);
        assert_int_equal(fat_rename(&f.fx.vol, P("/a.txt"), P("/dir/sub/a.txt")), FAT_CORRUPT);
        assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
        done(&f);
    }
    /* on FAT32, an entry naming the root cluster: a folder inside itself too */
    struct fixture f;
    open_fixture(&f, base32);
    poke_entry_cluster(&f, entry_of(&f, "/dir").offset, f.good.root_cluster);
    assert_int_equal(remount(&f, false), FAT_OK);
    struct fat_stat st;
    assert_int_equal(fat_stat(&f.fx.vol, P("/dir/dir/dir/a.txt"), &st), FAT_CORRUPT);
    assert_int_equal(check_volume(&f.fx.vol), FAT_CORRUPT);
    done(&f);
}

/* A ".." chain that loops: moving a folder must not walk it forever. */
static void test_dotdot_loop(void **state)
{
    struct fixture f;
    open_fixture(&f, base16);
    uint32_t dir = cluster_of(&f, "/dir"), sub = cluster_of(&f, "/dir/sub");
    /* /dir's ".." names /dir/sub: up from /dir/sub goes /dir, /dir/sub, /dir, ... */
    poke_entry_cluster(&f, cluster_offset(&f.good, dir) + DIRENT_SIZE, sub);
    assert_int_equal(remount(&f, false), FAT_OK);
    assert_int_equal(fat_mkdir(&f.fx.vol, P("/other")), FAT_OK);
    int status = fat_rename(&f.fx.vol, P("/other"), P("/dir/sub/other"));
    assert_int_equal(status, FAT_CORRUPT);
    done(&f);
}

/* ---- a failing device ---- */

static void test_device_failures_are_io_errors(void **state)
{
    struct fixture f;
    load(&f, base16);
    f.fx.disk.fail_from = 0;
    assert_int_equal(remount(&f, false), FAT_IO);
    f.fx.disk.fail_from = UINT64_MAX;
    assert_int_equal(remount(&f, false), FAT_OK);
    /* a read that fails part way */
    f.fx.disk.fail_from = f.fx.disk.requests + 2;
    assert_int_equal(open_read_all(&f.fx.vol, "/dir/sub/c.txt"), FAT_IO);
    /* a large read and a large write that fail part way: every request in flight is still waited for */
    f.fx.disk.fail_from = UINT64_MAX;
    static uint8_t big[1 << 20];
    assert_int_equal(write_whole(&f.fx.vol, "/big", big, sizeof big), FAT_OK);
    fat_handle_t h;
    size_t n;
    assert_int_equal(fat_open(&f.fx.vol, 1, P("/big"), FAT_O_READ | FAT_O_WRITE, &h), FAT_OK);
    f.fx.disk.fail_from = f.fx.disk.requests + 5;
    assert_int_equal(fat_read(&f.fx.vol, 1, h, 0, big, sizeof big, &n), FAT_IO);
    assert_int_equal(f.fx.disk.in_flight, 0);
    f.fx.disk.fail_from = f.fx.disk.requests + 5;
    assert_int_equal(fat_write(&f.fx.vol, 1, h, 0, big, sizeof big, &n), FAT_IO);
    assert_int_equal(f.fx.disk.in_flight, 0);
    f.fx.disk.fail_from = UINT64_MAX;
    assert_int_equal(fat_read(&f.fx.vol, 1, h, 0, big, sizeof big, &n), FAT_OK);
    assert_int_equal(n, sizeof big);
    assert_int_equal(fat_close(&f.fx.vol, 1, h), FAT_OK);
    /* a sync that fails keeps the data dirty; the next one writes it */
    f.fx.disk.fail_from = UINT64_MAX;
    assert_int_equal(write_whole(&f.fx.vol, "/new", "new data", 8), FAT_OK);
    f.fx.disk.fail_from = f.fx.disk.requests;
    assert_int_equal(fat_sync(&f.fx.vol), FAT_IO);
    f.fx.disk.fail_from = UINT64_MAX;
    assert_int_equal(fat_sync(&f.fx.vol), FAT_OK);
    assert_int_equal(fat_unmount(&f.fx.vol), FAT_OK);
    assert_int_equal(remount(&f, true), FAT_OK);
    size_t size;
    int status;
    uint8_t *got = read_whole(&f.fx.vol, "/new", &size, &status);
    assert_int_equal(status, FAT_OK);
    assert_memory_equal(got, "new data", 8);
    free(got);
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_fat_in_the_bpb),
        cmocka_unit_test(test_truncated_image),
        cmocka_unit_test(test_cross_linked_clusters),
        cmocka_unit_test(test_loop_in_a_file_chain),
        cmocka_unit_test(test_loop_in_a_directory_chain),
        cmocka_unit_test(test_cluster_past_the_volume),
        cmocka_unit_test(test_file_longer_than_its_chain),
        cmocka_unit_test(test_absurd_bpb),
        cmocka_unit_test(test_fat12_is_refused),
        cmocka_unit_test(test_directory_entry_pointing_at_itself),
        cmocka_unit_test(test_dotdot_loop),
        cmocka_unit_test(test_device_failures_are_io_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
