/*
 * Host tests of the FAT core writing: a scenario of creates, writes
 * (small, large, at offsets, appends, gaps), truncates, renames (in a
 * folder, across folders, folders themselves, case only), removes,
 * mkdir and rmdir runs through the core on fresh FAT16 and FAT32 images
 * while the same operations build the expected tree in a host folder.
 * Afterwards fsck.fat -n must report the volume clean, mcopy must read
 * back exactly the expected tree, and so must the core after a remount.
 *
 * Durability: after fat_sync the image file (what the disk flushed)
 * holds everything, across a power cut; without it, the test disk loses
 * the writes (so the test can tell).  Sync writes both FAT copies.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_util.h"

static char work[256];

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "write");
    return 0;
}

static int teardown(void **state)
{
    remove_tree(work);
    return 0;
}

/* ---- operations done to the volume and to the expected host tree alike ---- */

struct scene {
    struct fat_fixture fx;
    char host[512];                 /* the expected tree */
    uint32_t cluster;
};

static char *host_path(struct scene *s, const char *path)
{
    static char buf[2][1024];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s%s", s->host, path);
    return buf[which];
}

static void check(int status, const char *what, const char *path)
{
    if (status != FAT_OK)
        fprintf(stderr, "# %s %s: %s\n", what, path, fat_status_name(status));
    assert_int_equal(status, FAT_OK);
}

static void do_mkdir(struct scene *s, const char *path)
{
    check(fat_mkdir(&s->fx.vol, P(path)), "mkdir", path);
    assert_int_equal(mkdir(host_path(s, path), 0755), 0);
}

/* Writes size bytes of pattern seed at offset, in pieces of up to piece bytes (both sides). */
static void do_write(struct scene *s, const char *path, unsigned flags, uint64_t offset, uint64_t size, uint32_t seed,
                     size_t piece)
{
    fat_handle_t h;
    check(fat_open(&s->fx.vol, 3, P(path), FAT_O_WRITE | flags, &h), "open", path);
    int fd = open(host_path(s, path), O_WRONLY | O_CREAT | (flags & FAT_O_TRUNCATE ? O_TRUNC : 0) |
                                          (flags & FAT_O_APPEND ? O_APPEND : 0), 0644);
    assert_true(fd >= 0);
    uint8_t *buf = malloc(piece);
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < piece ? (size_t)(size - at) : piece;
        pattern_fill(buf, n, seed, at);
        size_t done;
        check(fat_write(&s->fx.vol, 3, h, offset + at, buf, n, &done), "write", path);
        assert_int_equal(done, n);
        ssize_t w = flags & FAT_O_APPEND ? write(fd, buf, n) : pwrite(fd, buf, n, (off_t)(offset + at));
        assert_int_equal(w, (ssize_t)n);
        at += n;
    }
    free(buf);
    close(fd);
    check(fat_close(&s->fx.vol, 3, h), "close", path);
}

static void do_create(struct scene *s, const char *path, uint64_t size, uint32_t seed)
{
    do_write(s, path, FAT_O_CREATE | FAT_O_TRUNCATE, 0, size, seed, 65536 + 4096 * 3 + 17);
}

static void do_truncate(struct scene *s, const char *path, uint64_t size)
{
    fat_handle_t h;
    check(fat_open(&s->fx.vol, 3, P(path), FAT_O_WRITE, &h), "open", path);
    check(fat_truncate(&s->fx.vol, 3, h, size), "truncate", path);
    struct fat_stat st;
    check(fat_fstat(&s->fx.vol, 3, h, &st), "fstat", path);
    assert_int_equal(st.size, size);
    check(fat_close(&s->fx.vol, 3, h), "close", path);
    assert_int_equal(truncate(host_path(s, path), (off_t)size), 0);
}

static void do_rename(struct scene *s, const char *from, const char *to)
{
    check(fat_rename(&s->fx.vol, P(from), P(to)), "rename", from);
    assert_int_equal(rename(host_path(s, from), host_path(s, to)), 0);
}

static void do_remove(struct scene *s, const char *path)
{
    check(fat_remove(&s->fx.vol, P(path)), "remove", path);
    assert_int_equal(unlink(host_path(s, path)), 0);
}

static void do_rmdir(struct scene *s, const char *path)
{
    check(fat_rmdir(&s->fx.vol, P(path)), "rmdir", path);
    assert_int_equal(rmdir(host_path(s, path)), 0);
}

/* ---- the scenario ---- */

static void scenario(struct scene *s)
{
    char path[1024], name[256];
    uint32_t c = s->cluster;
    /* sizes at the edges, and a large file written in odd pieces */
    static const uint64_t sizes[] = { 0, 1, 511, 512, 513, 4095, 4096, 4097, 100000 };
    do_mkdir(s, "/sizes");
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(path, sizeof path, "/sizes/size %llu", (unsigned long long)sizes[i]);
        do_create(s, path, sizes[i], i);
    }
    do_create(s, "/sizes/one cluster", c, 50);
    do_create(s, "/sizes/one cluster and one byte", c + 1, 51);
    do_create(s, "/big.bin", 5 * 1024 * 1024 + 333, 52);
    do_write(s, "/big in small pieces.bin", FAT_O_CREATE, 0, 300000, 53, 1000);

    /* names of every length, and Unicode ones */
    do_mkdir(s, "/names");
    for (unsigned len = 1; len <= 255; len++) {
        name_of_length(name, len);
        snprintf(path, sizeof path, "/names/%s", name);
        do_create(s, path, len, 100 + len);
    }
    static const char *const unicode[] = {
        "/names/héllo wörld.txt", "/names/名前のファイル.dat", "/names/Привет мир", "/names/Ελληνικά.txt",
        "/names/lower.txt", "/names/UPPER.TXT", "/names/MiXeD.TxT", "/names/.hidden", "/names/ÆØÅ",
        "/names/a+b,c;d=e[f]g h.tar.gz",
    };
    for (unsigned i = 0; i < sizeof unicode / sizeof unicode[0]; i++)
        do_create(s, unicode[i], 10 + i, 400 + i);
    /* many names with one 8.3 basis: tails ~1 to ~30 */
    do_mkdir(s, "/tails");
    for (unsigned i = 1; i <= 30; i++) {
        snprintf(path, sizeof path, "/tails/Long File Name %u.text", i);
        do_create(s, path, i, 500 + i);
    }

    /* deep folders */
    strcpy(path, "");
    for (unsigned i = 1; i <= 25; i++) {
        size_t n = strlen(path);
        snprintf(path + n, sizeof path - n, "/deep %u", i);
        do_mkdir(s, path);
    }
    strcat(path, "/leaf");
    do_create(s, path, 3000, 600);

    /* a folder over many clusters, half removed, then refilled into the holes */
    do_mkdir(s, "/many");
    for (unsigned i = 0; i < 200; i++) {
        snprintf(path, sizeof path, "/many/entry with a long name %u", i);
        do_create(s, path, i * 7, 700 + i);
    }
    for (unsigned i = 0; i < 200; i += 2) {
        snprintf(path, sizeof path, "/many/entry with a long name %u", i);
        do_remove(s, path);
    }
    for (unsigned i = 0; i < 60; i++) {
        snprintf(path, sizeof path, "/many/n%u", i);
        do_create(s, path, 1, 900 + i);
    }

    /* writes inside, past the end, appends */
    do_write(s, "/sizes/size 100000", 0, 5000, 20000, 1000, 3000);               /* overwrite the middle */
    do_write(s, "/sizes/size 4097", 0, 3 * c + 100, 50, 1001, 4096);             /* a gap of zeros */
    do_write(s, "/sizes/size 1", FAT_O_APPEND, 0, 2 * c + 5, 1002, 777);         /* appends */
    do_write(s, "/big.bin", 0, 1024 * 1024 + 1, 2 * 1024 * 1024, 1003, 1 << 20); /* large overwrite */

    /* truncates */
    do_truncate(s, "/big in small pieces.bin", 12345);
    do_truncate(s, "/sizes/size 513", 0);
    do_truncate(s, "/sizes/size 4096", 3 * c + 7);      /* extends with zeros */
    do_truncate(s, "/sizes/one cluster", c);            /* no change */

    /* renames */
    do_rename(s, "/sizes/size 511", "/sizes/renamed in place");
    do_rename(s, "/sizes/size 512", "/names/moved across");
    do_rename(s, "/names/lower.txt", "/names/LOWER.TXT");    /* only the case */
    do_rename(s, "/deep 1/deep 2/deep 3", "/deep three moved up");  /* a folder, to another parent */
    do_mkdir(s, "/to be renamed");
    do_create(s, "/to be renamed/inside", 10, 1100);
    do_rename(s, "/to be renamed", "/renamed folder");

    /* removes */
    do_remove(s, "/sizes/size 0");
    do_remove(s, "/sizes/size 4095");
    do_mkdir(s, "/gone");
    do_mkdir(s, "/gone/sub");
    do_create(s, "/gone/sub/file", 5000, 1200);
    do_remove(s, "/gone/sub/file");
    do_rmdir(s, "/gone/sub");
    do_rmdir(s, "/gone");
}

/* Runs the scenario on a fresh image, then checks it with fsck.fat, mcopy and a remount. */
static void write_and_check(const char *mkfs_args, const char *image_name, unsigned kib, uint32_t cluster)
{
    char image[512], out[4096], copy[512];
    struct scene *s = calloc(1, sizeof *s);
    snprintf(image, sizeof image, "%s/%s", work, image_name);
    snprintf(s->host, sizeof s->host, "%s/%s.expected", work, image_name);
    snprintf(copy, sizeof copy, "%s/%s.mcopy", work, image_name);
    if (run(out, sizeof out, "mkfs.fat -C %s '%s' %u && mkdir '%s' '%s'", mkfs_args, image, kib, s->host, copy))
        fprintf(stderr, "# %s", out);
    s->cluster = cluster;
    assert_int_equal(fixture_mount(&s->fx, image, 64, false), FAT_OK);
    struct fat_info info;
    fat_info(&s->fx.vol, &info);
    assert_int_equal(info.cluster_bytes, cluster);
    scenario(s);
    fixture_unmount(&s->fx);

    assert_fsck_clean(image);
    int status = run(out, sizeof out, "mcopy -s -n -i '%s' '::*' '%s/' && diff -r '%s' '%s'", image, copy, s->host,
                     copy);
    if (status != 0)
        fprintf(stderr, "# mcopy and diff:\n%s", out);
    assert_int_equal(status, 0);

    unsigned files = 0, dirs = 0;
    assert_int_equal(fixture_mount(&s->fx, image, 64, true), FAT_OK);
    compare_tree(&s->fx.vol, s->host, "/", &files, &dirs);
    fprintf(stderr, "# %u files and %u folders read back\n", files, dirs);
    assert_true(files > 450 && dirs > 25);
    uint8_t bitmap[(1 << 20) / 8];
    assert_int_equal(fat_check(&s->fx.vol, bitmap, sizeof bitmap), FAT_OK);
    fixture_unmount(&s->fx);
    free(s);
}

static void test_fat16_writes_check_clean(void **state) { write_and_check("-F 16 -s 4", "w16.img", 32768, 2048); }
static void test_fat32_writes_check_clean(void **state) { write_and_check("-F 32 -s 1", "w32.img", 65536, 512); }

/* ---- durability ---- */

/* A fresh image; FAT32 ones are 40 MiB, so that 512-byte clusters give the 65525 clusters FAT32 needs. */
static void make_image(char *image, size_t size, const char *name, const char *args)
{
    char out[4096];
    snprintf(image, size, "%s/%s", work, name);
    if (run(out, sizeof out, "rm -f '%s' && mkfs.fat -C %s '%s' %u", image, args, image,
            strstr(args, "-F 32") ? 40960 : 16384))
        fprintf(stderr, "# %s", out);
}

static void test_sync_makes_writes_durable(void **state)
{
    char image[512];
    make_image(image, sizeof image, "durable.img", "-F 32 -s 1");
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 32, false), FAT_OK);
    static uint8_t data[300000];
    pattern_fill(data, sizeof data, 77, 0);
    assert_int_equal(fat_mkdir(&fx.vol, P("/kept")), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/kept/data.bin", data, sizeof data), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/kept/small", "hello", 5), FAT_OK);
    uint64_t flushes = fx.disk.flushes;
    assert_int_equal(fat_sync(&fx.vol), FAT_OK);
    assert_true(fx.disk.flushes > flushes);
    assert_int_equal(fat_disk_unflushed(&fx.disk), 0);
    /* written after the sync: lost in the power cut */
    assert_int_equal(write_whole(&fx.vol, "/lost", "gone", 4), FAT_OK);
    fixture_crash(&fx);

    assert_fsck_clean(image);
    assert_int_equal(fixture_mount(&fx, image, 32, true), FAT_OK);
    size_t size;
    int status;
    uint8_t *got = read_whole(&fx.vol, "/kept/data.bin", &size, &status);
    assert_int_equal(status, FAT_OK);
    assert_int_equal(size, sizeof data);
    assert_memory_equal(got, data, sizeof data);
    free(got);
    got = read_whole(&fx.vol, "/kept/small", &size, &status);
    assert_int_equal(status, FAT_OK);
    assert_memory_equal(got, "hello", 5);
    free(got);
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/lost"), &st), FAT_NOT_FOUND);
    fixture_unmount(&fx);
}

/* Without a sync nothing is promised: the test disk really drops unflushed writes. */
static void test_without_sync_a_power_cut_loses_writes(void **state)
{
    char image[512];
    make_image(image, sizeof image, "lossy.img", "-F 16");
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 32, false), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/file", "data", 4), FAT_OK);
    fixture_crash(&fx);
    assert_int_equal(fixture_mount(&fx, image, 32, true), FAT_OK);
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/file"), &st), FAT_NOT_FOUND);
    fixture_unmount(&fx);
    assert_fsck_clean(image);
}

/* Sync writes every FAT copy: the two copies in the image file are the same bytes. */
static void test_sync_writes_both_fat_copies(void **state)
{
    char image[512];
    make_image(image, sizeof image, "copies.img", "-F 16 -s 1");
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 16, false), FAT_OK);
    static uint8_t data[200000];
    pattern_fill(data, sizeof data, 5, 0);
    for (unsigned i = 0; i < 20; i++) {
        char path[64];
        snprintf(path, sizeof path, "/file %u", i);
        assert_int_equal(write_whole(&fx.vol, path, data, 1000 + i * 9000), FAT_OK);
    }
    uint64_t fat_offset = fx.vol.fat_offset, fat_bytes = fx.vol.fat_bytes;
    assert_int_equal(fat_sync(&fx.vol), FAT_OK);
    fixture_crash(&fx);
    int fd = open(image, O_RDONLY);
    uint8_t *a = malloc(fat_bytes), *b = malloc(fat_bytes);
    assert_int_equal(pread(fd, a, fat_bytes, (off_t)fat_offset), (ssize_t)fat_bytes);
    assert_int_equal(pread(fd, b, fat_bytes, (off_t)(fat_offset + fat_bytes)), (ssize_t)fat_bytes);
    close(fd);
    assert_memory_equal(a, b, fat_bytes);
    assert_true(a[4 + 2 * 20] != 0);        /* the files' clusters are there, not an empty FAT */
    free(a);
    free(b);
    assert_fsck_clean(image);
}

/* One large write keeps at least 8 requests in flight. */
static void test_large_write_keeps_requests_in_flight(void **state)
{
    char image[512];
    make_image(image, sizeof image, "inflight.img", "-F 16 -s 8");
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 32, false), FAT_OK);
    size_t size = 6 * 1024 * 1024;
    uint8_t *data = malloc(size);
    pattern_fill(data, size, 9, 0);
    fx.disk.max_in_flight = 0;
    assert_int_equal(write_whole(&fx.vol, "/large", data, size), FAT_OK);
    fprintf(stderr, "# 6 MiB write: %u requests in flight at most\n", fx.disk.max_in_flight);
    assert_true(fx.disk.max_in_flight >= 8);
    fixture_unmount(&fx);
    assert_int_equal(fixture_mount(&fx, image, 32, true), FAT_OK);
    size_t got_size;
    int status;
    uint8_t *got = read_whole(&fx.vol, "/large", &got_size, &status);
    assert_int_equal(status, FAT_OK);
    assert_int_equal(got_size, size);
    assert_memory_equal(got, data, size);
    free(got);
    free(data);
    fixture_unmount(&fx);
    assert_fsck_clean(image);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat16_writes_check_clean),
        cmocka_unit_test(test_fat32_writes_check_clean),
        cmocka_unit_test(test_sync_makes_writes_durable),
        cmocka_unit_test(test_without_sync_a_power_cut_loses_writes),
        cmocka_unit_test(test_sync_writes_both_fat_copies),
        cmocka_unit_test(test_large_write_keeps_requests_in_flight),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
