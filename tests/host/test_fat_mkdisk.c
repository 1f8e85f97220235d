/*
 * tools/mkdisk: the image it builds from a folder passes fsck.fat -n and
 * reads back through the FAT core as the folder is (names, bytes,
 * folders, hidden files); a missing folder, a file given as the folder,
 * a size too small for FAT32 or for the files, and a bad size give
 * clear errors and leave IMAGE alone.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_util.h"

static char work[256], tree[300];

static int setup(void **state)
{
    fat_util_init();
    make_tmpdir(work, sizeof work, "mkdisk");
    snprintf(tree, sizeof tree, "%s/tree", work);
    char out[2048];
    if (run(out, sizeof out, "mkdir -p '%s/docs/deep/er' '%s/empty folder' && echo hello > '%s/hello.txt' && "
                             "echo hidden > '%s/.hidden' && printf '' > '%s/docs/empty'",
            tree, tree, tree, tree, tree)) {
        fprintf(stderr, "# %s", out);
        return -1;
    }
    char path[600], name[256];
    snprintf(path, sizeof path, "%s/docs/big file.bin", tree);
    write_host_file(path, 3 * 1024 * 1024 + 5, 31);
    snprintf(path, sizeof path, "%s/docs/deep/er/ünïcödé 名前.txt", tree);
    write_host_file(path, 1000, 32);
    name_of_length(name, 255);
    snprintf(path, sizeof path, "%s/docs/%s", tree, name);
    write_host_file(path, 255, 33);
    return 0;
}

static int teardown(void **state)
{
    remove_tree(work);
    return 0;
}

static void test_mkdisk_image_reads_back(void **state)
{
    char image[300], out[4096];
    snprintf(image, sizeof image, "%s/disk.img", work);
    int status = run(out, sizeof out, "tools/mkdisk '%s' '%s'", tree, image);
    if (status != 0)
        fprintf(stderr, "# %s", out);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "FAT32"));
    assert_fsck_clean(image);
    struct stat st;
    assert_int_equal(stat(image, &st), 0);
    assert_int_equal(st.st_size, 65 * 1024 * 1024);         /* the smallest: the files need less */
    struct fat_fixture fx;
    assert_int_equal(fixture_mount(&fx, image, 64, true), FAT_OK);
    struct fat_info info;
    fat_info(&fx.vol, &info);
    assert_int_equal(info.fat_bits, 32);
    unsigned files = 0, dirs = 0;
    compare_tree(&fx.vol, tree, "/", &files, &dirs);
    assert_int_equal(files, 6);
    assert_int_equal(dirs, 5);
    fixture_unmount(&fx);

    /* a size given, with a unit */
    assert_int_equal(run(out, sizeof out, "tools/mkdisk '%s' '%s' 200M", tree, image), 0);
    assert_int_equal(stat(image, &st), 0);
    assert_int_equal(st.st_size, 200 * 1024 * 1024);
    assert_fsck_clean(image);
    assert_int_equal(fixture_mount(&fx, image, 64, true), FAT_OK);
    fat_info(&fx.vol, &info);
    assert_int_equal(info.cluster_bytes, 2048);
    files = dirs = 0;
    compare_tree(&fx.vol, tree, "/", &files, &dirs);
    fixture_unmount(&fx);
}

/* mkdisk of the tree with SIZE size fails with status and words, leaving an existing IMAGE alone. */
static void expect_error(const char *size, int status, const char *words)
{
    char image[300], out[4096];
    snprintf(image, sizeof image, "%s/kept.img", work);
    assert_int_equal(run(NULL, 0, "echo keep me > '%s'", image), 0);
    int got = run(out, sizeof out, "tools/mkdisk '%s' '%s' %s", tree, image, size);
    if (got != status || !strstr(out, words))
        fprintf(stderr, "# mkdisk SIZE %s: status %d, said: %s", size, got, out);
    assert_int_equal(got, status);
    assert_non_null(strstr(out, words));
    char kept[64] = "";
    FILE *f = fopen(image, "r");
    assert_non_null(f);
    assert_non_null(fgets(kept, sizeof kept, f));
    fclose(f);
    assert_string_equal(kept, "keep me\n");                  /* a failed run leaves IMAGE alone */
}

static void test_mkdisk_errors(void **state)
{
    char out[2048];
    assert_int_equal(run(out, sizeof out, "tools/mkdisk '%s/no such folder' '%s/x.img'", work, work), 1);
    assert_non_null(strstr(out, "no folder"));
    assert_int_equal(run(out, sizeof out, "tools/mkdisk '%s/hello.txt' '%s/x.img'", tree, work), 1);
    assert_non_null(strstr(out, "is not a folder"));
    assert_int_equal(run(out, sizeof out, "tools/mkdisk"), 2);
    assert_non_null(strstr(out, "usage"));
    expect_error("1M", 1, "too small: a FAT32 image needs at least 65M");
    expect_error("12abc", 2, "is not a size");
    /* files bigger than the size: a sparse 70 MiB file */
    char sparse[400];
    snprintf(sparse, sizeof sparse, "%s/sparse", work);
    assert_int_equal(run(out, sizeof out, "mkdir -p '%s' && truncate -s 70M '%s/large'", sparse, sparse), 0);
    assert_int_equal(run(out, sizeof out, "tools/mkdisk '%s' '%s/x.img' 66M", sparse, work), 1);
    assert_non_null(strstr(out, "too small for the files"));
    assert_int_equal(access(sparse, F_OK), 0);
    struct stat st;
    char x[400];
    snprintf(x, sizeof x, "%s/x.img", work);
    assert_int_equal(stat(x, &st), -1);                      /* nothing made, no temporary left */
    assert_int_equal(run(out, sizeof out, "! ls -A '%s' | grep -q '[.]mkdisk[.]'", work), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdisk_image_reads_back),
        cmocka_unit_test(test_mkdisk_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
