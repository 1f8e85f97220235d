/*
 * What the files of the FAT core share (fat.h is the interface):
 *
 *   io.c       requests to the device, and pipelines of them (direct I/O)
 *   cache.c    the 4 KiB block cache: lookup, eviction, write-back with FAT mirroring, read-ahead
 *   volume.c   mount (BPB, MBR), the FAT (entries, chains, allocation), sync, fat_check
 *   name.c     UTF-8 and UTF-16, case folding, 8.3 names, checksums
 *   dir.c      directory entries: iterate, look up, add, delete; paths
 *   file.c     handles and the operations of fat.h
 */
#ifndef FAT_INTERNAL_H
#define FAT_INTERNAL_H

#include <string.h>

#include "fat.h"

/* ---- on-disk directory entries ---- */

#define DIRENT_SIZE 32
#define DIRENT_FREE 0xE5                /* first name byte of a deleted entry */
#define DIRENT_END 0x00                 /* first name byte of the entry after the last */
#define ATTR_LONG_NAME 0x0F
#define ATTR_LONG_MASK 0x3F
#define LFN_LAST 0x40                   /* in the order byte of the first (highest) long entry */
#define LFN_CHARS 13
#define CASE_LOWER_BASE 0x08            /* NTRes bits: the 8.3 name shows in lower case */
#define CASE_LOWER_EXT 0x10
#define DIR_MAX_ENTRIES 65536           /* the FAT limit: a directory holds at most 2 MiB */

struct dirent_raw {                     /* a short entry, as on disk */
    uint8_t name[11];
    uint8_t attributes;
    uint8_t case_bits;
    uint8_t create_tenths;
    uint16_t create_time, create_date, access_date;
    uint16_t cluster_high;
    uint16_t write_time, write_date;
    uint16_t cluster_low;
    uint32_t size;
};
_Static_assert(sizeof(struct dirent_raw) == DIRENT_SIZE, "a directory entry is 32 bytes");

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* Entries are read and written as bytes (little-endian on disk, any host). */
void dirent_decode(const uint8_t bytes[DIRENT_SIZE], struct dirent_raw *e);
void dirent_encode(const struct dirent_raw *e, uint8_t bytes[DIRENT_SIZE]);
static inline uint32_t dirent_cluster(const struct dirent_raw *e, const struct fat_volume *vol)
{
    return (vol->fat_bits == 32 ? (uint32_t)e->cluster_high << 16 : 0) | e->cluster_low;
}

/*
 * Copies data between the cache and a caller's buffer: by 64-bit words when
 * both ends and the length allow it (a 4 KiB read at an aligned offset
 * does), else memcpy.  picolibc's memcpy for rv64 goes byte by byte (the
 * note in libsel/include/sel/ring.h); the word loop takes 12 instructions
 * per 32 bytes.
 */
typedef uint64_t __attribute__((may_alias)) fat_word_t;

static inline void fat_copy(void *dst, const void *src, size_t n)
{
    if ((((uintptr_t)dst | (uintptr_t)src | n) & 7) == 0) {
        fat_word_t *d = dst;
        const fat_word_t *s = src, *end = s + n / 8;
        /* four words a turn: 12 instructions per 32 bytes (rv64imac, -O2) */
        for (; end - s >= 4; s += 4, d += 4) {
            uint64_t a = s[0], b = s[1], c = s[2], e = s[3];
            __asm__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(e));  /* else GCC calls memcpy instead */
            d[0] = a, d[1] = b, d[2] = c, d[3] = e;
        }
        for (; s < end; s++, d++) {
            uint64_t w = *s;
            __asm__("" : "+r"(w));
            *d = w;
        }
    } else {
        memcpy(dst, src, n);
    }
}

/* ---- io.c ---- */

/* Requests by volume byte offset and length (multiples of FAT_SECTOR). */
fat_io_t io_submit(struct fat_volume *vol, uint64_t offset, uint32_t bytes, void *buf, bool write);
bool io_wait(struct fat_volume *vol, fat_io_t io);

/* Up to FAT_PIPE_DEPTH requests in flight: adding one to a full pipe first waits for the oldest. */
struct fat_pipe {
    fat_io_t io[FAT_PIPE_DEPTH];
    unsigned oldest, count;
    bool failed;
};
void pipe_init(struct fat_pipe *pipe);
void pipe_add(struct fat_volume *vol, struct fat_pipe *pipe, uint64_t offset, uint32_t bytes, void *buf, bool write);
int pipe_drain(struct fat_volume *vol, struct fat_pipe *pipe);    /* FAT_IO if any request failed */

/* ---- cache.c ---- */

enum cache_state { CACHE_EMPTY, CACHE_READING, CACHE_CLEAN, CACHE_DIRTY };

struct fat_cache_entry {
    uint8_t *data;                      /* FAT_BLOCK bytes */
    uint32_t block;                     /* volume bytes [block * FAT_BLOCK, +FAT_BLOCK) */
    uint8_t state;                      /* enum cache_state */
    bool selected;                      /* chosen for the write-back under way */
    fat_io_t io;                        /* while READING */
    struct fat_cache_entry *hash_next;
    struct fat_cache_entry *newer, *older;  /* LRU list */
};

int cache_init(struct fat_volume *vol, void *memory, size_t bytes);
/* Copy bytes of the volume out of or into the cache (src NULL writes zeros), reading blocks as needed. */
int cache_read(struct fat_volume *vol, uint64_t offset, void *buf, size_t len);
int cache_write(struct fat_volume *vol, uint64_t offset, const void *src, size_t len);
/*
 * Points *p at len bytes of the volume in the cache (they must lie in one
 * block), reading the block if need be.  The pointer holds until the next
 * cache call.
 */
int cache_peek(struct fat_volume *vol, uint64_t offset, size_t len, const uint8_t **p);
/* The same for changing the bytes: the block is marked dirty. */
int cache_poke(struct fat_volume *vol, uint64_t offset, size_t len, uint8_t **p);
/* Starts reading the blocks of [offset, offset + len) that are not cached; returns without waiting. */
void cache_prefetch(struct fat_volume *vol, uint64_t offset, uint64_t len);
/* Writes every dirty block (FAT blocks to every copy) and waits. */
int cache_write_back(struct fat_volume *vol);
/* Waits for every read still in flight (read-ahead). */
void cache_settle(struct fat_volume *vol);
/*
 * Moves block-aligned [offset, offset + len) between the device and buf,
 * coherent with the cache (see fat.h), through pipe (the caller drains it).
 */
int cache_direct(struct fat_volume *vol, struct fat_pipe *pipe, uint64_t offset, uint64_t len, void *buf,
                 bool write);

/* ---- volume.c: the FAT ---- */

#define CHAIN_END 0xFFFFFFFFu           /* fat_next: no next cluster */

static inline bool cluster_valid(const struct fat_volume *vol, uint32_t c)
{
    return c >= 2 && c - 2 < vol->cluster_count;
}
static inline uint64_t cluster_offset(const struct fat_volume *vol, uint32_t c)
{
    return vol->data_offset + (uint64_t)(c - 2) * vol->cluster_bytes;
}
/* The FAT entry of a valid cluster, raw (0 free, ...). */
int fat_get(struct fat_volume *vol, uint32_t cluster, uint32_t *value);
/* The next cluster of a chain, or CHAIN_END; FAT_CORRUPT for a free, bad or out-of-range entry. */
int fat_next(struct fat_volume *vol, uint32_t cluster, uint32_t *next);
/* Sets an entry: 0 frees, CHAIN_END ends a chain, else links. */
int fat_set(struct fat_volume *vol, uint32_t cluster, uint32_t value);
/* Takes count free clusters as one chain (*first to *last), linked after tail (0: none); FAT_NO_SPACE takes none. */
int fat_alloc(struct fat_volume *vol, uint32_t count, uint32_t tail, uint32_t *first, uint32_t *last);
/* Frees the chain from first to its end. */
int fat_free_chain(struct fat_volume *vol, uint32_t first);
/* The cluster at index of a node's chain (through its cursor); FAT_CORRUPT if the chain is shorter. */
int chain_seek(struct fat_volume *vol, struct fat_node *node, uint32_t index, uint32_t *cluster);
uint32_t fat_now(struct fat_volume *vol);

/* ---- name.c ---- */

/* A name (one path component) to UTF-16; FAT_INVALID for bad UTF-8 or characters FAT forbids. */
int name_from_utf8(const char *s, size_t len, uint16_t *out, size_t *out_len);
/* UTF-16 to UTF-8 (out has 3 * len + 1 bytes; unpaired surrogates become U+FFFD); NUL-terminates. */
size_t name_to_utf8(const uint16_t *s, size_t len, char *out);
uint16_t name_upcase(uint16_t c);
/* The same, ASCII inline. */
static inline uint16_t upcase(uint16_t c)
{
    return c < 0x80 ? (uint16_t)((unsigned)c - 'a' < 26u ? c - 32 : c) : name_upcase(c);
}
void name_upcase_all(uint16_t *s, size_t len);
/* Whether a (any case) equals b (upper case). */
bool name_equal(const uint16_t *a, size_t a_len, const uint16_t *b_upper, size_t b_len);
/* The name an 8.3 entry shows ("README.TXT", with the case bits applied); bytes above 0x7F read as Latin-1. */
size_t short_name_show(const uint8_t raw[11], uint8_t case_bits, uint16_t *out);
uint8_t short_name_checksum(const uint8_t raw[11]);
/* If name is a valid 8.3 name in one case per part, its entry name and case bits. */
bool short_name_exact(const uint16_t *name, size_t len, uint8_t raw[11], uint8_t *case_bits);
/* The basis of a generated 8.3 name: raw (padded), and how many base characters it has. */
void short_name_basis(const uint16_t *name, size_t len, uint8_t raw[11], size_t *base_len);
/* basis with the tail ~n (n >= 1) put into its base part. */
void short_name_tail(const uint8_t basis[11], size_t base_len, uint32_t n, uint8_t out[11]);

/* ---- dir.c ---- */

/* A directory by its first cluster; 0 is FAT16's fixed root. */
struct dir_cursor {
    uint32_t dir;
    uint32_t cluster;                   /* the cluster holding entry index cluster_index * per-cluster */
    uint32_t cluster_index;
};
/* Where a found entry is. */
struct dir_slot {
    struct dirent_raw entry;
    uint64_t offset;                    /* of the short entry */
    uint32_t index;                     /* of the short entry */
    uint32_t first_index;               /* of its first long-name entry (index if none) */
};

uint32_t dir_root(const struct fat_volume *vol);
void dir_cursor_init(struct dir_cursor *cur, uint32_t dir);
/* The volume offset of entry index; FAT_NOT_FOUND past the directory's last cluster. */
int dir_entry_offset(struct fat_volume *vol, struct dir_cursor *cur, uint32_t index, uint64_t *offset);
/*
 * The next live entry at or after *index (long name in vol->scratch.entry,
 * *name_len units: the long name if its checksum matches, else the 8.3
 * one); *index moves past it.  FAT_NOT_FOUND at the end.  With dots,
 * "." and ".." too.  Volume labels are skipped.
 */
int dir_next(struct fat_volume *vol, struct dir_cursor *cur, uint32_t *index, struct dir_slot *slot,
             size_t *name_len, bool dots);
/* Looks up vol->scratch.target (upper case, len units) by long or 8.3 name; FAT_NOT_FOUND if absent. */
int dir_lookup(struct fat_volume *vol, uint32_t dir, size_t len, struct dir_slot *slot);
/* The subdirectory an entry names, checked: FAT_CORRUPT for an entry naming dir itself or no cluster. */
int dir_child(struct fat_volume *vol, uint32_t dir, const struct dirent_raw *e, uint32_t *child);
/*
 * Adds an entry named name (len units) with the fields of *e (its name is
 * made here), growing the directory if needed; fills *slot.
 */
int dir_add(struct fat_volume *vol, uint32_t dir, const uint16_t *name, size_t len, struct dirent_raw *e,
            struct dir_slot *slot);
/* Marks the entry and its long-name entries deleted. */
int dir_delete(struct fat_volume *vol, uint32_t dir, const struct dir_slot *slot);
int dir_write_entry(struct fat_volume *vol, uint64_t offset, const struct dirent_raw *e);
int dir_read_entry(struct fat_volume *vol, uint64_t offset, struct dirent_raw *e);
/* Whether the directory holds anything but "." and "..". */
int dir_is_empty(struct fat_volume *vol, uint32_t dir);

/*
 * Walks path to the directory holding its last component: *dir, and the
 * last component as UTF-16 in vol->scratch.target (upper case), *len
 * units (0 for the root itself).  FAT_NOT_FOUND / FAT_NOT_DIR for the
 * components before it.
 */
int path_parent(struct fat_volume *vol, const char *path, size_t path_len, uint32_t *dir, size_t *len);
/* The same, then looks the last component up: *found false if it does not exist (not an error). */
int path_lookup(struct fat_volume *vol, const char *path, size_t path_len, uint32_t *dir, size_t *len,
                struct dir_slot *slot, bool *found);

#endif
