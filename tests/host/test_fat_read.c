/*
 * Host tests of the FAT core (components/fs/fat) reading what mtools
 * wrote: a folder tree made on the host (names of every length from 1 to
 * 255, Unicode names, deep folders, empty files, files of exactly one
 * cluster (of each image: 2048, 1024, 4096), a file over 4 MiB, a folder
 * of many entries) is copied with
 * mcopy into FAT16, FAT32 and MBR-partitioned images made by mkfs.fat,
 * and must read back through the core byte for byte, with the same names.
 * Also: large reads keep at least 8 block requests in flight, sequential
 * small reads get read-ahead, names match without case.
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

#define BIG_SIZE (5 * 1024 * 1024 + 1234)

static char work[256], tree[300], fat16[300], fat32[300], mbr[300];

static void host_mkdir(const char *fmt, ...)
{
    char *path;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&path, fmt, ap) > 0);
    va_end(ap);
    assert_int_equal(mkdir(path, 0755), 0);
    free(path);
}

static void host_file(uint64_t size, uint32_t seed, const char *fmt, ...)
{
    char *path;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&path, fmt, ap) > 0);
    va_end(ap);
    write_host_file(path, size, seed);
    free(path);
}

/*
 * The tree every image gets.  (FAT32 with 512-byte clusters is left to the
 * write tests: mcopy cannot put a name of over 195 characters, 16 entries
 * or more, into a directory of 16-entry clusters.)
 */
static void make_tree(void)
{
    snprintf(tree, sizeof tree, "%s/tree", work);
    host_mkdir("%s", tree);
    host_mkdir("%s/names", tree);
    char name[256];
    for (unsigned len = 1; len <= 255; len++) {
        name_of_length(name, len);
        host_file(len % 5 == 0 ? 0 : len * 3, len, "%s/names/%s", tree, name);
    }
    host_mkdir("%s/unicode", tree);
    static const char *const unicode[] = {
        "héllo wörld.txt", "名前のファイル.dat", "Привет мир", "Ελληνικά αρχεία.txt", "ÆØÅ æøå ß.md",
        "a+b,c;d=e[f]g h.tar.gz", ".hidden", "lower.txt", "UPPER.TXT", "MiXeD.TxT", "x", "README",
        "€uro sign €", "ﬁ ligature", "日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語",
    };
    for (unsigned i = 0; i < sizeof unicode / sizeof unicode[0]; i++)
        host_file(i * 100, 1000 + i, "%s/unicode/%s", tree, unicode[i]);
    /* a BMP name of the longest UTF-8 a host name can be: 85 three-byte characters */
    char longest[256] = "";
    for (unsigned i = 0; i < 85; i++)
        strcat(longest, i % 2 ? "語" : "€");
    host_file(77, 77, "%s/unicode/%s", tree, longest);
    /* deep folders */
    char deep[1024];
    snprintf(deep, sizeof deep, "%s/deep", tree);
    host_mkdir("%s", deep);
    for (unsigned i = 1; i <= 30; i++) {
        size_t n = strlen(deep);
        snprintf(deep + n, sizeof deep - n, "/level %02u", i);
        host_mkdir("%s", deep);
    }
    host_file(5000, 5, "%s/leaf.bin", deep);
    /* sizes at the edges */
    host_file(0, 0, "%s/empty", tree);
    host_file(2048, 11, "%s/one cluster of 2048", tree);
    host_file(512, 12, "%s/one cluster of 512", tree);
    host_file(1024, 16, "%s/one cluster of 1024", tree);
    host_file(2049, 13, "%s/one cluster plus one", tree);
    host_file(4096, 14, "%s/one block.bin", tree);
    host_file(BIG_SIZE, 15, "%s/big.bin", tree);
    /* a folder of many entries, over several clusters */
    host_mkdir("%s/many", tree);
    for (unsigned i = 0; i < 300; i++)
        host_file(i, 2000 + i, "%s/many/file number %u.txt", tree, i);
    host_mkdir("%s/empty folder", tree);
}

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "read");
    make_tree();
    snprintf(fat16, sizeof fat16, "%s/fat16.img", work);
    snprintf(fat32, sizeof fat32, "%s/fat32.img", work);
    snprintf(mbr, sizeof mbr, "%s/mbr.img", work);
    char out[4096];
    if (run(out, sizeof out, "mkfs.fat -C -F 16 -s 4 '%s' 32768 && mcopy -s -i '%s' '%s' ::/", fat16, fat16, tree) ||
        run(out, sizeof out, "mkfs.fat -C -F 32 -s 2 '%s' 81920 && mcopy -s -i '%s' '%s' ::/", fat32, fat32, tree)) {
        fprintf(stderr, "# making the images failed:\n%s", out);
        return -1;
    }
    /* FAT16 in the first partition of an MBR, starting at 1 MiB */
    if (run(out, sizeof out, "truncate -s 49M '%s' && mkfs.fat -F 16 -s 8 --offset 2048 '%s' 49152 && "
                             "mcopy -s -i '%s@@1M' '%s' ::/", mbr, mbr, mbr, tree)) {
        fprintf(stderr, "# making the MBR image failed:\n%s", out);
        return -1;
    }
    uint8_t table[66] = { 0 };
    uint8_t *p = table;                 /* entry 0 at 446: type 0x06 (FAT16), start 2048, 49152*2 sectors */
    p[4] = 0x06;
    uint32_t start = 2048, length = 49152 * 2;
    memcpy(p + 8, &start, 4);
    memcpy(p + 12, &length, 4);
    table[64] = 0x55;
    table[65] = 0xAA;
    int fd = open(mbr, O_WRONLY);
    if (fd < 0 || pwrite(fd, table, sizeof table, 446) != sizeof table)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    remove_tree(work);
    return 0;
}

static void read_tree(const char *image, unsigned fat_bits, uint32_t cluster_bytes)
{
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 256, true), FAT_OK);
    struct fat_info info;
    fat_info(&fx.vol, &info);
    assert_int_equal(info.fat_bits, fat_bits);
    assert_int_equal(info.cluster_bytes, cluster_bytes);
    unsigned files = 0, dirs = 0;
    compare_tree(&fx.vol, tree, "/tree", &files, &dirs);
    assert_int_equal(files, 255 + 16 + 1 + 7 + 300);
    assert_int_equal(dirs, 1 + 1 + 1 + 1 + 30 + 1 + 1);
    /* mounted read-only: nothing may have been written */
    assert_int_equal(fx.disk.sectors_written, 0);
    fixture_unmount(&fx);
}

static void test_fat16_tree_reads_back(void **state) { read_tree(fat16, 16, 2048); }
static void test_fat32_tree_reads_back(void **state) { read_tree(fat32, 32, 1024); }
static void test_mbr_partition_reads_back(void **state) { read_tree(mbr, 16, 4096); }

/* One large read keeps at least 8 requests in flight, and the bytes are right. */
static void test_large_read_keeps_requests_in_flight(void **state)
{
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, fat32, 64, true), FAT_OK);
    fat_handle_t h;
    assert_int_equal(fat_open(&fx.vol, 1, P("/tree/big.bin"), FAT_O_READ, &h), FAT_OK);
    uint8_t *buf = malloc(BIG_SIZE), *want = malloc(BIG_SIZE);
    pattern_fill(want, BIG_SIZE, 15, 0);
    size_t done;
    fx.disk.max_in_flight = 0;
    uint64_t requests = fx.disk.requests;
    assert_int_equal(fat_read(&fx.vol, 1, h, 0, buf, BIG_SIZE, &done), FAT_OK);
    assert_int_equal(done, BIG_SIZE);
    assert_memory_equal(buf, want, BIG_SIZE);
    fprintf(stderr, "# 5 MiB read: %u requests in flight at most, %llu requests\n", fx.disk.max_in_flight,
            (unsigned long long)(fx.disk.requests - requests));
    assert_true(fx.disk.max_in_flight >= 8);
    struct fat_info info;
    fat_info(&fx.vol, &info);
    assert_true(info.max_in_flight >= 8 && info.max_in_flight <= FAT_MAX_IN_FLIGHT);
    assert_int_equal(fat_close(&fx.vol, 1, h), FAT_OK);
    fixture_unmount(&fx);

    /* a device that takes 4 KiB at most: more, smaller requests, still 8 or more in flight */
    assert_true(fat_disk_open(&fx.disk, fat32));
    fx.disk.dev.max_request_sectors = 12;
    fx.cache = malloc(FAT_CACHE_BYTES(64));
    struct fat_mount_config config = { .device = &fx.disk.dev, .cache = fx.cache, .cache_bytes = FAT_CACHE_BYTES(64) };
    assert_int_equal(fat_mount(&fx.vol, &config), FAT_OK);
    assert_int_equal(fat_open(&fx.vol, 1, P("/tree/big.bin"), FAT_O_READ, &h), FAT_OK);
    memset(buf, 0, BIG_SIZE);
    uint64_t before = fx.disk.requests;
    assert_int_equal(fat_read(&fx.vol, 1, h, 0, buf, BIG_SIZE, &done), FAT_OK);
    assert_memory_equal(buf, want, BIG_SIZE);
    assert_true(fx.disk.requests - before >= BIG_SIZE / 4096);
    assert_true(fx.disk.max_in_flight >= 8);
    for (unsigned i = 0; i < FAT_DISK_SLOTS; i++)
        assert_true(!fx.disk.req[i].busy);
    assert_int_equal(fat_close(&fx.vol, 1, h), FAT_OK);
    fixture_unmount(&fx);
    /* one that takes less than a cache block cannot serve the core */
    assert_true(fat_disk_open(&fx.disk, fat32));
    fx.disk.dev.max_request_sectors = 4;
    fx.cache = malloc(FAT_CACHE_BYTES(64));
    config.device = &fx.disk.dev;
    config.cache = fx.cache;
    assert_int_equal(fat_mount(&fx.vol, &config), FAT_INVALID);
    fixture_crash(&fx);
    free(buf);
    free(want);
}

/* Sequential 4 KiB reads go through the cache; read-ahead keeps requests in flight for them too. */
static void test_sequential_small_reads_read_ahead(void **state)
{
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, fat16, 128, true), FAT_OK);
    fat_handle_t h;
    assert_int_equal(fat_open(&fx.vol, 1, P("/tree/big.bin"), FAT_O_READ, &h), FAT_OK);
    uint8_t buf[4096], want[4096];
    fx.disk.max_in_flight = 0;
    for (uint64_t at = 0; at < BIG_SIZE; at += sizeof buf) {
        size_t done;
        assert_int_equal(fat_read(&fx.vol, 1, h, at, buf, sizeof buf, &done), FAT_OK);
        size_t expect = BIG_SIZE - at < sizeof buf ? BIG_SIZE - at : sizeof buf;
        assert_int_equal(done, expect);
        pattern_fill(want, done, 15, at);
        assert_memory_equal(buf, want, done);
    }
    fprintf(stderr, "# 4 KiB sequential reads: %u requests in flight at most\n", fx.disk.max_in_flight);
    assert_true(fx.disk.max_in_flight >= 8);
    assert_int_equal(fat_close(&fx.vol, 1, h), FAT_OK);
    fixture_unmount(&fx);
}

/* Long names match in any case, 8.3 ones too, and so does a long name's 8.3 alias. */
static void test_names_match_without_case(void **state)
{
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, fat16, 64, true), FAT_OK);
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/TREE/UNICODE/mixed.txt"), &st), FAT_OK);
    assert_int_equal(st.size, 900);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/unicode/HÉLLO WÖRLD.TXT"), &st), FAT_OK);
    assert_int_equal(st.size, 0);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/unicode/ПРИВЕТ МИР"), &st), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/unicode/ελληνικά ΑΡΧΕΊΑ.txt"), &st), FAT_NOT_FOUND); /* accent differs */
    assert_int_equal(fat_stat(&fx.vol, P("/tree/unicode/ελληνικά αρχεία.TXT"), &st), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/many/FILENU~1.TXT"), &st), FAT_OK);   /* mtools' alias */
    assert_int_equal(fat_stat(&fx.vol, P("//tree///names/"), &st), FAT_OK);
    assert_true(st.is_dir);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/empty/x"), &st), FAT_NOT_DIR);
    assert_int_equal(fat_stat(&fx.vol, P("/tree/nothing/x"), &st), FAT_NOT_FOUND);
    fixture_unmount(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat16_tree_reads_back),
        cmocka_unit_test(test_fat32_tree_reads_back),
        cmocka_unit_test(test_mbr_partition_reads_back),
        cmocka_unit_test(test_large_read_keeps_requests_in_flight),
        cmocka_unit_test(test_sequential_small_reads_read_ahead),
        cmocka_unit_test(test_names_match_without_case),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
