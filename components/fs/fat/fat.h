/*
 * The FAT core: FAT16 and FAT32 volumes with long file names, on any block
 * device the caller can reach through three functions.  It depends on no
 * kernel and no allocator: it builds for the host (tests, fuzzing under
 * ASan and UBSan) and for components (picolibc, freestanding-friendly:
 * only memcpy, memset, memcmp).  Every byte it uses is the caller's: the
 * volume struct (handles and open files live in it) and the cache memory.
 *
 * The block interface (struct fat_block_device), in 512-byte sectors:
 *
 *   submit(ctx, lba, count, buf, write)   starts one request, returns its handle
 *   wait(ctx, handle)                     until that request is done: true if it succeeded
 *   flush(ctx)                            until everything written so far is durable
 *
 * The core waits for every handle it got, exactly once, and never touches
 * a buffer between its submit and its wait (so a device may DMA into it,
 * or the host implementation may move the bytes only at wait).  It has at
 * most FAT_MAX_IN_FLIGHT requests outstanding; submit may block when the
 * device queue is full.  Requests count at most max_request_sectors.  In a
 * component, submit pushes to the block ring with a completion as tag, and
 * wait is sel_task_await on it: the task sleeps, other tasks run.  So one
 * call into the core is "blocking" only for its own task.
 *
 * Where the bytes go:
 *
 *   the cache      caller memory cut into 4 KiB blocks of the volume (block b
 *                  holds volume bytes [4096 b, 4096 b + 4096)), write-back,
 *                  LRU.  Every boot sector, FAT, directory and small or
 *                  unaligned data access goes through it.  A FAT block, when
 *                  written back, is also written to every other FAT copy.
 *   direct I/O     the 4 KiB-aligned middle of a read or write of at least
 *                  FAT_DIRECT_MIN bytes moves between the device and the
 *                  caller's buffer, cut into requests of which up to
 *                  FAT_PIPE_DEPTH (16) are in flight at once; blocks the
 *                  cache holds dirty are laid over a direct read, and a
 *                  direct write updates the cached copies it overlaps, so
 *                  both paths see one file.
 *   read-ahead     a handle read sequentially through the cache starts
 *                  reading the following blocks (16 KiB, doubling to
 *                  128 KiB) without waiting; the next read finds them.
 *   sync           writes every dirty block (data, directory entries, FAT
 *                  and its copies, FSInfo), waits for all, then flushes.
 *
 * Handles (fat_handle_t) belong to a client id chosen by the caller (the
 * fs component uses its client's index): a handle works only for the
 * client that opened it, and a stale handle (closed, reused) never works,
 * since it carries the slot's generation.  Several handles may open one
 * file; they share its size and clusters.  A removed file that is still
 * open keeps its clusters until its last handle closes.
 *
 * Not reentrant: one call at a time per volume.  A call may wait for the
 * device; the fs component holds a sel_mutex_t across each call, so its
 * tasks take turns while each call keeps its own requests in flight.
 *
 * Bad volumes give FAT_CORRUPT (or FAT_IO), never a crash or a hang: every
 * cluster number is checked against the volume before use, every walk is
 * bounded (a file's chain is measured with cycle detection when it is
 * first opened, a directory holds at most 65536 entries, a free stops at
 * the first cluster already free), and fat_check finds cross-linked
 * chains and directories inside themselves.  tests/host/test_fat_corrupt.c
 * has a fixture for each case, tests/host/test_fat_fuzz.c mutates images.
 *
 * Stack: under 2 KiB per call at -O2, fat_mount about 3 KiB, fat_check
 * about 4 KiB (its directory stack); the rest of the memory is the
 * volume (about 8 KiB) and the cache.
 *
 * Paths are UTF-8, '/'-separated, from the root ("" and "/" are the root),
 * with a length (not NUL-terminated).  Names compare without case (ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic), as FAT does.
 *
 * Measured cost, in retired instructions of the core alone on rv64imac
 * (tests/fat/measure.sh: bare metal under QEMU -icount, the RAM disk's own
 * instructions taken off): an 8 MiB file read sequentially costs 37 per
 * KiB in 1 MiB reads and 51 in 64 KiB reads (direct), 625 in 4 KiB reads
 * (through the cache); written in 64 KiB pieces, 134 per KiB; a create
 * costs about 950 per file already in the folder.  The table:
 * components/fs/README.md.
 */
#ifndef FAT_H
#define FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status codes: every function returns one ---- */

enum fat_status {
    FAT_OK = 0,
    FAT_NOT_FOUND,          /* no such file or directory (or a path component missing) */
    FAT_EXISTS,             /* create exclusive, mkdir or rename onto a name that exists */
    FAT_NOT_DIR,            /* a path component, or rmdir's target, is a file */
    FAT_IS_DIR,             /* read, write or remove of a directory; open of one for writing */
    FAT_NOT_EMPTY,          /* rmdir of a directory that holds entries */
    FAT_NO_SPACE,           /* no free cluster, or a full fixed-size FAT16 root, or a full directory */
    FAT_BAD_HANDLE,         /* not a handle of this client, closed, or not opened for this */
    FAT_IO,                 /* the device failed a request */
    FAT_INVALID,            /* bad argument: a bad name, flags, offset past 4 GiB, moving a dir into itself */
    FAT_NAME_TOO_LONG,      /* a name over 255 UTF-16 units, or a path over FAT_PATH_MAX bytes */
    FAT_READ_ONLY,          /* a read-only mount, or a file with the read-only attribute */
    FAT_CORRUPT,            /* the volume contradicts itself (fat_mount_problem says how, after mount) */
    FAT_TOO_MANY_OPEN,      /* every handle slot (or open-file slot) is in use */
};

/* A name for a status, e.g. "not found". */
const char *fat_status_name(int status);

/* ---- the block device ---- */

#define FAT_SECTOR 512                  /* the unit of lba and count */
#define FAT_BLOCK 4096                  /* the cache's unit */
#define FAT_MAX_IN_FLIGHT 32            /* most requests the core has outstanding */
#define FAT_PIPE_DEPTH 16               /* most requests one direct transfer keeps in flight */
#define FAT_DIRECT_MIN (16 * 1024)      /* a transfer this large moves directly */

typedef uint32_t fat_io_t;

struct fat_block_device {
    /* Starts reading (write false) or writing count sectors at lba into or from buf. */
    fat_io_t (*submit)(void *ctx, uint64_t lba, uint32_t count, void *buf, bool write);
    /* Waits for the request; true if it succeeded.  Called once per handle. */
    bool (*wait)(void *ctx, fat_io_t io);
    /* Makes every write that has completed durable; true if it succeeded. */
    bool (*flush)(void *ctx);
    void *ctx;
    uint64_t sectors;                   /* the device's size */
    uint32_t max_request_sectors;       /* at least 8 (a cache block); 0: 64 (32 KiB) */
};

/* ---- mounting ---- */

#define FAT_CACHE_MIN_BLOCKS 16
/* Cache memory for n blocks (the headers and hash buckets included). */
#define FAT_CACHE_BYTES(n) ((size_t)(n) * (FAT_BLOCK + 64) + FAT_BLOCK)

#define FAT_MAX_HANDLES 64              /* open handles, over all clients */
#define FAT_MAX_NODES 64                /* distinct open files and directories */
#define FAT_NAME_MAX 255                /* UTF-16 units in one name */
#define FAT_NAME_MAX_UTF8 (FAT_NAME_MAX * 3)
#define FAT_PATH_MAX 4096               /* bytes in a path */
#define FAT_CHECK_DEPTH 128             /* directory depth fat_check follows */

struct fat_mount_config {
    const struct fat_block_device *device;
    void *cache;                        /* FAT_CACHE_BYTES(n) bytes, n >= FAT_CACHE_MIN_BLOCKS */
    size_t cache_bytes;
    bool read_only;
    /* The time for new and modified entries: DOS date << 16 | DOS time.  NULL: 1980-01-01 00:00. */
    uint32_t (*now)(void *ctx);
    void *now_ctx;
};

/*
 * Reads the volume: a FAT16 or FAT32 boot sector at sector 0, or else the
 * first partition of an MBR.  Checks the BPB against itself and the device
 * (FAT_CORRUPT, and fat_mount_problem says what: "the FAT holds 1000
 * clusters, the volume has 4000").  FAT12 is FAT_INVALID.
 */
struct fat_volume;
int fat_mount(struct fat_volume *vol, const struct fat_mount_config *config);

/* Why the last mount or check said FAT_CORRUPT or FAT_INVALID ("" if it did not). */
const char *fat_mount_problem(const struct fat_volume *vol);

/* Syncs, waits for read-ahead still in flight, and forgets every handle. */
int fat_unmount(struct fat_volume *vol);

/* Writes every dirty block and both FAT copies, waits, flushes. */
int fat_sync(struct fat_volume *vol);

/*
 * Walks every directory and chain, marking clusters in bitmap (at least
 * (cluster count + 2) / 8 bytes): a cluster reached twice (cross-linked
 * files, a directory inside itself), a chain through a free or bad
 * cluster or past the volume, or one shorter than its file is FAT_CORRUPT.
 * Corrects the free-cluster count it will write to FSInfo.
 */
int fat_check(struct fat_volume *vol, uint8_t *bitmap, size_t bitmap_bytes);

struct fat_info {
    unsigned fat_bits;                  /* 16 or 32 */
    uint32_t cluster_bytes;
    uint32_t clusters;                  /* data clusters */
    uint32_t free_clusters;             /* counted at mount on FAT16; FAT32's FSInfo (UINT32_MAX: unknown) */
    uint32_t max_in_flight;             /* the most requests the core has had outstanding */
};
void fat_info(const struct fat_volume *vol, struct fat_info *info);

/* ---- files and directories ---- */

typedef uint32_t fat_handle_t;          /* 0 is never a handle */

enum fat_open_flags {
    FAT_O_READ = 1,
    FAT_O_WRITE = 2,
    FAT_O_CREATE = 4,                   /* create the file if it does not exist */
    FAT_O_TRUNCATE = 8,                 /* cut it to 0 bytes (needs FAT_O_WRITE) */
    FAT_O_APPEND = 16,                  /* every write goes to the end (needs FAT_O_WRITE) */
    FAT_O_EXCLUSIVE = 32,               /* with FAT_O_CREATE: FAT_EXISTS if it exists */
};

struct fat_stat {
    uint64_t size;
    uint32_t mtime;                     /* DOS date << 16 | DOS time */
    uint8_t attributes;                 /* FAT_ATTR_* */
    bool is_dir;
};

#define FAT_ATTR_READ_ONLY 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME_ID 0x08
#define FAT_ATTR_DIRECTORY 0x10
#define FAT_ATTR_ARCHIVE 0x20

struct fat_dirent {
    struct fat_stat stat;
    uint16_t name_len;                  /* bytes; 0 at the end of the directory */
    char name[FAT_NAME_MAX_UTF8 + 1];   /* UTF-8, NUL-terminated */
};

/*
 * Opens a file (flags: FAT_O_*; at least one of READ and WRITE) or a
 * directory (READ only: for fat_readdir) for client.
 */
int fat_open(struct fat_volume *vol, uint32_t client, const char *path, size_t path_len, unsigned flags,
             fat_handle_t *handle);
int fat_close(struct fat_volume *vol, uint32_t client, fat_handle_t handle);
/* Closes every handle of client (a client that went away). */
void fat_close_client(struct fat_volume *vol, uint32_t client);

/* Reads up to len bytes at offset; *done is short at the end of the file (0 past it). */
int fat_read(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t offset, void *buf,
             size_t len, size_t *done);
/*
 * Writes len bytes at offset (at the end with FAT_O_APPEND), extending the
 * file (a gap reads as zeros).  All or nothing: FAT_NO_SPACE writes none.
 * Files end below 4 GiB (FAT_INVALID past it).
 */
int fat_write(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t offset, const void *buf,
              size_t len, size_t *done);
/* Cuts or extends (with zeros) the file to size. */
int fat_truncate(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t size);
int fat_fstat(struct fat_volume *vol, uint32_t client, fat_handle_t handle, struct fat_stat *st);
int fat_stat(struct fat_volume *vol, const char *path, size_t path_len, struct fat_stat *st);

/*
 * The next entry of a directory handle at *cookie (0: the first), skipping
 * "." and "..", and advances *cookie.  At the end entry->name_len is 0.
 */
int fat_readdir(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint32_t *cookie,
                struct fat_dirent *entry);

/* Renames or moves a file or directory; FAT_EXISTS if to exists (unless it names from itself). */
int fat_rename(struct fat_volume *vol, const char *from, size_t from_len, const char *to, size_t to_len);
int fat_remove(struct fat_volume *vol, const char *path, size_t path_len);
int fat_mkdir(struct fat_volume *vol, const char *path, size_t path_len);
int fat_rmdir(struct fat_volume *vol, const char *path, size_t path_len);

/* ---- the volume (the caller allocates it; the fields are the core's) ---- */

struct fat_cache_entry;

struct fat_node {                       /* an open file or directory */
    uint32_t refs;                      /* handles on it; 0: free slot */
    uint32_t first_cluster;             /* 0: empty file (or the FAT16 root) */
    uint32_t size;
    uint32_t clusters;                  /* in its chain (measured when first opened) */
    uint32_t last_cluster;              /* the chain's last (0: no chain) */
    uint64_t entry_offset;              /* volume byte offset of its short entry; 0 for the root */
    uint32_t cursor_index;              /* a cluster of the chain, remembered: index in the file */
    uint32_t cursor_cluster;            /*   and number (0: none) */
    uint32_t shrinks;                   /* times its chain was cut: cursors kept elsewhere are stale */
    uint8_t attributes;
    bool is_dir;
    bool removed;                       /* its entry is gone; free the clusters at the last close */
};

struct fat_handle_slot {
    struct fat_node *node;              /* NULL: free */
    uint32_t client;
    uint16_t generation;
    uint8_t flags;                      /* FAT_O_* */
    uint64_t next_read;                 /* where a sequential read would continue */
    uint64_t readahead_end;             /* file offset read-ahead has reached */
    uint32_t readahead_bytes;           /* the window, doubling while reads stay sequential */
    uint32_t readahead_index;           /* read-ahead's own place in the chain (cluster 0: none) */
    uint32_t readahead_cluster;
    uint32_t readahead_shrinks;         /* the node's shrinks when it was taken */
    uint32_t dir_cluster;               /* fat_readdir's place in a directory's chain */
    uint32_t dir_cluster_index;
};

struct fat_dir_scratch {                /* per-call buffers, in the volume to keep task stacks small */
    uint16_t target[FAT_NAME_MAX + 1];  /* the name looked up, upper-cased UTF-16 */
    uint16_t original[FAT_NAME_MAX + 1]; /* the same as given, for a new entry */
    uint16_t entry[FAT_NAME_MAX + 1 + 13]; /* the long name being assembled from a directory */
    uint32_t tail_bitmap[8];            /* ~N tails in use in a window of 256 */
};

struct fat_volume {
    const struct fat_block_device *dev;
    uint32_t (*now)(void *ctx);
    void *now_ctx;
    bool read_only;
    bool mounted;
    unsigned fat_bits;                  /* 16 or 32 */
    uint64_t part_lba;                  /* the volume's first device sector */
    uint64_t volume_bytes;
    uint32_t sector_bytes;
    uint32_t cluster_bytes;
    uint32_t cluster_count;             /* data clusters: 2 .. cluster_count + 1 are valid */
    uint32_t fat_copies;
    uint64_t fat_offset;                /* bytes into the volume */
    uint64_t fat_bytes;                 /* one copy */
    uint64_t root_offset;               /* FAT16's fixed root directory */
    uint32_t root_entries;
    uint32_t root_cluster;              /* FAT32's root; 0 on FAT16 */
    uint64_t data_offset;
    uint64_t fsinfo_offset;             /* 0: none */
    uint32_t free_clusters;             /* UINT32_MAX: unknown */
    uint32_t next_free;                 /* where the next search for a free cluster starts */
    bool fsinfo_dirty;
    uint32_t max_request_bytes;
    uint32_t in_flight, max_in_flight;
    const char *problem;
    /* the cache */
    struct fat_cache_entry *cache_entries;
    struct fat_cache_entry **cache_buckets;
    uint32_t cache_count, cache_bucket_mask;
    struct fat_cache_entry *lru_newest, *lru_oldest;
    struct fat_cache_entry *cache_last;
    uint32_t cache_dirty, cache_reading;
    uint32_t cache_epoch;               /* counts entries taken for another block: pointers older are stale */
    uint32_t dirents_per_cluster_shift;
    /* open files */
    struct fat_node nodes[FAT_MAX_NODES];
    struct fat_handle_slot handles[FAT_MAX_HANDLES];
    struct fat_dir_scratch scratch;
};

#endif
