/*
 * The volume: mounting (an MBR's first partition or the whole disk, the
 * BPB checked field by field), the FAT (entries, chains, allocation,
 * freeing), sync, and fat_check.
 *
 * Every cluster number read from disk is checked before it is used, and
 * every chain walk has a bound: a file's walk ends at its size, a free
 * stops at the first cluster already free (which is how a loop shows up
 * there), validation runs Brent's cycle detection, and fat_check marks
 * each cluster once.
 */
#include "fat_internal.h"

#define FAT32_MASK 0x0FFFFFFFu
#define FSINFO_LEAD 0x41615252u
#define FSINFO_STRUCT 0x61417272u
#define FSINFO_TRAIL 0xAA550000u
#define DOS_EPOCH ((uint32_t)((1 << 5) | 1) << 16)   /* 1980-01-01 00:00 */

uint32_t fat_now(struct fat_volume *vol)
{
    return vol->now ? vol->now(vol->now_ctx) : DOS_EPOCH;
}

const char *fat_status_name(int status)
{
    static const char *const names[] = {
        [FAT_OK] = "ok",
        [FAT_NOT_FOUND] = "not found",
        [FAT_EXISTS] = "exists",
        [FAT_NOT_DIR] = "not a directory",
        [FAT_IS_DIR] = "is a directory",
        [FAT_NOT_EMPTY] = "not empty",
        [FAT_NO_SPACE] = "no space",
        [FAT_BAD_HANDLE] = "bad handle",
        [FAT_IO] = "I/O error",
        [FAT_INVALID] = "invalid argument",
        [FAT_NAME_TOO_LONG] = "name too long",
        [FAT_READ_ONLY] = "read-only",
        [FAT_CORRUPT] = "corrupt volume",
        [FAT_TOO_MANY_OPEN] = "too many open",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0] || !names[status])
        return "unknown status";
    return names[status];
}

const char *fat_mount_problem(const struct fat_volume *vol)
{
    return vol->problem ? vol->problem : "";
}

static int corrupt(struct fat_volume *vol, const char *why)
{
    vol->problem = why;
    return FAT_CORRUPT;
}

/* ---- mounting ---- */

static bool looks_like_boot_sector(const uint8_t *s)
{
    return (s[0] == 0xEB && s[2] == 0x90) || s[0] == 0xE9;
}

static bool power_of_two(uint32_t x) { return x && !(x & (x - 1)); }

/* Reads 512 bytes at device sector lba. */
static bool read_sector(struct fat_volume *vol, uint64_t lba, uint8_t *buf)
{
    return vol->dev->wait(vol->dev->ctx, vol->dev->submit(vol->dev->ctx, lba, 1, buf, false));
}

/* Checks the BPB in boot (the volume's first 512 bytes) and sets the geometry from it. */
static int parse_bpb(struct fat_volume *vol, const uint8_t *boot, uint64_t device_sectors_left)
{
    uint32_t bps = get16(boot + 11), spc = boot[13], reserved = get16(boot + 14), copies = boot[16];
    uint32_t root_entries = get16(boot + 17), fatsz16 = get16(boot + 22);
    uint64_t total = get16(boot + 19) ? get16(boot + 19) : get32(boot + 32);
    if (get16(boot + 510) != 0xAA55)
        return corrupt(vol, "the boot sector lacks its 0x55 0xAA signature");
    if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
        return corrupt(vol, "bytes per sector is not 512, 1024, 2048 or 4096");
    if (!power_of_two(spc) || spc * bps > 65536)
        return corrupt(vol, "sectors per cluster is not a power of two giving at most 64 KiB");
    if (reserved == 0)
        return corrupt(vol, "no reserved sectors (the boot sector is one)");
    if (copies == 0 || copies > 4)
        return corrupt(vol, "the number of FATs is not 1 to 4");
    if (total == 0)
        return corrupt(vol, "the volume has no sectors");
    if (total * bps / FAT_SECTOR > device_sectors_left)
        return corrupt(vol, "the volume is larger than the device (a truncated image)");
    uint64_t fatsz = fatsz16;
    vol->fat_bits = 16;
    if (fatsz16 == 0) {
        vol->fat_bits = 32;
        fatsz = get32(boot + 36);
        if (fatsz == 0)
            return corrupt(vol, "the FAT size is zero");
        if (root_entries != 0)
            return corrupt(vol, "a FAT32 BPB gives a fixed root directory");
    } else if (root_entries == 0) {
        return corrupt(vol, "a FAT16 BPB gives no root directory entries");
    }
    uint64_t root_sectors = ((uint64_t)root_entries * DIRENT_SIZE + bps - 1) / bps;
    uint64_t data_sector = reserved + copies * fatsz + root_sectors;
    if (data_sector >= total)
        return corrupt(vol, "the FATs and root directory fill the whole volume");
    uint64_t clusters = (total - data_sector) / spc;
    if (clusters == 0)
        return corrupt(vol, "the volume has no data clusters");
    if (vol->fat_bits == 16 && clusters < 4085) {
        vol->problem = "a FAT12 volume (fewer than 4085 clusters): only FAT16 and FAT32 are supported";
        return FAT_INVALID;
    }
    if (vol->fat_bits == 16 && clusters > 65524)
        return corrupt(vol, "a FAT16 BPB for more than 65524 clusters");
    if (clusters > 0x0FFFFFF5)
        return corrupt(vol, "more clusters than FAT32 can number");
    if (fatsz * bps / (vol->fat_bits / 8) < clusters + 2)
        return corrupt(vol, "the FAT is too small for the clusters of the volume (a truncated FAT)");

    vol->sector_bytes = bps;
    vol->cluster_bytes = spc * bps;
    vol->dirents_per_cluster_shift = (uint32_t)__builtin_ctz(vol->cluster_bytes / DIRENT_SIZE);
    vol->cluster_count = (uint32_t)clusters;
    vol->fat_copies = copies;
    vol->fat_offset = (uint64_t)reserved * bps;
    vol->fat_bytes = fatsz * bps;
    vol->root_offset = vol->fat_offset + copies * vol->fat_bytes;
    vol->root_entries = root_entries;
    vol->data_offset = data_sector * bps;
    vol->volume_bytes = total * bps;
    vol->root_cluster = 0;
    vol->fsinfo_offset = 0;
    if (vol->fat_bits == 32) {
        uint16_t ext_flags = get16(boot + 40);
        if (get16(boot + 42) != 0)
            return corrupt(vol, "a FAT32 version other than 0.0");
        if (ext_flags & 0x80) {
            /* mirroring off: only the active FAT counts */
            uint32_t active = ext_flags & 0x0F;
            if (active >= copies)
                return corrupt(vol, "the active FAT is past the number of FATs");
            vol->fat_offset += active * vol->fat_bytes;
            vol->fat_copies = 1;
        }
        vol->root_cluster = get32(boot + 44);
        if (!cluster_valid(vol, vol->root_cluster))
            return corrupt(vol, "the root directory's cluster is outside the volume");
        uint32_t fsinfo = get16(boot + 48);
        if (fsinfo != 0 && fsinfo != 0xFFFF) {
            if (fsinfo >= reserved)
                return corrupt(vol, "the FSInfo sector is outside the reserved sectors");
            vol->fsinfo_offset = (uint64_t)fsinfo * bps;
        }
    }
    return FAT_OK;
}

static void read_fsinfo(struct fat_volume *vol)
{
    vol->free_clusters = UINT32_MAX;
    vol->next_free = 2;
    if (!vol->fsinfo_offset)
        return;
    uint8_t s[512];
    if (cache_read(vol, vol->fsinfo_offset, s, sizeof s) != FAT_OK)
        return;
    if (get32(s) != FSINFO_LEAD || get32(s + 484) != FSINFO_STRUCT || get32(s + 508) != FSINFO_TRAIL) {
        vol->fsinfo_offset = 0;     /* not an FSInfo sector: leave it alone */
        return;
    }
    uint32_t free = get32(s + 488), next = get32(s + 492);
    if (free <= vol->cluster_count)
        vol->free_clusters = free;
    if (cluster_valid(vol, next))
        vol->next_free = next;
}

/* FAT16 has no FSInfo: count its free clusters (at most 128 KiB of FAT, read 32 entries at a time). */
static int count_free(struct fat_volume *vol)
{
    uint32_t free = 0, end = vol->cluster_count + 2;
    cache_prefetch(vol, vol->fat_offset, (uint64_t)end * 2);
    for (uint32_t c = 0; c < end; c += 32) {
        uint8_t b[64];
        uint32_t n = end - c < 32 ? end - c : 32;
        int status = cache_read(vol, vol->fat_offset + (uint64_t)c * 2, b, n * 2);
        if (status != FAT_OK)
            return status;
        for (uint32_t i = 0; i < n; i++)
            free += c + i >= 2 && get16(b + 2 * i) == 0;
    }
    vol->free_clusters = free;
    return FAT_OK;
}

int fat_mount(struct fat_volume *vol, const struct fat_mount_config *config)
{
    memset(vol, 0, sizeof *vol);
    if (!config || !config->device || !config->device->submit || !config->device->wait || !config->device->flush)
        return FAT_INVALID;
    vol->dev = config->device;
    vol->read_only = config->read_only;
    vol->now = config->now;
    vol->now_ctx = config->now_ctx;
    uint32_t max_request = vol->dev->max_request_sectors ? vol->dev->max_request_sectors : 64;
    if (max_request < FAT_BLOCK / FAT_SECTOR) {
        vol->problem = "the device takes requests of fewer than 8 sectors (a cache block)";
        return FAT_INVALID;
    }
    vol->max_request_bytes = max_request * FAT_SECTOR / FAT_BLOCK * FAT_BLOCK;
    if (vol->max_request_bytes < FAT_BLOCK)
        vol->max_request_bytes = FAT_BLOCK;
    int status = cache_init(vol, config->cache, config->cache_bytes);
    if (status != FAT_OK) {
        vol->problem = "the cache memory is too small";
        return status;
    }
    uint64_t sectors = vol->dev->sectors;
    if (sectors == 0)
        return corrupt(vol, "the device is empty");

    uint8_t sector[512];
    if (!read_sector(vol, 0, sector))
        return FAT_IO;
    if (!looks_like_boot_sector(sector)) {
        /* an MBR: its first partition entry is at 446 (status, CHS, type, CHS, first LBA, sectors) */
        const uint8_t *p = sector + 446;
        uint64_t start = get32(p + 8), length = get32(p + 12);
        if (get16(sector + 510) != 0xAA55 || p[4] == 0 || start == 0 || length == 0) {
            vol->problem = "sector 0 holds neither a FAT boot sector nor an MBR with a first partition";
            return FAT_INVALID;
        }
        if (start >= sectors || length > sectors - start)
            return corrupt(vol, "the first partition runs past the end of the device");
        if (!read_sector(vol, start, sector))
            return FAT_IO;
        if (!looks_like_boot_sector(sector)) {
            vol->problem = "the first partition holds no FAT boot sector";
            return FAT_INVALID;
        }
        vol->part_lba = start;
        sectors = length;
    }
    status = parse_bpb(vol, sector, sectors);
    if (status != FAT_OK)
        return status;
    read_fsinfo(vol);
    if (vol->fat_bits == 16 && (status = count_free(vol)) != FAT_OK)
        return status;
    vol->problem = NULL;
    vol->mounted = true;
    return FAT_OK;
}

void fat_info(const struct fat_volume *vol, struct fat_info *info)
{
    *info = (struct fat_info){
        .fat_bits = vol->fat_bits,
        .cluster_bytes = vol->cluster_bytes,
        .clusters = vol->cluster_count,
        .free_clusters = vol->free_clusters,
        .max_in_flight = vol->max_in_flight,
    };
}

/* ---- the FAT ---- */

int fat_get(struct fat_volume *vol, uint32_t cluster, uint32_t *value)
{
    const uint8_t *b;
    unsigned size = vol->fat_bits / 8;      /* an entry never crosses a block: the FAT starts on a sector */
    int status = cache_peek(vol, vol->fat_offset + (uint64_t)cluster * size, size, &b);
    if (status != FAT_OK)
        return status;
    *value = size == 4 ? get32(b) & FAT32_MASK : get16(b);
    return FAT_OK;
}

int fat_next(struct fat_volume *vol, uint32_t cluster, uint32_t *next)
{
    uint32_t v;
    int status = fat_get(vol, cluster, &v);
    if (status != FAT_OK)
        return status;
    uint32_t end = vol->fat_bits == 32 ? 0x0FFFFFF8 : 0xFFF8;
    if (v >= end) {
        *next = CHAIN_END;
        return FAT_OK;
    }
    if (v == 0)
        return corrupt(vol, "a chain runs into a free cluster");
    if (v == end - 1)
        return corrupt(vol, "a chain runs into a bad cluster");
    if (!cluster_valid(vol, v))
        return corrupt(vol, "a chain names a cluster outside the volume");
    *next = v;
    return FAT_OK;
}

int fat_set(struct fat_volume *vol, uint32_t cluster, uint32_t value)
{
    uint8_t *b;
    int status = cache_poke(vol, vol->fat_offset + (uint64_t)cluster * (vol->fat_bits / 8), vol->fat_bits / 8, &b);
    if (status != FAT_OK)
        return status;
    uint32_t old;
    if (vol->fat_bits == 32) {
        old = get32(b) & FAT32_MASK;
        /* the top four bits are reserved: keep them */
        put32(b, (get32(b) & ~FAT32_MASK) | ((value == CHAIN_END ? 0x0FFFFFFF : value) & FAT32_MASK));
    } else {
        old = get16(b);
        put16(b, value == CHAIN_END ? 0xFFFF : (uint16_t)value);
    }
    if (vol->free_clusters != UINT32_MAX) {
        if (old == 0 && value != 0 && vol->free_clusters > 0)
            vol->free_clusters--;
        else if (old != 0 && value == 0 && vol->free_clusters < vol->cluster_count)
            vol->free_clusters++;
    }
    vol->fsinfo_dirty = true;
    return FAT_OK;
}

int fat_free_chain(struct fat_volume *vol, uint32_t first)
{
    uint32_t c = first;
    if (!cluster_valid(vol, c))
        return corrupt(vol, "a chain starts outside the volume");
    /* Each step frees one allocated cluster, so a loop ends at the first one freed here. */
    for (;;) {
        uint32_t v;
        int status = fat_get(vol, c, &v);
        if (status != FAT_OK)
            return status;
        if (v == 0)
            return corrupt(vol, "a chain runs into a free cluster");
        uint32_t next;
        status = fat_next(vol, c, &next);
        int set = fat_set(vol, c, 0);
        if (set != FAT_OK)
            return set;
        if (status != FAT_OK || next == CHAIN_END)
            return status;
        c = next;
    }
}

int fat_alloc(struct fat_volume *vol, uint32_t count, uint32_t tail, uint32_t *first, uint32_t *last)
{
    *first = *last = 0;
    if (count == 0)
        return FAT_OK;
    if (vol->free_clusters != UINT32_MAX && vol->free_clusters < count)
        return FAT_NO_SPACE;
    /* Search from just after the tail, so a growing file stays contiguous; else from the hint. */
    uint32_t c = cluster_valid(vol, tail) && cluster_valid(vol, tail + 1) ? tail + 1 : vol->next_free;
    if (!cluster_valid(vol, c))
        c = 2;
    /*
     * Each free cluster found is linked from the one before (the search
     * moves forward, so it cannot find one it took again); the last gets
     * the end mark.  Two FAT accesses a cluster.
     */
    uint32_t prev = tail, got = 0;
    int status = FAT_OK;
    for (uint32_t scanned = 0; got < count && scanned < vol->cluster_count; scanned++) {
        uint32_t v;
        if ((status = fat_get(vol, c, &v)) != FAT_OK)
            break;
        if (v == 0) {
            if (prev && (status = fat_set(vol, prev, c)) != FAT_OK)
                break;
            if (!*first)
                *first = c;
            prev = c;
            got++;
        }
        c = c - 2 + 1 < vol->cluster_count ? c + 1 : 2;
    }
    if (*first && prev && status == FAT_OK)
        status = fat_set(vol, prev, CHAIN_END);
    if (status == FAT_OK && got == count) {
        vol->next_free = c;
        *last = prev;
        return FAT_OK;
    }
    /* not enough (or a failure): give back what was taken */
    if (status == FAT_OK)
        status = FAT_NO_SPACE;
    if (*first) {
        if (tail)
            fat_set(vol, tail, CHAIN_END);
        if (prev != tail)
            fat_set(vol, prev, CHAIN_END);
        fat_free_chain(vol, *first);
        *first = 0;
    }
    return status;
}

int chain_seek(struct fat_volume *vol, struct fat_node *node, uint32_t index, uint32_t *cluster)
{
    uint32_t c = node->first_cluster, at = 0;
    if (node->cursor_cluster && node->cursor_index <= index) {
        c = node->cursor_cluster;
        at = node->cursor_index;
    }
    if (!cluster_valid(vol, c))
        return corrupt(vol, "a file's first cluster is outside the volume");
    while (at < index) {
        uint32_t next;
        int status = fat_next(vol, c, &next);
        if (status != FAT_OK)
            return status;
        if (next == CHAIN_END)
            return corrupt(vol, "a chain is shorter than its file");
        c = next;
        at++;
    }
    node->cursor_cluster = c;
    node->cursor_index = at;
    *cluster = c;
    return FAT_OK;
}

/* ---- sync ---- */

int fat_sync(struct fat_volume *vol)
{
    if (!vol->mounted)
        return FAT_INVALID;
    if (vol->read_only)
        return FAT_OK;
    if (vol->fsinfo_offset && vol->fsinfo_dirty) {
        uint8_t b[8];
        put32(b, vol->free_clusters);
        put32(b + 4, vol->next_free);
        int status = cache_write(vol, vol->fsinfo_offset + 488, b, sizeof b);
        if (status != FAT_OK)
            return status;
        vol->fsinfo_dirty = false;
    }
    int status = cache_write_back(vol);
    if (status != FAT_OK)
        return status;
    return vol->dev->flush(vol->dev->ctx) ? FAT_OK : FAT_IO;
}

/* ---- fat_check ---- */

static bool bit_test_and_set(uint8_t *bitmap, uint32_t c)
{
    bool was = bitmap[c / 8] >> (c % 8) & 1;
    bitmap[c / 8] |= (uint8_t)(1u << (c % 8));
    return was;
}

/* Marks the chain from first; *length its clusters.  A cluster marked before is a cross-link or a loop. */
static int mark_chain(struct fat_volume *vol, uint8_t *bitmap, uint32_t first, uint32_t *length)
{
    *length = 0;
    for (uint32_t c = first; c != CHAIN_END;) {
        if (!cluster_valid(vol, c))
            return corrupt(vol, "a chain names a cluster outside the volume");
        if (bit_test_and_set(bitmap, c))
            return corrupt(vol, "a cluster belongs to two chains (cross-linked, or a loop)");
        ++*length;
        int status = fat_next(vol, c, &c);
        if (status != FAT_OK)
            return status;
    }
    return FAT_OK;
}

int fat_check(struct fat_volume *vol, uint8_t *bitmap, size_t bitmap_bytes)
{
    if (!vol->mounted)
        return FAT_INVALID;
    if (!bitmap || bitmap_bytes < ((size_t)vol->cluster_count + 2 + 7) / 8)
        return FAT_INVALID;
    memset(bitmap, 0, ((size_t)vol->cluster_count + 2 + 7) / 8);
    vol->problem = NULL;
    uint32_t length;
    int status;
    if (vol->fat_bits == 32 && (status = mark_chain(vol, bitmap, vol->root_cluster, &length)) != FAT_OK)
        return status;

    /* Depth first, with an explicit stack of directory positions. */
    struct {
        struct dir_cursor cur;
        uint32_t index;
    } stack[FAT_CHECK_DEPTH];
    unsigned depth = 0;
    dir_cursor_init(&stack[0].cur, dir_root(vol));
    stack[0].index = 0;
    depth = 1;
    while (depth) {
        struct dir_slot slot;
        size_t name_len;
        uint32_t dir = stack[depth - 1].cur.dir;
        status = dir_next(vol, &stack[depth - 1].cur, &stack[depth - 1].index, &slot, &name_len, false);
        if (status == FAT_NOT_FOUND) {
            depth--;
            continue;
        }
        if (status != FAT_OK)
            return status;
        uint32_t first = dirent_cluster(&slot.entry, vol);
        if (slot.entry.attributes & FAT_ATTR_DIRECTORY) {
            uint32_t child;
            if ((status = dir_child(vol, dir, &slot.entry, &child)) != FAT_OK)
                return status;
            if ((status = mark_chain(vol, bitmap, child, &length)) != FAT_OK)
                return status;
            if (depth == FAT_CHECK_DEPTH) {
                vol->problem = "directories nest deeper than fat_check follows";
                return FAT_INVALID;
            }
            dir_cursor_init(&stack[depth].cur, child);
            stack[depth].index = 0;
            depth++;
        } else if (first == 0) {
            if (slot.entry.size != 0)
                return corrupt(vol, "a file has a size but no cluster");
        } else {
            if ((status = mark_chain(vol, bitmap, first, &length)) != FAT_OK)
                return status;
            if ((uint64_t)length * vol->cluster_bytes < slot.entry.size)
                return corrupt(vol, "a chain is shorter than its file");
        }
    }
    uint32_t free = 0;
    for (uint32_t c = 2; c - 2 < vol->cluster_count; c++) {
        uint32_t v;
        if ((status = fat_get(vol, c, &v)) != FAT_OK)
            return status;
        free += v == 0;
    }
    if (vol->free_clusters != free) {
        vol->free_clusters = free;
        vol->fsinfo_dirty = true;
    }
    return FAT_OK;
}
