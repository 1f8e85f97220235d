/*
 * Shared by the FAT core's host tests: shell commands (mkfs.fat, mtools,
 * fsck.fat), scratch folders, a mounted image, deterministic file
 * contents, and a comparison of a host folder with a folder of a volume.
 * Include after <cmocka.h>: the helpers assert.
 */
#ifndef FAT_UTIL_H
#define FAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fat.h"
#include "fat_disk.h"

#define P(s) (s), strlen(s)         /* a path argument: pointer and length */

/* Sets up the environment the tools need (mtools: no geometry checks, UTF-8 names). */
void fat_util_init(void);

/* Runs a shell command (printf-style); returns its exit status.  Output goes to *out if out is not NULL. */
int run(char *out, size_t out_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A new empty folder under $TMPDIR (or /tmp), and removing one. */
void make_tmpdir(char *path, size_t size, const char *what);
void remove_tree(const char *path);

/* Byte offset of a deterministic stream of contents: (seed, offset) -> byte. */
uint8_t pattern_byte(uint32_t seed, uint64_t offset);
void pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t offset);
/* Writes a host file of size bytes of pattern seed. */
void write_host_file(const char *path, uint64_t size, uint32_t seed);

/* A name of len (1..255) characters: distinct ignoring case for each len, legal in FAT, odd characters in it. */
void name_of_length(char *out, unsigned len);

/* A mounted image. */
struct fat_fixture {
    struct fat_disk disk;
    struct fat_volume vol;
    void *cache;
    size_t cache_bytes;
};
/* Loads the image and mounts it with a cache of blocks blocks; returns fat_mount's status. */
int fixture_mount(struct fat_fixture *fx, const char *image, size_t blocks, bool read_only);
/* Unmounts (syncing), checks that it worked, and drops the disk. */
void fixture_unmount(struct fat_fixture *fx);
/* Drops everything without syncing or flushing (a power cut). */
void fixture_crash(struct fat_fixture *fx);

/* Reads a whole file of the volume into a new buffer; *size its length; NULL (and the status) if it fails. */
uint8_t *read_whole(struct fat_volume *vol, const char *path, size_t *size, int *status);
/* Writes a file of the volume (create, truncate) from buf. */
int write_whole(struct fat_volume *vol, const char *path, const void *buf, size_t len);

/*
 * Asserts that folder fat_path of the volume holds exactly what host_dir
 * holds: the same names, sizes and bytes, recursively.  Adds up the
 * files and folders compared.
 */
void compare_tree(struct fat_volume *vol, const char *host_dir, const char *fat_path, unsigned *files,
                  unsigned *dirs);

/* fsck.fat -n on an image: asserts it reports no problem (prints its report if it does). */
void assert_fsck_clean(const char *image);

#endif
