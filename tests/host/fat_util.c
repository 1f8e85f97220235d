/* Helpers of the FAT core's host tests: see fat_util.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fat_util.h"

void fat_util_init(void)
{
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin", 0);
    /* fsck.fat and mkfs.fat live in /usr/sbin, which a user's PATH may lack */
    const char *path = getenv("PATH");
    if (path && !strstr(path, "/usr/sbin")) {
        char *longer;
        if (asprintf(&longer, "%s:/usr/sbin:/sbin", path) > 0) {
            setenv("PATH", longer, 1);
            free(longer);
        }
    }
}

int run(char *out, size_t out_size, const char *fmt, ...)
{
    char *cmd, *full;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&cmd, fmt, ap) < 0)
        abort();
    va_end(ap);
    if (asprintf(&full, "( %s ) 2>&1", cmd) < 0)
        abort();
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = 0;
    char sink[4096];
    for (;;) {
        char *to = out && n + 1 < out_size ? out + n : sink;
        size_t room = out && n + 1 < out_size ? out_size - n - 1 : sizeof sink;
        size_t got = fread(to, 1, room, p);
        if (got == 0)
            break;
        if (to != sink)
            n += got;
    }
    if (out && out_size)
        out[n] = 0;
    int status = pclose(p);
    free(full);
    free(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void make_tmpdir(char *path, size_t size, const char *what)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, size, "%s/fat-%s-XXXXXX", base, what);
    assert_non_null(mkdtemp(path));
}

void remove_tree(const char *path)
{
    if (getenv("FAT_TEST_KEEP")) {          /* for a look at the images after a failure */
        fprintf(stderr, "# kept %s\n", path);
        return;
    }
    run(NULL, 0, "rm -rf '%s'", path);
}

uint8_t pattern_byte(uint32_t seed, uint64_t offset)
{
    uint64_t x = (offset / 8) * 0x9E3779B97F4A7C15ull + seed * 0xD1B54A32D192ED03ull + 1;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (uint8_t)(x >> (8 * (offset % 8)));
}

void pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t offset)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern_byte(seed, offset + i);
}

void write_host_file(const char *path, uint64_t size, uint32_t seed)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fprintf(stderr, "cannot create %s\n", path);
    assert_non_null(f);
    uint8_t buf[65536];
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < sizeof buf ? (size_t)(size - at) : sizeof buf;
        pattern_fill(buf, n, seed, at);
        assert_int_equal(fwrite(buf, 1, n, f), n);
        at += n;
    }
    assert_int_equal(fclose(f), 0);
}

void name_of_length(char *out, unsigned len)
{
    static const char filler[] = "The quick brown fox+jumps=over,the;lazy[dog] 0123456789.";
    if (len < 4) {
        for (unsigned i = 0; i < len; i++)
            out[i] = (char)('a' + len - 1);
        out[len] = 0;
        return;
    }
    out[0] = (char)('0' + len / 100), out[1] = (char)('0' + len / 10 % 10), out[2] = (char)('0' + len % 10);
    for (unsigned i = 3; i < len; i++)
        out[i] = filler[(i * 7 + len) % (sizeof filler - 1)];
    out[len - 1] = 'z';
    out[len] = 0;
}

int fixture_mount(struct fat_fixture *fx, const char *image, size_t blocks, bool read_only)
{
    memset(fx, 0, sizeof *fx);
    assert_true(fat_disk_open(&fx->disk, image));
    fx->cache_bytes = FAT_CACHE_BYTES(blocks);
    fx->cache = malloc(fx->cache_bytes);
    assert_non_null(fx->cache);
    struct fat_mount_config config = {
        .device = &fx->disk.dev, .cache = fx->cache, .cache_bytes = fx->cache_bytes, .read_only = read_only,
    };
    int status = fat_mount(&fx->vol, &config);
    if (status != FAT_OK)
        fprintf(stderr, "# mount %s: %s: %s\n", image, fat_status_name(status), fat_mount_problem(&fx->vol));
    return status;
}

void fixture_unmount(struct fat_fixture *fx)
{
    int status = fat_unmount(&fx->vol);
    if (status != FAT_OK)
        fprintf(stderr, "# unmount: %s\n", fat_status_name(status));
    assert_int_equal(status, FAT_OK);
    assert_int_equal(fat_disk_unflushed(&fx->disk), 0);
    assert_int_equal(fx->disk.in_flight, 0);    /* read-ahead included, every request was waited for */
    fixture_crash(fx);
}

void fixture_crash(struct fat_fixture *fx)
{
    fat_disk_close(&fx->disk);
    free(fx->cache);
    fx->cache = NULL;
}

uint8_t *read_whole(struct fat_volume *vol, const char *path, size_t *size, int *status)
{
    fat_handle_t h;
    *status = fat_open(vol, 1, P(path), FAT_O_READ, &h);
    if (*status != FAT_OK)
        return NULL;
    struct fat_stat st;
    assert_int_equal(fat_fstat(vol, 1, h, &st), FAT_OK);
    uint8_t *buf = malloc(st.size + 1);
    size_t done;
    *status = fat_read(vol, 1, h, 0, buf, st.size + 1, &done);
    assert_int_equal(fat_close(vol, 1, h), FAT_OK);
    if (*status != FAT_OK) {
        free(buf);
        return NULL;
    }
    assert_int_equal(done, st.size);
    *size = done;
    return buf;
}

int write_whole(struct fat_volume *vol, const char *path, const void *buf, size_t len)
{
    fat_handle_t h;
    int status = fat_open(vol, 1, P(path), FAT_O_WRITE | FAT_O_CREATE | FAT_O_TRUNCATE, &h);
    if (status != FAT_OK)
        return status;
    size_t done;
    status = fat_write(vol, 1, h, 0, buf, len, &done);
    int closed = fat_close(vol, 1, h);
    return status != FAT_OK ? status : closed;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a file of the volume in pieces of varying sizes (so both the cache and direct paths run) and compares. */
static void compare_file(struct fat_volume *vol, const char *host, const char *path, uint64_t size)
{
    FILE *f = fopen(host, "rb");
    assert_non_null(f);
    uint8_t *want = malloc(size + 1), *got = malloc(size + 1);
    assert_int_equal(fread(want, 1, size, f), size);
    fclose(f);
    fat_handle_t h;
    int status = fat_open(vol, 7, P(path), FAT_O_READ, &h);
    if (status != FAT_OK)
        fprintf(stderr, "# open %s: %s (%s)\n", path, fat_status_name(status), fat_mount_problem(vol));
    assert_int_equal(status, FAT_OK);
    static const size_t pieces[] = { 1, 511, 4096, 100000, 3, 65536 * 4, 7777 };
    uint64_t at = 0;
    for (unsigned i = 0; at < size; i++) {
        size_t n = pieces[i % 7], done;
        assert_int_equal(fat_read(vol, 7, h, at, got + at, n, &done), FAT_OK);
        assert_true(done > 0 && done <= n);
        at += done;
    }
    size_t done;
    assert_int_equal(fat_read(vol, 7, h, size, got, 10, &done), FAT_OK);
    assert_int_equal(done, 0);
    assert_int_equal(fat_close(vol, 7, h), FAT_OK);
    if (memcmp(want, got, size) != 0)
        fprintf(stderr, "# %s differs from %s\n", path, host);
    assert_memory_equal(want, got, size);
    free(want);
    free(got);
}

void compare_tree(struct fat_volume *vol, const char *host_dir, const char *fat_path, unsigned *files,
                  unsigned *dirs)
{
    /* the host's names */
    DIR *d = opendir(host_dir);
    assert_non_null(d);
    char **host = NULL;
    size_t host_n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        host = realloc(host, (host_n + 1) * sizeof *host);
        host[host_n++] = strdup(de->d_name);
    }
    closedir(d);
    /* the volume's */
    fat_handle_t h;
    int status = fat_open(vol, 7, P(fat_path), FAT_O_READ, &h);
    if (status != FAT_OK)
        fprintf(stderr, "# open dir %s: %s (%s)\n", fat_path, fat_status_name(status), fat_mount_problem(vol));
    assert_int_equal(status, FAT_OK);
    char **ours = NULL;
    size_t ours_n = 0;
    uint32_t cookie = 0;
    static struct fat_dirent entry;
    for (;;) {
        assert_int_equal(fat_readdir(vol, 7, h, &cookie, &entry), FAT_OK);
        if (entry.name_len == 0)
            break;
        assert_int_equal(strlen(entry.name), entry.name_len);
        ours = realloc(ours, (ours_n + 1) * sizeof *ours);
        ours[ours_n++] = strdup(entry.name);
        assert_true(ours_n <= host_n + 1);
    }
    assert_int_equal(fat_close(vol, 7, h), FAT_OK);
    if (host_n)
        qsort(host, host_n, sizeof *host, compare_names);
    if (ours_n)
        qsort(ours, ours_n, sizeof *ours, compare_names);
    for (size_t i = 0; i < host_n || i < ours_n; i++) {
        const char *a = i < host_n ? host[i] : "(none)", *b = i < ours_n ? ours[i] : "(none)";
        if (strcmp(a, b) != 0)
            fprintf(stderr, "# in %s: the host has '%s', the volume '%s'\n", fat_path, a, b);
        assert_string_equal(a, b);
    }
    (*dirs)++;
    for (size_t i = 0; i < host_n; i++) {
        char *hp, *fp;
        assert_true(asprintf(&hp, "%s/%s", host_dir, host[i]) > 0);
        assert_true(asprintf(&fp, "%s/%s", fat_path, host[i]) > 0);
        struct stat st;
        assert_int_equal(stat(hp, &st), 0);
        struct fat_stat fs;
        assert_int_equal(fat_stat(vol, P(fp), &fs), FAT_OK);
        assert_int_equal(fs.is_dir, S_ISDIR(st.st_mode));
        if (S_ISDIR(st.st_mode)) {
            compare_tree(vol, hp, fp, files, dirs);
        } else {
            assert_int_equal(fs.size, (uint64_t)st.st_size);
            compare_file(vol, hp, fp, (uint64_t)st.st_size);
            (*files)++;
        }
        free(hp);
        free(fp);
        free(host[i]);
        free(ours[i]);
    }
    free(host);
    free(ours);
}

void assert_fsck_clean(const char *image)
{
    char out[8192];
    int status = run(out, sizeof out, "fsck.fat -n '%s'", image);
    /*
     * fsck.fat prints its version, then one summary line ("N files, N/N
     * clusters") when all is well; a small FAT32 (which the fuzz images
     * are) adds a warning of three lines about its cluster count.
     */
    unsigned lines = 0;
    for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (strncmp(p, "Warning: Filesystem is FAT32 according", 38) && strncmp(p, "  but has only", 14) &&
            strncmp(p, "  This may lead to problems", 27))
            lines++;
    if (status != 0 || lines != 2)
        fprintf(stderr, "# fsck.fat -n %s (status %d):\n%s", image, status, out);
    assert_int_equal(status, 0);
    assert_int_equal(lines, 2);
}
