/*
 * Host tests of the FAT core's interface: every status code from the
 * operation that gives it, handles kept apart by client and generation,
 * several handles on one file, a removed file open until its last close,
 * read-only mounts and read-only files, a full volume and a full FAT16
 * root, 8.3 aliases with ~N tails, names outside the BMP.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_util.h"

static char work[256], image16[300], small[300], tiny_root[300];

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "api");
    snprintf(image16, sizeof image16, "%s/api16.img", work);
    snprintf(small, sizeof small, "%s/small.img", work);
    snprintf(tiny_root, sizeof tiny_root, "%s/tinyroot.img", work);
    char out[2048];
    if (run(out, sizeof out, "mkfs.fat -C -F 16 -s 1 '%s' 16384 && mkfs.fat -C -F 16 -s 1 '%s' 3072 && "
                             "mkfs.fat -C -F 16 -s 1 -r 16 '%s' 3072 && "
                             "echo ro > '%s/ro' && mcopy -i '%s' '%s/ro' ::/ro && mattrib -i '%s' +r ::/ro",
            image16, small, tiny_root, work, image16, work, image16)) {
        fprintf(stderr, "# %s", out);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    remove_tree(work);
    return 0;
}

/* Mounts an image in memory only (nothing goes back to the file). */
static void mount_fresh(struct fat_fixture *fx, const char *image, bool read_only)
{
    assert_int_equal(fixture_mount(fx, image, 32, read_only), FAT_OK);
    fx->disk.path[0] = 0;
}

static void test_status_of_each_operation(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, image16, false);
    struct fat_volume *v = &fx.vol;
    fat_handle_t h, d;
    size_t done;
    uint8_t buf[16];
    assert_int_equal(fat_open(v, 1, P("/missing"), FAT_O_READ, &h), FAT_NOT_FOUND);
    assert_int_equal(h, 0);
    assert_int_equal(fat_open(v, 1, P("/f"), 0, &h), FAT_INVALID);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_READ | 0x100, &h), FAT_INVALID);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_READ | FAT_O_TRUNCATE, &h), FAT_INVALID);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_WRITE | FAT_O_EXCLUSIVE, &h), FAT_INVALID);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_WRITE | FAT_O_CREATE | FAT_O_EXCLUSIVE, &h), FAT_OK);
    assert_int_equal(fat_write(v, 1, h, 0, "12345", 5, &done), FAT_OK);
    assert_int_equal(fat_read(v, 1, h, 0, buf, 5, &done), FAT_BAD_HANDLE);   /* opened write-only */
    assert_int_equal(fat_write(v, 1, h, 0xFFFFFFFFull, "x", 1, &done), FAT_INVALID);   /* past 4 GiB */
    assert_int_equal(fat_truncate(v, 1, h, 1ull << 32), FAT_INVALID);
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_WRITE | FAT_O_CREATE | FAT_O_EXCLUSIVE, &h), FAT_EXISTS);
    assert_int_equal(fat_open(v, 1, P("/f"), FAT_O_READ, &h), FAT_OK);
    assert_int_equal(fat_write(v, 1, h, 0, "x", 1, &done), FAT_BAD_HANDLE);  /* opened read-only */
    assert_int_equal(fat_readdir(v, 1, h, &(uint32_t){ 0 }, &(struct fat_dirent){ 0 }), FAT_NOT_DIR);
    assert_int_equal(fat_read(v, 1, h, 3, buf, 16, &done), FAT_OK);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, "45", 2);
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    assert_int_equal(fat_open(v, 1, P("/f/x"), FAT_O_READ, &h), FAT_NOT_DIR);
    assert_int_equal(fat_open(v, 1, P("/nodir/x"), FAT_O_WRITE | FAT_O_CREATE, &h), FAT_NOT_FOUND);
    /* directories */
    assert_int_equal(fat_open(v, 1, P("/"), FAT_O_WRITE, &h), FAT_IS_DIR);
    assert_int_equal(fat_mkdir(v, P("/d")), FAT_OK);
    assert_int_equal(fat_mkdir(v, P("/d")), FAT_EXISTS);
    assert_int_equal(fat_mkdir(v, P("/D")), FAT_EXISTS);
    assert_int_equal(fat_mkdir(v, P("/")), FAT_EXISTS);
    assert_int_equal(fat_mkdir(v, P("/d/e")), FAT_OK);
    assert_int_equal(fat_open(v, 1, P("/d"), FAT_O_WRITE, &h), FAT_IS_DIR);
    assert_int_equal(fat_open(v, 1, P("/d"), FAT_O_READ, &d), FAT_OK);
    assert_int_equal(fat_read(v, 1, d, 0, buf, 1, &done), FAT_IS_DIR);
    assert_int_equal(fat_close(v, 1, d), FAT_OK);
    assert_int_equal(fat_remove(v, P("/d")), FAT_IS_DIR);
    assert_int_equal(fat_remove(v, P("/")), FAT_IS_DIR);
    assert_int_equal(fat_remove(v, P("/nothing")), FAT_NOT_FOUND);
    assert_int_equal(fat_rmdir(v, P("/f")), FAT_NOT_DIR);
    assert_int_equal(fat_rmdir(v, P("/d")), FAT_NOT_EMPTY);
    assert_int_equal(fat_rmdir(v, P("/")), FAT_INVALID);
    assert_int_equal(fat_rmdir(v, P("/nothing")), FAT_NOT_FOUND);
    /* renames */
    assert_int_equal(fat_rename(v, P("/f"), P("/d")), FAT_EXISTS);
    assert_int_equal(fat_rename(v, P("/nothing"), P("/x")), FAT_NOT_FOUND);
    assert_int_equal(fat_rename(v, P("/d"), P("/d/e/inside")), FAT_INVALID);
    assert_int_equal(fat_rename(v, P("/d"), P("/d/inside")), FAT_INVALID);
    assert_int_equal(fat_rename(v, P("/"), P("/x")), FAT_INVALID);
    assert_int_equal(fat_rename(v, P("/f"), P("/")), FAT_EXISTS);
    assert_int_equal(fat_rename(v, P("/f"), P("/F")), FAT_OK);     /* a case change is no clash */
    struct fat_stat st;
    assert_int_equal(fat_stat(v, P("/f"), &st), FAT_OK);
    assert_int_equal(st.size, 5);
    /* names */
    char name[300];
    memset(name, 'n', sizeof name);
    name[0] = '/';
    name[257] = 0;
    assert_int_equal(fat_mkdir(v, name, 256), FAT_OK);                       /* 255 characters */
    assert_int_equal(fat_mkdir(v, name, 257), FAT_NAME_TOO_LONG);
    static char path[FAT_PATH_MAX + 2];
    memset(path, '/', sizeof path);
    assert_int_equal(fat_stat(v, path, sizeof path, &st), FAT_NAME_TOO_LONG);
    static const char *const bad[] = { "/a:b", "/a*b", "/a?b", "/a\\b", "/a|b", "/a<b", "/a\"b", "/bad\x01",
                                       "/trailing.", "/trailing ", "/.", "/..", "/d/../f", "/\xC3\x28", "/\xC0\xAF",
                                       "/\xED\xA0\x80", "/\xF4\x90\x80\x80", "/\xFF" };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = fat_mkdir(v, P(bad[i]));
        if (status != FAT_INVALID)
            fprintf(stderr, "# name %u: %s\n", i, fat_status_name(status));
        assert_int_equal(status, FAT_INVALID);
    }
    assert_int_equal(fat_stat(v, NULL, 3, &st), FAT_INVALID);
    assert_string_equal(fat_status_name(FAT_NOT_EMPTY), "not empty");
    assert_string_equal(fat_status_name(99), "unknown status");
    fixture_unmount(&fx);
}

static void test_handles_belong_to_clients(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, image16, false);
    struct fat_volume *v = &fx.vol;
    fat_handle_t h, other;
    size_t done;
    uint8_t buf[8];
    struct fat_stat st;
    assert_int_equal(fat_open(v, 1, P("/mine"), FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE, &h), FAT_OK);
    assert_int_equal(fat_write(v, 1, h, 0, "secret", 6, &done), FAT_OK);
    /* client 2 holds the same number: nothing works for it */
    assert_int_equal(fat_read(v, 2, h, 0, buf, 6, &done), FAT_BAD_HANDLE);
    assert_int_equal(done, 0);
    assert_int_equal(fat_write(v, 2, h, 0, "x", 1, &done), FAT_BAD_HANDLE);
    assert_int_equal(fat_fstat(v, 2, h, &st), FAT_BAD_HANDLE);
    assert_int_equal(fat_truncate(v, 2, h, 0), FAT_BAD_HANDLE);
    assert_int_equal(fat_readdir(v, 2, h, &(uint32_t){ 0 }, &(struct fat_dirent){ 0 }), FAT_BAD_HANDLE);
    assert_int_equal(fat_close(v, 2, h), FAT_BAD_HANDLE);
    fat_close_client(v, 2);
    assert_int_equal(fat_read(v, 1, h, 0, buf, 6, &done), FAT_OK);     /* still the owner's */
    assert_memory_equal(buf, "secret", 6);
    /* forged handles */
    static const fat_handle_t forged[] = { 0, 0xFFFFFFFF, 0x10000, 0x10041, 0xFFFF0001 };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++)
        assert_int_equal(fat_fstat(v, 1, forged[i], &st), FAT_BAD_HANDLE);
    assert_int_equal(fat_fstat(v, 1, h ^ 0x10000, &st), FAT_BAD_HANDLE);   /* another generation */
    /* a closed handle stays dead, even once its slot is reused */
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    assert_int_equal(fat_close(v, 1, h), FAT_BAD_HANDLE);
    assert_int_equal(fat_open(v, 1, P("/mine"), FAT_O_READ, &other), FAT_OK);
    assert_int_equal(other & 0xFFFF, h & 0xFFFF);
    assert_true(other != h);
    assert_int_equal(fat_read(v, 1, h, 0, buf, 6, &done), FAT_BAD_HANDLE);
    /* a client that goes away loses its handles, others keep theirs */
    fat_handle_t theirs;
    assert_int_equal(fat_open(v, 3, P("/mine"), FAT_O_READ, &theirs), FAT_OK);
    fat_close_client(v, 1);
    assert_int_equal(fat_fstat(v, 1, other, &st), FAT_BAD_HANDLE);
    assert_int_equal(fat_fstat(v, 3, theirs, &st), FAT_OK);
    assert_int_equal(st.size, 6);
    /* every slot in use */
    fat_handle_t all[FAT_MAX_HANDLES];
    unsigned n = 0;
    while (n < FAT_MAX_HANDLES && fat_open(v, 4, P("/mine"), FAT_O_READ, &all[n]) == FAT_OK)
        n++;
    assert_int_equal(n, FAT_MAX_HANDLES - 1);
    assert_int_equal(fat_open(v, 4, P("/mine"), FAT_O_READ, &all[0]), FAT_TOO_MANY_OPEN);
    fat_close_client(v, 4);
    fat_close_client(v, 3);
    fixture_unmount(&fx);
}

static void test_handles_share_a_file(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, image16, false);
    struct fat_volume *v = &fx.vol;
    fat_handle_t a, b;
    size_t done;
    static uint8_t data[20000], got[20000];
    pattern_fill(data, sizeof data, 4, 0);
    assert_int_equal(fat_open(v, 1, P("/shared"), FAT_O_WRITE | FAT_O_CREATE, &a), FAT_OK);
    assert_int_equal(fat_open(v, 2, P("/SHARED"), FAT_O_READ, &b), FAT_OK);
    assert_int_equal(fat_write(v, 1, a, 0, data, sizeof data, &done), FAT_OK);
    assert_int_equal(fat_read(v, 2, b, 0, got, sizeof got, &done), FAT_OK);
    assert_int_equal(done, sizeof data);
    assert_memory_equal(got, data, sizeof data);
    /* removed while open: still readable, its clusters come back at the last close */
    struct fat_info before, during, after;
    static uint8_t bitmap[8192];
    assert_int_equal(fat_check(v, bitmap, sizeof bitmap), FAT_OK);     /* FAT16 has no FSInfo: count the free */
    fat_info(v, &before);
    assert_int_equal(fat_remove(v, P("/shared")), FAT_OK);
    struct fat_stat st;
    assert_int_equal(fat_stat(v, P("/shared"), &st), FAT_NOT_FOUND);
    assert_int_equal(fat_read(v, 2, b, 100, got, 100, &done), FAT_OK);
    assert_memory_equal(got, data + 100, 100);
    assert_int_equal(fat_close(v, 1, a), FAT_OK);
    fat_info(v, &during);
    assert_int_equal(during.free_clusters, before.free_clusters);
    assert_int_equal(fat_close(v, 2, b), FAT_OK);
    fat_info(v, &after);
    assert_int_equal(after.free_clusters, before.free_clusters + (sizeof data + 511) / 512);
    /* appends go to the end, whatever the offset */
    assert_int_equal(fat_open(v, 1, P("/log"), FAT_O_WRITE | FAT_O_CREATE | FAT_O_APPEND, &a), FAT_OK);
    assert_int_equal(fat_write(v, 1, a, 0, "one ", 4, &done), FAT_OK);
    assert_int_equal(fat_write(v, 1, a, 0, "two", 3, &done), FAT_OK);
    assert_int_equal(fat_close(v, 1, a), FAT_OK);
    size_t size;
    int status;
    uint8_t *log = read_whole(v, "/log", &size, &status);
    assert_int_equal(size, 7);
    assert_memory_equal(log, "one two", 7);
    free(log);
    /* truncate on open */
    assert_int_equal(fat_open(v, 1, P("/log"), FAT_O_WRITE | FAT_O_TRUNCATE, &a), FAT_OK);
    assert_int_equal(fat_fstat(v, 1, a, &st), FAT_OK);
    assert_int_equal(st.size, 0);
    assert_int_equal(fat_close(v, 1, a), FAT_OK);
    fixture_unmount(&fx);
}

static void test_read_only(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, image16, true);
    struct fat_volume *v = &fx.vol;
    fat_handle_t h;
    assert_int_equal(fat_open(v, 1, P("/new"), FAT_O_WRITE | FAT_O_CREATE, &h), FAT_READ_ONLY);
    assert_int_equal(fat_open(v, 1, P("/ro"), FAT_O_WRITE, &h), FAT_READ_ONLY);
    assert_int_equal(fat_mkdir(v, P("/new")), FAT_READ_ONLY);
    assert_int_equal(fat_remove(v, P("/ro")), FAT_READ_ONLY);
    assert_int_equal(fat_rename(v, P("/ro"), P("/x")), FAT_READ_ONLY);
    assert_int_equal(fat_sync(v), FAT_OK);
    assert_int_equal(fat_open(v, 1, P("/ro"), FAT_O_READ, &h), FAT_OK);
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    fixture_unmount(&fx);
    assert_int_equal(fx.disk.sectors_written, 0);
    /* a read-only file on a writable volume */
    mount_fresh(&fx, image16, false);
    assert_int_equal(fat_open(&fx.vol, 1, P("/ro"), FAT_O_WRITE, &h), FAT_READ_ONLY);
    assert_int_equal(fat_remove(&fx.vol, P("/ro")), FAT_READ_ONLY);
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/ro"), &st), FAT_OK);
    assert_true(st.attributes & FAT_ATTR_READ_ONLY);
    fixture_unmount(&fx);
}

static void test_no_space(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, small, false);
    struct fat_volume *v = &fx.vol;
    static uint8_t chunk[100000];
    pattern_fill(chunk, sizeof chunk, 8, 0);
    fat_handle_t h;
    size_t done;
    assert_int_equal(fat_open(v, 1, P("/fill"), FAT_O_WRITE | FAT_O_CREATE, &h), FAT_OK);
    uint64_t at = 0;
    int status;
    while ((status = fat_write(v, 1, h, at, chunk, sizeof chunk, &done)) == FAT_OK)
        at += done;
    assert_int_equal(status, FAT_NO_SPACE);
    assert_int_equal(done, 0);
    struct fat_stat st;
    assert_int_equal(fat_fstat(v, 1, h, &st), FAT_OK);
    assert_int_equal(st.size, at);          /* the failed write wrote nothing */
    assert_true(at > 2 * 1024 * 1024);
    while ((status = fat_write(v, 1, h, at, chunk, 512, &done)) == FAT_OK)    /* the last clusters */
        at += done;
    assert_int_equal(status, FAT_NO_SPACE);
    assert_int_equal(fat_mkdir(v, P("/no room")), FAT_NO_SPACE);
    assert_int_equal(fat_truncate(v, 1, h, at + 1000000), FAT_NO_SPACE);
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    assert_int_equal(fat_remove(v, P("/fill")), FAT_OK);
    assert_int_equal(fat_mkdir(v, P("/room again")), FAT_OK);
    fixture_unmount(&fx);

    /* a FAT16 root of 16 entries fills up; folders grow instead */
    mount_fresh(&fx, tiny_root, false);
    unsigned made = 0;
    for (; made < 40; made++) {
        char path[64];
        snprintf(path, sizeof path, "/F%u", made);
        if ((status = write_whole(&fx.vol, path, "x", 1)) != FAT_OK)
            break;
    }
    assert_int_equal(status, FAT_NO_SPACE);
    assert_int_equal(made, 16);
    fixture_unmount(&fx);
}

static void test_short_names_and_aliases(void **state)
{
    struct fat_fixture fx;
    mount_fresh(&fx, image16, false);
    struct fat_volume *v = &fx.vol;
    for (unsigned i = 1; i <= 12; i++) {
        char path[64];
        snprintf(path, sizeof path, "/Long File Name %u.text", i);
        assert_int_equal(write_whole(v, path, path, strlen(path)), FAT_OK);
    }
    /* each got the next tail, in order; the alias names the same file */
    for (unsigned i = 1; i <= 12; i++) {
        char alias[32], path[64];
        snprintf(alias, sizeof alias, "/LONGFI~%u.TEX", i);
        if (i >= 10)
            snprintf(alias, sizeof alias, "/LONGF~%u.TEX", i);
        snprintf(path, sizeof path, "/Long File Name %u.text", i);
        size_t size;
        int status;
        uint8_t *got = read_whole(v, alias, &size, &status);
        if (status != FAT_OK)
            fprintf(stderr, "# %s: %s\n", alias, fat_status_name(status));
        assert_int_equal(status, FAT_OK);
        assert_int_equal(size, strlen(path));
        assert_memory_equal(got, path, size);
        free(got);
    }
    /* a name outside the BMP (two UTF-16 units), and a lower-case 8.3 name, come back as given */
    assert_int_equal(write_whole(v, "/emoji 😀 name", "e", 1), FAT_OK);
    assert_int_equal(write_whole(v, "/lower.txt", "l", 1), FAT_OK);
    fat_handle_t h;
    assert_int_equal(fat_open(v, 1, P("/"), FAT_O_READ, &h), FAT_OK);
    bool emoji = false, lower = false;
    static struct fat_dirent e;
    for (uint32_t cookie = 0;;) {
        assert_int_equal(fat_readdir(v, 1, h, &cookie, &e), FAT_OK);
        if (!e.name_len)
            break;
        emoji |= !strcmp(e.name, "emoji 😀 name");
        lower |= !strcmp(e.name, "lower.txt");
    }
    assert_true(emoji && lower);
    assert_int_equal(fat_close(v, 1, h), FAT_OK);
    fixture_unmount(&fx);
}

static uint32_t fixed_time(void *ctx) { return *(uint32_t *)ctx; }

/* New and written entries carry the caller's time; without a clock, 1980-01-01. */
static void test_times_come_from_the_caller(void **state)
{
    struct fat_fixture fx;
    assert_true(fat_disk_open(&fx.disk, image16));
    fx.disk.path[0] = 0;
    fx.cache = malloc(FAT_CACHE_BYTES(16));
    uint32_t now = (uint32_t)((2024 - 1980) << 9 | 5 << 5 | 17) << 16 | (13 << 11 | 45 << 5 | 30 / 2);
    struct fat_mount_config config = {
        .device = &fx.disk.dev, .cache = fx.cache, .cache_bytes = FAT_CACHE_BYTES(16), .now = fixed_time,
        .now_ctx = &now,
    };
    assert_int_equal(fat_mount(&fx.vol, &config), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/dated", "x", 1), FAT_OK);
    assert_int_equal(fat_mkdir(&fx.vol, P("/dated dir")), FAT_OK);
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/dated"), &st), FAT_OK);
    assert_int_equal(st.mtime, now);
    assert_int_equal(fat_stat(&fx.vol, P("/dated dir"), &st), FAT_OK);
    assert_int_equal(st.mtime, now);
    fixture_unmount(&fx);
    mount_fresh(&fx, image16, false);
    assert_int_equal(write_whole(&fx.vol, "/undated", "x", 1), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/undated"), &st), FAT_OK);
    assert_int_equal(st.mtime, (uint32_t)(1 << 5 | 1) << 16);
    fixture_unmount(&fx);
}

/* Past 256 names of one basis, tails come from the next window; fsck.fat finds no duplicate 8.3 name. */
static void test_many_tails_stay_unique(void **state)
{
    char image[300], out[1024];
    snprintf(image, sizeof image, "%s/tails.img", work);
    assert_int_equal(run(out, sizeof out, "mkfs.fat -C -F 16 -s 2 '%s' 8192", image), 0);
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 32, false), FAT_OK);
    assert_int_equal(fat_mkdir(&fx.vol, P("/same")), FAT_OK);
    for (unsigned i = 1; i <= 300; i++) {
        char path[64];
        snprintf(path, sizeof path, "/same/Same Basis Name %u.txt", i);
        assert_int_equal(write_whole(&fx.vol, path, path, strlen(path)), FAT_OK);
    }
    struct fat_stat st;
    assert_int_equal(fat_stat(&fx.vol, P("/same/SAMEBA~1.TXT"), &st), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/same/SAMEB~99.TXT"), &st), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/same/SAME~300.TXT"), &st), FAT_OK);
    assert_int_equal(st.size, strlen("/same/Same Basis Name 300.txt"));
    /* a freed tail is taken again */
    assert_int_equal(fat_remove(&fx.vol, P("/same/Same Basis Name 7.txt")), FAT_OK);
    assert_int_equal(write_whole(&fx.vol, "/same/Same Basis Name again.txt", "a", 1), FAT_OK);
    assert_int_equal(fat_stat(&fx.vol, P("/same/SAMEBA~7.TXT"), &st), FAT_OK);
    assert_int_equal(st.size, 1);
    fixture_unmount(&fx);
    assert_fsck_clean(image);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_of_each_operation),
        cmocka_unit_test(test_handles_belong_to_clients),
        cmocka_unit_test(test_handles_share_a_file),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_short_names_and_aliases),
        cmocka_unit_test(test_many_tails_stay_unique),
        cmocka_unit_test(test_times_come_from_the_caller),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
