/*
 * The block cache: the caller's memory cut into 4 KiB blocks of the
 * volume, found through a hash table, replaced least recently used first.
 *
 * An entry is in one of four states:
 *
 *   EMPTY     holds nothing; not in the hash table
 *   READING   a read is in flight (read-ahead); the first user waits for it
 *   CLEAN     holds what the disk holds
 *   DIRTY     holds newer bytes than the disk
 *
 * Writes are in flight only inside the functions that issue them, which
 * wait for them before they return; so between calls every entry but
 * read-ahead ones is settled, and nobody changes a block while it is being
 * written.  Eviction takes the least recently used CLEAN or EMPTY entry;
 * when there is none it writes back the oldest dirty ones, a pipe's worth
 * at a time.
 *
 * FAT copies: only the first copy is ever read or changed through the
 * cache; when a block holding part of it is written back, the same bytes
 * are also written to each other copy, and laid into any cached block
 * there first (a block can straddle the end of one copy and the start of
 * the next), so what the cache holds and what goes to disk agree.
 */
#include "fat_internal.h"

static uint32_t block_bytes(const struct fat_volume *vol, uint32_t block)
{
    uint64_t start = (uint64_t)block * FAT_BLOCK;
    return vol->volume_bytes - start < FAT_BLOCK ? (uint32_t)(vol->volume_bytes - start) : FAT_BLOCK;
}

int cache_init(struct fat_volume *vol, void *memory, size_t bytes)
{
    uintptr_t start = ((uintptr_t)memory + FAT_BLOCK - 1) & ~(uintptr_t)(FAT_BLOCK - 1);
    size_t pad = start - (uintptr_t)memory;
    if (!memory || bytes < pad)
        return FAT_INVALID;
    size_t per_block = FAT_BLOCK + sizeof(struct fat_cache_entry) + sizeof(struct fat_cache_entry *);
    size_t n = (bytes - pad) / per_block;
    if (n < FAT_CACHE_MIN_BLOCKS)
        return FAT_INVALID;
    if (n > UINT32_MAX / 2)
        n = UINT32_MAX / 2;
    uint32_t buckets = 1;
    while (buckets * 2 <= n)
        buckets *= 2;
    uint8_t *data = (uint8_t *)start;
    vol->cache_entries = (struct fat_cache_entry *)(data + n * FAT_BLOCK);
    vol->cache_buckets = (struct fat_cache_entry **)(vol->cache_entries + n);
    vol->cache_count = (uint32_t)n;
    vol->cache_bucket_mask = buckets - 1;
    for (uint32_t i = 0; i < buckets; i++)
        vol->cache_buckets[i] = NULL;
    for (uint32_t i = 0; i < n; i++) {
        struct fat_cache_entry *e = &vol->cache_entries[i];
        *e = (struct fat_cache_entry){ .data = data + (size_t)i * FAT_BLOCK, .state = CACHE_EMPTY };
        e->older = i + 1 < n ? e + 1 : NULL;
        e->newer = i > 0 ? e - 1 : NULL;
    }
    vol->lru_newest = &vol->cache_entries[0];
    vol->lru_oldest = &vol->cache_entries[n - 1];
    vol->cache_last = NULL;
    vol->cache_dirty = vol->cache_reading = 0;
    return FAT_OK;
}

/* ---- lookup and the LRU list ---- */

static struct fat_cache_entry *lookup(struct fat_volume *vol, uint32_t block)
{
    for (struct fat_cache_entry *e = vol->cache_buckets[block & vol->cache_bucket_mask]; e; e = e->hash_next)
        if (e->block == block)
            return e;
    return NULL;
}

static void hash_insert(struct fat_volume *vol, struct fat_cache_entry *e)
{
    struct fat_cache_entry **bucket = &vol->cache_buckets[e->block & vol->cache_bucket_mask];
    e->hash_next = *bucket;
    *bucket = e;
}

static void hash_remove(struct fat_volume *vol, struct fat_cache_entry *e)
{
    struct fat_cache_entry **p = &vol->cache_buckets[e->block & vol->cache_bucket_mask];
    while (*p && *p != e)
        p = &(*p)->hash_next;
    if (*p)
        *p = e->hash_next;
}

static void lru_touch(struct fat_volume *vol, struct fat_cache_entry *e)
{
    if (vol->lru_newest == e)
        return;
    /* unlink (e is not the newest, so it has a newer neighbour) */
    e->newer->older = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        vol->lru_oldest = e->newer;
    /* push at the newest end */
    e->newer = NULL;
    e->older = vol->lru_newest;
    vol->lru_newest->newer = e;
    vol->lru_newest = e;
}

static void drop(struct fat_volume *vol, struct fat_cache_entry *e)
{
    if (e->state == CACHE_DIRTY)
        vol->cache_dirty--;
    if (e->state != CACHE_EMPTY)
        hash_remove(vol, e);
    e->state = CACHE_EMPTY;
    if (vol->cache_last == e)
        vol->cache_last = NULL;
}

static void mark_dirty(struct fat_volume *vol, struct fat_cache_entry *e)
{
    if (e->state != CACHE_DIRTY) {
        e->state = CACHE_DIRTY;
        vol->cache_dirty++;
    }
}

/* Waits for a read-ahead; a failed one just empties the entry (a real read tries again). */
static void finish_read(struct fat_volume *vol, struct fat_cache_entry *e)
{
    bool ok = io_wait(vol, e->io);
    vol->cache_reading--;
    e->state = CACHE_CLEAN;
    if (!ok) {
        drop(vol, e);
        return;
    }
    uint32_t valid = block_bytes(vol, e->block);
    if (valid < FAT_BLOCK)
        memset(e->data + valid, 0, FAT_BLOCK - valid);
}

void cache_settle(struct fat_volume *vol)
{
    for (uint32_t i = 0; vol->cache_reading && i < vol->cache_count; i++)
        if (vol->cache_entries[i].state == CACHE_READING)
            finish_read(vol, &vol->cache_entries[i]);
}

/* ---- write-back ---- */

/*
 * Lays bytes bound for volume [offset, offset + len) into the cached blocks
 * they overlap, which stay as clean or dirty as they were: the same bytes
 * are on their way to the disk.
 */
static void lay_into_cache(struct fat_volume *vol, uint64_t offset, uint64_t len, const uint8_t *src)
{
    uint32_t first = (uint32_t)(offset / FAT_BLOCK), last = (uint32_t)((offset + len - 1) / FAT_BLOCK);
    for (uint32_t b = first; b <= last; b++) {
        struct fat_cache_entry *e = lookup(vol, b);
        if (!e)
            continue;
        if (e->state == CACHE_READING)
            finish_read(vol, e);
        if (e->state == CACHE_EMPTY)
            continue;
        uint64_t start = (uint64_t)b * FAT_BLOCK;
        uint64_t from = offset > start ? offset : start;
        uint64_t to = offset + len < start + FAT_BLOCK ? offset + len : start + FAT_BLOCK;
        fat_copy(e->data + (from - start), src + (from - offset), (size_t)(to - from));
    }
}

/* The part of block e that lies in the first FAT copy: [*from, *to) in volume bytes; false if none. */
static bool fat_part(const struct fat_volume *vol, const struct fat_cache_entry *e, uint64_t *from, uint64_t *to)
{
    uint64_t start = (uint64_t)e->block * FAT_BLOCK, end = start + block_bytes(vol, e->block);
    uint64_t fat_end = vol->fat_offset + vol->fat_bytes;
    *from = start > vol->fat_offset ? start : vol->fat_offset;
    *to = end < fat_end ? end : fat_end;
    return vol->fat_copies > 1 && *from < *to;
}

/* Writes every selected entry (and its FAT mirrors), waits, and marks them clean (dirty again on failure). */
static int write_selected(struct fat_volume *vol)
{
    /* First lay the FAT mirrors into the cache, so no block is changed once writes are in flight. */
    for (uint32_t i = 0; i < vol->cache_count; i++) {
        struct fat_cache_entry *e = &vol->cache_entries[i];
        uint64_t from, to;
        if (e->selected && fat_part(vol, e, &from, &to))
            for (uint32_t copy = 1; copy < vol->fat_copies; copy++)
                lay_into_cache(vol, from + copy * vol->fat_bytes, to - from,
                               e->data + (from - (uint64_t)e->block * FAT_BLOCK));
    }
    struct fat_pipe pipe;
    pipe_init(&pipe);
    for (uint32_t i = 0; i < vol->cache_count; i++) {
        struct fat_cache_entry *e = &vol->cache_entries[i];
        if (!e->selected)
            continue;
        uint64_t start = (uint64_t)e->block * FAT_BLOCK, from, to;
        pipe_add(vol, &pipe, start, block_bytes(vol, e->block), e->data, true);
        if (fat_part(vol, e, &from, &to))
            for (uint32_t copy = 1; copy < vol->fat_copies; copy++)
                pipe_add(vol, &pipe, from + copy * vol->fat_bytes, (uint32_t)(to - from), e->data + (from - start),
                         true);
        e->state = CACHE_CLEAN;
        vol->cache_dirty--;
    }
    int status = pipe_drain(vol, &pipe);
    for (uint32_t i = 0; i < vol->cache_count; i++) {
        struct fat_cache_entry *e = &vol->cache_entries[i];
        if (e->selected && status != FAT_OK)
            mark_dirty(vol, e);
        e->selected = false;
    }
    return status;
}

int cache_write_back(struct fat_volume *vol)
{
    if (!vol->cache_dirty)
        return FAT_OK;
    for (uint32_t i = 0; i < vol->cache_count; i++)
        vol->cache_entries[i].selected = vol->cache_entries[i].state == CACHE_DIRTY;
    return write_selected(vol);
}

/* Writes back the oldest dirty entries, up to a pipe's worth. */
static int write_back_oldest(struct fat_volume *vol)
{
    unsigned n = 0;
    for (struct fat_cache_entry *e = vol->lru_oldest; e && n < FAT_PIPE_DEPTH; e = e->newer)
        if (e->state == CACHE_DIRTY) {
            e->selected = true;
            n++;
        }
    return write_selected(vol);
}

/* ---- getting a block ---- */

/* A free entry, unhashed: the oldest empty or clean one, after writing back or waiting if need be. */
static int take(struct fat_volume *vol, bool may_write_back, struct fat_cache_entry **out)
{
    for (;;) {
        for (struct fat_cache_entry *e = vol->lru_oldest; e; e = e->newer)
            if (e->state == CACHE_EMPTY || e->state == CACHE_CLEAN) {
                drop(vol, e);
                vol->cache_epoch++;
                *out = e;
                return FAT_OK;
            }
        if (!may_write_back)
            return FAT_NO_SPACE;
        if (vol->cache_dirty) {
            int status = write_back_oldest(vol);
            if (status != FAT_OK)
                return status;
        } else {
            /* every entry is a read-ahead in flight: wait for the oldest */
            for (struct fat_cache_entry *e = vol->lru_oldest; e; e = e->newer)
                if (e->state == CACHE_READING) {
                    finish_read(vol, e);
                    break;
                }
        }
    }
}

/* Block number block, read from the disk if need_data (else the caller overwrites all of it). */
static int get(struct fat_volume *vol, uint32_t block, bool need_data, struct fat_cache_entry **out)
{
    struct fat_cache_entry *e = vol->cache_last;
    if (e && e->block == block && e->state >= CACHE_CLEAN) {
        lru_touch(vol, e);
        *out = e;
        return FAT_OK;
    }
    e = lookup(vol, block);
    if (e && e->state == CACHE_READING)
        finish_read(vol, e);
    if (!e || e->state == CACHE_EMPTY) {
        int status = take(vol, true, &e);
        if (status != FAT_OK)
            return status;
        e->block = block;
        uint32_t valid = block_bytes(vol, block);
        if (need_data) {
            if (!io_wait(vol, io_submit(vol, (uint64_t)block * FAT_BLOCK, valid, e->data, false)))
                return FAT_IO;
        }
        if (!need_data || valid < FAT_BLOCK)
            memset(e->data + (need_data ? valid : 0), 0, FAT_BLOCK - (need_data ? valid : 0));
        e->state = CACHE_CLEAN;
        hash_insert(vol, e);
    }
    lru_touch(vol, e);
    vol->cache_last = e;
    *out = e;
    return FAT_OK;
}

void cache_prefetch(struct fat_volume *vol, uint64_t offset, uint64_t len)
{
    if (len == 0 || offset >= vol->volume_bytes)
        return;
    if (len > vol->volume_bytes - offset)
        len = vol->volume_bytes - offset;
    uint32_t first = (uint32_t)(offset / FAT_BLOCK), last = (uint32_t)((offset + len - 1) / FAT_BLOCK);
    /* Read-ahead never takes more than half the cache, nor more than half the requests the core may have out. */
    for (uint32_t b = first; b <= last; b++) {
        if (vol->cache_reading >= vol->cache_count / 2 || vol->in_flight >= FAT_MAX_IN_FLIGHT - FAT_PIPE_DEPTH)
            return;
        if (lookup(vol, b))
            continue;
        struct fat_cache_entry *e;
        if (take(vol, false, &e) != FAT_OK)
            return;
        e->block = b;
        e->state = CACHE_READING;
        e->io = io_submit(vol, (uint64_t)b * FAT_BLOCK, block_bytes(vol, b), e->data, false);
        vol->cache_reading++;
        hash_insert(vol, e);
        lru_touch(vol, e);
    }
}

/* ---- copying in and out ---- */

int cache_read(struct fat_volume *vol, uint64_t offset, void *buf, size_t len)
{
    if (offset > vol->volume_bytes || len > vol->volume_bytes - offset)
        return FAT_CORRUPT;
    if (len > FAT_BLOCK)
        cache_prefetch(vol, offset, len);
    uint8_t *dst = buf;
    while (len) {
        uint32_t in = (uint32_t)(offset % FAT_BLOCK);
        size_t n = len < FAT_BLOCK - in ? len : FAT_BLOCK - in;
        struct fat_cache_entry *e;
        int status = get(vol, (uint32_t)(offset / FAT_BLOCK), true, &e);
        if (status != FAT_OK)
            return status;
        fat_copy(dst, e->data + in, n);
        dst += n;
        offset += n;
        len -= n;
    }
    return FAT_OK;
}

int cache_peek(struct fat_volume *vol, uint64_t offset, size_t len, const uint8_t **p)
{
    if (offset > vol->volume_bytes || len > vol->volume_bytes - offset || offset % FAT_BLOCK + len > FAT_BLOCK)
        return FAT_CORRUPT;
    struct fat_cache_entry *e;
    int status = get(vol, (uint32_t)(offset / FAT_BLOCK), true, &e);
    if (status == FAT_OK)
        *p = e->data + offset % FAT_BLOCK;
    return status;
}

int cache_poke(struct fat_volume *vol, uint64_t offset, size_t len, uint8_t **p)
{
    if (offset > vol->volume_bytes || len > vol->volume_bytes - offset || offset % FAT_BLOCK + len > FAT_BLOCK)
        return FAT_CORRUPT;
    struct fat_cache_entry *e;
    int status = get(vol, (uint32_t)(offset / FAT_BLOCK), true, &e);
    if (status == FAT_OK) {
        mark_dirty(vol, e);
        *p = e->data + offset % FAT_BLOCK;
    }
    return status;
}

int cache_write(struct fat_volume *vol, uint64_t offset, const void *src, size_t len)
{
    if (offset > vol->volume_bytes || len > vol->volume_bytes - offset)
        return FAT_CORRUPT;
    const uint8_t *from = src;
    while (len) {
        uint32_t block = (uint32_t)(offset / FAT_BLOCK), in = (uint32_t)(offset % FAT_BLOCK);
        size_t n = len < FAT_BLOCK - in ? len : FAT_BLOCK - in;
        struct fat_cache_entry *e;
        int status = get(vol, block, !(in == 0 && n == block_bytes(vol, block)), &e);
        if (status != FAT_OK)
            return status;
        if (from)
            fat_copy(e->data + in, from, n);
        else
            memset(e->data + in, 0, n);
        mark_dirty(vol, e);
        if (from)
            from += n;
        offset += n;
        len -= n;
    }
    return FAT_OK;
}

/* ---- direct transfers ---- */

int cache_direct(struct fat_volume *vol, struct fat_pipe *pipe, uint64_t offset, uint64_t len, void *buf,
                 bool write)
{
    if (len == 0)
        return FAT_OK;
    if (offset % FAT_BLOCK || len % FAT_BLOCK || offset > vol->volume_bytes || len > vol->volume_bytes - offset)
        return FAT_CORRUPT;
    uint32_t first = (uint32_t)(offset / FAT_BLOCK), count = (uint32_t)(len / FAT_BLOCK);
    /*
     * Coherence with the cache: a direct write updates the cached copies of
     * its blocks; a direct read first writes back the ones that are dirty,
     * so the disk it reads is current.  (Walk whichever is shorter: the
     * range or the cache.)
     */
    if (write) {
        lay_into_cache(vol, offset, len, buf);
    } else if (vol->cache_dirty) {
        unsigned selected = 0;
        if (count <= vol->cache_count) {
            for (uint32_t b = first; b < first + count; b++) {
                struct fat_cache_entry *e = lookup(vol, b);
                if (e && e->state == CACHE_DIRTY)
                    e->selected = true, selected++;
            }
        } else {
            for (uint32_t i = 0; i < vol->cache_count; i++) {
                struct fat_cache_entry *e = &vol->cache_entries[i];
                if (e->state == CACHE_DIRTY && e->block - first < count)
                    e->selected = true, selected++;
            }
        }
        if (selected) {
            int status = write_selected(vol);
            if (status != FAT_OK)
                return status;
        }
    }
    /* Cut into requests, small enough that a long transfer keeps the pipe full. */
    uint64_t chunk = len / 8 / FAT_BLOCK * FAT_BLOCK;
    if (chunk > vol->max_request_bytes)
        chunk = vol->max_request_bytes;
    if (chunk < FAT_BLOCK)
        chunk = FAT_BLOCK;
    uint8_t *p = buf;
    for (uint64_t done = 0; done < len; done += chunk) {
        uint64_t n = len - done < chunk ? len - done : chunk;
        pipe_add(vol, pipe, offset + done, (uint32_t)n, p + done, write);
    }
    return FAT_OK;
}
