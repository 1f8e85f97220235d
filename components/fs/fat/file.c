/*
 * The operations of fat.h: handles, open files (nodes), reads and writes
 * through the cache or directly, and the namespace operations.
 *
 * A handle is (generation << 16) | (slot + 1): checking it costs a range
 * check, the slot's client and its generation, so a closed handle, a
 * forged one or another client's never reaches a node.  A node is one
 * open file or directory, shared by every handle on it; it remembers
 * where in its chain the last access was (the cursor), so sequential
 * access never walks the chain from the start again.
 */
#include "fat_internal.h"

#define FILE_MAX 0xFFFFFFFFull          /* FAT sizes are 32 bits */
#define READAHEAD_FIRST (16 * 1024)
#define READAHEAD_MAX (128 * 1024)

/* ---- handles and nodes ---- */

static int handle_get(struct fat_volume *vol, uint32_t client, fat_handle_t handle, struct fat_handle_slot **out)
{
    uint32_t index = (handle & 0xFFFF) - 1;
    if (!vol->mounted || index >= FAT_MAX_HANDLES)
        return FAT_BAD_HANDLE;
    struct fat_handle_slot *h = &vol->handles[index];
    if (!h->node || h->client != client || h->generation != handle >> 16)
        return FAT_BAD_HANDLE;
    *out = h;
    return FAT_OK;
}

static struct fat_handle_slot *handle_free_slot(struct fat_volume *vol)
{
    for (unsigned i = 0; i < FAT_MAX_HANDLES; i++)
        if (!vol->handles[i].node)
            return &vol->handles[i];
    return NULL;
}

/*
 * Measures a chain: its length and last cluster, with Brent's cycle
 * detection (a loop is found within twice its length plus its lead-in).
 */
static int chain_measure(struct fat_volume *vol, uint32_t first, uint32_t *length, uint32_t *last)
{
    if (!cluster_valid(vol, first)) {
        vol->problem = "a file or directory starts outside the volume";
        return FAT_CORRUPT;
    }
    uint32_t tortoise = first, hare = first, power = 1, lambda = 0, count = 1;
    for (;;) {
        uint32_t next;
        int status = fat_next(vol, hare, &next);
        if (status != FAT_OK)
            return status;
        if (next == CHAIN_END)
            break;
        hare = next;
        if (hare == tortoise || ++count > vol->cluster_count) {
            vol->problem = "a cluster chain loops";
            return FAT_CORRUPT;
        }
        if (++lambda == power) {
            tortoise = hare;
            power *= 2;
            lambda = 0;
        }
    }
    *length = count;
    *last = hare;
    return FAT_OK;
}

/* The node of an entry (offset 0: the root), made and checked when it is first opened. */
static int node_get(struct fat_volume *vol, uint64_t offset, const struct dirent_raw *e, struct fat_node **out)
{
    struct fat_node *free_node = NULL;
    for (unsigned i = 0; i < FAT_MAX_NODES; i++) {
        struct fat_node *n = &vol->nodes[i];
        if (n->refs && !n->removed && n->entry_offset == offset) {
            *out = n;
            return FAT_OK;
        }
        if (!n->refs && !free_node)
            free_node = n;
    }
    if (!free_node)
        return FAT_TOO_MANY_OPEN;
    struct fat_node n = { .entry_offset = offset };
    if (offset == 0) {
        n.is_dir = true;
        n.attributes = FAT_ATTR_DIRECTORY;
        n.first_cluster = dir_root(vol);
    } else {
        n.is_dir = e->attributes & FAT_ATTR_DIRECTORY;
        n.attributes = e->attributes;
        n.first_cluster = dirent_cluster(e, vol);
        n.size = n.is_dir ? 0 : e->size;
    }
    if (n.first_cluster) {
        int status = chain_measure(vol, n.first_cluster, &n.clusters, &n.last_cluster);
        if (status != FAT_OK)
            return status;
        if (!n.is_dir && (uint64_t)n.clusters * vol->cluster_bytes < n.size) {
            vol->problem = "a chain is shorter than its file";
            return FAT_CORRUPT;
        }
        if (n.is_dir && (uint64_t)n.clusters * vol->cluster_bytes > (uint64_t)DIR_MAX_ENTRIES * DIRENT_SIZE) {
            vol->problem = "a directory is longer than 2 MiB";
            return FAT_CORRUPT;
        }
    } else if (n.size) {
        vol->problem = "a file has a size but no cluster";
        return FAT_CORRUPT;
    } else if (n.is_dir && offset != 0) {
        vol->problem = "a directory entry names no cluster";
        return FAT_CORRUPT;
    }
    *free_node = n;
    *out = free_node;
    return FAT_OK;
}

/* Writes the node's size and first cluster (and the time) into its directory entry. */
static int node_store(struct fat_volume *vol, struct fat_node *node)
{
    if (node->entry_offset == 0 || node->removed)
        return FAT_OK;
    struct dirent_raw e;
    int status = dir_read_entry(vol, node->entry_offset, &e);
    if (status != FAT_OK)
        return status;
    uint32_t now = fat_now(vol);
    e.size = node->is_dir ? 0 : node->size;
    e.cluster_low = (uint16_t)node->first_cluster;
    e.cluster_high = vol->fat_bits == 32 ? (uint16_t)(node->first_cluster >> 16) : 0;
    e.write_date = (uint16_t)(now >> 16);
    e.write_time = (uint16_t)now;
    e.access_date = e.write_date;
    e.attributes |= FAT_ATTR_ARCHIVE;
    return dir_write_entry(vol, node->entry_offset, &e);
}

static int node_release(struct fat_volume *vol, struct fat_node *node)
{
    int status = FAT_OK;
    if (--node->refs == 0 && node->removed && node->first_cluster)
        status = fat_free_chain(vol, node->first_cluster);
    if (node->refs == 0)
        *node = (struct fat_node){ 0 };
    return status;
}

/* ---- data: through the cache or directly, cluster run by run ---- */

/* Moves one contiguous piece of the volume; buf NULL writes zeros (always through the cache). */
static int move_range(struct fat_volume *vol, struct fat_pipe *pipe, uint64_t offset, uint64_t len, uint8_t *buf,
                      bool write)
{
    uint64_t head_end = (offset + FAT_BLOCK - 1) / FAT_BLOCK * FAT_BLOCK;
    uint64_t tail_start = (offset + len) / FAT_BLOCK * FAT_BLOCK;
    if (buf && len >= FAT_DIRECT_MIN && tail_start > head_end && tail_start - head_end >= FAT_DIRECT_MIN / 2) {
        int status;
        uint64_t head = head_end - offset;
        if (head && (status = write ? cache_write(vol, offset, buf, (size_t)head)
                                    : cache_read(vol, offset, buf, (size_t)head)) != FAT_OK)
            return status;
        if ((status = cache_direct(vol, pipe, head_end, tail_start - head_end, buf + head, write)) != FAT_OK)
            return status;
        uint64_t tail = offset + len - tail_start;
        uint8_t *t = buf + (tail_start - offset);
        if (tail && (status = write ? cache_write(vol, tail_start, t, (size_t)tail)
                                    : cache_read(vol, tail_start, t, (size_t)tail)) != FAT_OK)
            return status;
        return FAT_OK;
    }
    return write ? cache_write(vol, offset, buf, (size_t)len) : cache_read(vol, offset, buf, (size_t)len);
}

/* Reads or writes file bytes [pos, pos + len), which its chain covers, in runs of adjacent clusters. */
static int file_transfer(struct fat_volume *vol, struct fat_node *node, uint64_t pos, uint8_t *buf, uint64_t len,
                         bool write)
{
    struct fat_pipe pipe;
    pipe_init(&pipe);
    uint32_t cs = vol->cluster_bytes;
    int status = FAT_OK;
    while (len && status == FAT_OK) {
        uint32_t index = (uint32_t)(pos / cs), in = (uint32_t)(pos % cs), c;
        if ((status = chain_seek(vol, node, index, &c)) != FAT_OK)
            break;
        uint64_t run = cs - in;
        uint32_t last = c, last_index = index;
        while (run < len) {
            uint32_t next;
            if ((status = fat_next(vol, last, &next)) != FAT_OK)
                break;
            if (next == CHAIN_END) {
                vol->problem = "a chain is shorter than its file";
                status = FAT_CORRUPT;
                break;
            }
            if (next != last + 1) {
                node->cursor_cluster = next;    /* the next run starts here */
                node->cursor_index = last_index + 1;
                break;
            }
            last = next;
            last_index++;
            run += cs;
        }
        if (status != FAT_OK)
            break;
        if (run >= len) {
            node->cursor_cluster = last;
            node->cursor_index = last_index;
        }
        uint64_t n = run < len ? run : len;
        status = move_range(vol, &pipe, cluster_offset(vol, c) + in, n, buf, write);
        pos += n;
        len -= n;
        if (buf)
            buf += n;
    }
    int drained = pipe_drain(vol, &pipe);
    return status != FAT_OK ? status : drained;
}

/*
 * Starts reading file bytes [pos, pos + len) into the cache.  It walks the
 * chain with the handle's own cursor, which stays a window ahead of the
 * node's (walking from the node's would cost a window of FAT lookups on
 * every read).
 */
static void file_prefetch(struct fat_volume *vol, struct fat_handle_slot *h, uint64_t pos, uint64_t len)
{
    struct fat_node walker = *h->node;
    if (h->readahead_cluster && h->readahead_shrinks == walker.shrinks) {
        walker.cursor_cluster = h->readahead_cluster;
        walker.cursor_index = h->readahead_index;
    }
    uint32_t cs = vol->cluster_bytes;
    while (len) {
        uint32_t c, in = (uint32_t)(pos % cs);
        if (chain_seek(vol, &walker, (uint32_t)(pos / cs), &c) != FAT_OK)
            break;
        uint64_t n = cs - in < len ? cs - in : len;
        cache_prefetch(vol, cluster_offset(vol, c) + in, n);
        pos += n;
        len -= n;
    }
    h->readahead_cluster = walker.cursor_cluster;
    h->readahead_index = walker.cursor_index;
    h->readahead_shrinks = walker.shrinks;
}

static uint32_t clusters_for(const struct fat_volume *vol, uint64_t size)
{
    return (uint32_t)((size + vol->cluster_bytes - 1) / vol->cluster_bytes);
}

/* Gives the node's chain room for size bytes, and zeros [node->size, zero_to) (the gap an extension leaves). */
static int node_grow(struct fat_volume *vol, struct fat_node *node, uint64_t size, uint64_t zero_to)
{
    uint32_t need = clusters_for(vol, size);
    if (need > node->clusters) {
        uint32_t first, last;
        int status = fat_alloc(vol, need - node->clusters, node->last_cluster, &first, &last);
        if (status != FAT_OK)
            return status;
        if (!node->first_cluster)
            node->first_cluster = first;
        node->clusters = need;
        node->last_cluster = last;
    }
    if (zero_to > node->size) {
        int status = file_transfer(vol, node, node->size, NULL, zero_to - node->size, true);
        if (status != FAT_OK)
            return status;
    }
    return FAT_OK;
}

static int node_resize(struct fat_volume *vol, struct fat_node *node, uint64_t size)
{
    int status;
    if (size > node->size) {
        if ((status = node_grow(vol, node, size, size)) != FAT_OK)
            return status;
    } else if (size < node->size || clusters_for(vol, size) < node->clusters) {
        uint32_t keep = clusters_for(vol, size);
        node->cursor_cluster = 0;
        node->shrinks++;
        if (keep == 0) {
            if (node->first_cluster && (status = fat_free_chain(vol, node->first_cluster)) != FAT_OK)
                return status;
            node->first_cluster = node->last_cluster = 0;
        } else {
            uint32_t c, next;
            if ((status = chain_seek(vol, node, keep - 1, &c)) != FAT_OK ||
                (status = fat_next(vol, c, &next)) != FAT_OK)
                return status;
            if (next != CHAIN_END && ((status = fat_set(vol, c, CHAIN_END)) != FAT_OK ||
                                      (status = fat_free_chain(vol, next)) != FAT_OK))
                return status;
            node->last_cluster = c;
        }
        node->clusters = keep;
    }
    node->size = (uint32_t)size;
    return node_store(vol, node);
}

/* ---- opening and closing ---- */

static bool valid_path_args(const char *path, size_t len) { return path || len == 0; }

int fat_open(struct fat_volume *vol, uint32_t client, const char *path, size_t path_len, unsigned flags,
             fat_handle_t *handle)
{
    *handle = 0;
    const unsigned known = FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE | FAT_O_TRUNCATE | FAT_O_APPEND | FAT_O_EXCLUSIVE;
    if (!vol->mounted || !valid_path_args(path, path_len) || (flags & ~known) ||
        !(flags & (FAT_O_READ | FAT_O_WRITE)) ||
        ((flags & (FAT_O_TRUNCATE | FAT_O_APPEND | FAT_O_CREATE)) && !(flags & FAT_O_WRITE)) ||
        ((flags & FAT_O_EXCLUSIVE) && !(flags & FAT_O_CREATE)))
        return FAT_INVALID;
    bool write = flags & FAT_O_WRITE;
    struct fat_handle_slot *h = handle_free_slot(vol);
    if (!h)
        return FAT_TOO_MANY_OPEN;

    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    int status = path_lookup(vol, path, path_len, &dir, &len, &slot, &found);
    if (status != FAT_OK)
        return status;
    struct fat_node *node;
    if (len == 0) {
        if (write)
            return FAT_IS_DIR;
        if ((status = node_get(vol, 0, NULL, &node)) != FAT_OK)
            return status;
    } else {
        if (found && (flags & FAT_O_EXCLUSIVE))
            return FAT_EXISTS;
        if (found && (slot.entry.attributes & FAT_ATTR_DIRECTORY) && write)
            return FAT_IS_DIR;
        if (write && vol->read_only)
            return FAT_READ_ONLY;
        if (found && write && (slot.entry.attributes & FAT_ATTR_READ_ONLY))
            return FAT_READ_ONLY;
        if (!found) {
            if (!(flags & FAT_O_CREATE))
                return FAT_NOT_FOUND;
            uint32_t now = fat_now(vol);
            struct dirent_raw e = {
                .attributes = FAT_ATTR_ARCHIVE,
                .create_time = (uint16_t)now, .create_date = (uint16_t)(now >> 16),
                .access_date = (uint16_t)(now >> 16),
                .write_time = (uint16_t)now, .write_date = (uint16_t)(now >> 16),
            };
            if ((status = dir_add(vol, dir, vol->scratch.original, len, &e, &slot)) != FAT_OK)
                return status;
        }
        if ((status = node_get(vol, slot.offset, &slot.entry, &node)) != FAT_OK)
            return status;
    }
    node->refs++;
    if ((flags & FAT_O_TRUNCATE) && node->size && (status = node_resize(vol, node, 0)) != FAT_OK) {
        node_release(vol, node);
        return status;
    }
    uint16_t generation = (uint16_t)(h->generation + 1 ? h->generation + 1 : 1);
    *h = (struct fat_handle_slot){ .node = node, .client = client, .generation = generation, .flags = (uint8_t)flags };
    *handle = (uint32_t)generation << 16 | (uint32_t)(h - vol->handles + 1);
    return FAT_OK;
}

int fat_close(struct fat_volume *vol, uint32_t client, fat_handle_t handle)
{
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    struct fat_node *node = h->node;
    h->node = NULL;
    return node_release(vol, node);
}

void fat_close_client(struct fat_volume *vol, uint32_t client)
{
    for (unsigned i = 0; i < FAT_MAX_HANDLES; i++) {
        struct fat_handle_slot *h = &vol->handles[i];
        if (h->node && h->client == client) {
            struct fat_node *node = h->node;
            h->node = NULL;
            node_release(vol, node);
        }
    }
}

int fat_unmount(struct fat_volume *vol)
{
    if (!vol->mounted)
        return FAT_INVALID;
    for (unsigned i = 0; i < FAT_MAX_HANDLES; i++)
        if (vol->handles[i].node) {
            struct fat_node *node = vol->handles[i].node;
            vol->handles[i].node = NULL;
            node_release(vol, node);
        }
    int status = fat_sync(vol);
    cache_settle(vol);
    vol->mounted = false;
    return status;
}

/* ---- reading and writing ---- */

/*
 * Hot path.  Measured in retired instructions of the core alone, rv64imac
 * -O2 (tests/fat/measure.sh, fat_seqread_*): sequential reads of an 8 MiB
 * file take 37 per KiB in 1 MiB pieces and 51 in 64 KiB pieces (direct),
 * 625 per KiB in 4 KiB pieces and 1644 in 512-byte ones (through the
 * cache, with read-ahead).
 */
int fat_read(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t offset, void *buf, size_t len,
             size_t *done)
{
    *done = 0;
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    if (!(h->flags & FAT_O_READ))
        return FAT_BAD_HANDLE;
    struct fat_node *node = h->node;
    if (node->is_dir)
        return FAT_IS_DIR;
    if (!buf && len)
        return FAT_INVALID;
    if (offset >= node->size)
        return FAT_OK;
    uint64_t n = node->size - offset < len ? node->size - offset : len;
    bool sequential = offset == h->next_read;
    if ((status = file_transfer(vol, node, offset, buf, n, false)) != FAT_OK)
        return status;
    *done = (size_t)n;
    h->next_read = offset + n;
    /* Read-ahead for sequential reads small enough to go through the cache. */
    if (sequential && n < FAT_DIRECT_MIN) {
        h->readahead_bytes = h->readahead_bytes ? h->readahead_bytes * 2 : READAHEAD_FIRST;
        if (h->readahead_bytes > READAHEAD_MAX)
            h->readahead_bytes = READAHEAD_MAX;
        uint64_t from = h->readahead_end > h->next_read ? h->readahead_end : h->next_read;
        uint64_t to = h->next_read + h->readahead_bytes;
        if (to > node->size)
            to = node->size;
        if (to > from) {
            file_prefetch(vol, h, from, to - from);
            h->readahead_end = to;
        }
    } else if (!sequential) {
        h->readahead_bytes = 0;
        h->readahead_end = 0;
        h->readahead_cluster = 0;
    }
    return FAT_OK;
}

/*
 * Hot path.  Measured (tests/fat/measure.sh, fat_seqwrite_64k_instructions_per_kib):
 * 134 instructions of the core per KiB for an 8 MiB file written in
 * 64 KiB pieces, allocation and FAT updates included, sync not.
 */
int fat_write(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t offset, const void *buf,
              size_t len, size_t *done)
{
    *done = 0;
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    if (!(h->flags & FAT_O_WRITE))
        return FAT_BAD_HANDLE;
    struct fat_node *node = h->node;
    if (!buf && len)
        return FAT_INVALID;
    if (h->flags & FAT_O_APPEND)
        offset = node->size;
    if (len == 0)
        return FAT_OK;
    if (offset > FILE_MAX || len > FILE_MAX - offset)
        return FAT_INVALID;
    uint64_t end = offset + len;
    if ((status = node_grow(vol, node, end > node->size ? end : node->size, offset)) != FAT_OK)
        return status;
    if ((status = file_transfer(vol, node, offset, (uint8_t *)(uintptr_t)buf, len, true)) != FAT_OK)
        return status;
    if (end > node->size)
        node->size = (uint32_t)end;
    *done = len;
    return node_store(vol, node);
}

int fat_truncate(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint64_t size)
{
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    if (!(h->flags & FAT_O_WRITE))
        return FAT_BAD_HANDLE;
    if (size > FILE_MAX)
        return FAT_INVALID;
    return node_resize(vol, h->node, size);
}

/* ---- stat and readdir ---- */

static void stat_of_entry(const struct dirent_raw *e, struct fat_stat *st)
{
    st->is_dir = e->attributes & FAT_ATTR_DIRECTORY;
    st->size = st->is_dir ? 0 : e->size;
    st->attributes = e->attributes;
    st->mtime = (uint32_t)e->write_date << 16 | e->write_time;
}

int fat_fstat(struct fat_volume *vol, uint32_t client, fat_handle_t handle, struct fat_stat *st)
{
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    struct fat_node *node = h->node;
    *st = (struct fat_stat){ .size = node->size, .attributes = node->attributes, .is_dir = node->is_dir };
    if (node->entry_offset && !node->removed) {
        struct dirent_raw e;
        if ((status = dir_read_entry(vol, node->entry_offset, &e)) != FAT_OK)
            return status;
        st->mtime = (uint32_t)e.write_date << 16 | e.write_time;
        st->attributes = e.attributes;
    }
    return FAT_OK;
}

int fat_stat(struct fat_volume *vol, const char *path, size_t path_len, struct fat_stat *st)
{
    if (!vol->mounted || !valid_path_args(path, path_len))
        return FAT_INVALID;
    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    int status = path_lookup(vol, path, path_len, &dir, &len, &slot, &found);
    if (status != FAT_OK)
        return status;
    if (len == 0) {
        *st = (struct fat_stat){ .attributes = FAT_ATTR_DIRECTORY, .is_dir = true };
        return FAT_OK;
    }
    if (!found)
        return FAT_NOT_FOUND;
    stat_of_entry(&slot.entry, st);
    /* an open file's size may be ahead of its entry only until node_store, which every write does */
    return FAT_OK;
}

int fat_readdir(struct fat_volume *vol, uint32_t client, fat_handle_t handle, uint32_t *cookie,
                struct fat_dirent *entry)
{
    struct fat_handle_slot *h;
    int status = handle_get(vol, client, handle, &h);
    if (status != FAT_OK)
        return status;
    struct fat_node *node = h->node;
    entry->name_len = 0;
    entry->name[0] = 0;
    if (!node->is_dir)
        return FAT_NOT_DIR;
    if (node->removed)
        return FAT_OK;
    struct dir_cursor cur;
    dir_cursor_init(&cur, node->first_cluster);
    if (h->dir_cluster && cur.dir) {
        cur.cluster = h->dir_cluster;
        cur.cluster_index = h->dir_cluster_index;
    }
    struct dir_slot slot;
    size_t len;
    uint32_t index = *cookie;
    status = dir_next(vol, &cur, &index, &slot, &len, false);
    h->dir_cluster = cur.cluster;
    h->dir_cluster_index = cur.cluster_index;
    if (status == FAT_NOT_FOUND)
        return FAT_OK;
    if (status != FAT_OK)
        return status;
    entry->name_len = (uint16_t)name_to_utf8(vol->scratch.entry, len, entry->name);
    stat_of_entry(&slot.entry, &entry->stat);
    *cookie = index;
    return FAT_OK;
}

/* ---- the namespace ---- */

/* Finds the open node of an entry, if any. */
static struct fat_node *node_open(struct fat_volume *vol, uint64_t offset)
{
    for (unsigned i = 0; i < FAT_MAX_NODES; i++)
        if (vol->nodes[i].refs && !vol->nodes[i].removed && vol->nodes[i].entry_offset == offset)
            return &vol->nodes[i];
    return NULL;
}

/* Deletes an entry; its clusters go now, or at its last close if it is open. */
static int remove_entry(struct fat_volume *vol, uint32_t dir, const struct dir_slot *slot, uint32_t first)
{
    int status = dir_delete(vol, dir, slot);
    if (status != FAT_OK)
        return status;
    struct fat_node *node = node_open(vol, slot->offset);
    if (node) {
        node->removed = true;
        return FAT_OK;
    }
    return first ? fat_free_chain(vol, first) : FAT_OK;
}

int fat_remove(struct fat_volume *vol, const char *path, size_t path_len)
{
    if (!vol->mounted || !valid_path_args(path, path_len))
        return FAT_INVALID;
    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    int status = path_lookup(vol, path, path_len, &dir, &len, &slot, &found);
    if (status != FAT_OK)
        return status;
    if (len == 0)
        return FAT_IS_DIR;
    if (!found)
        return FAT_NOT_FOUND;
    if (slot.entry.attributes & FAT_ATTR_DIRECTORY)
        return FAT_IS_DIR;
    if (vol->read_only || (slot.entry.attributes & FAT_ATTR_READ_ONLY))
        return FAT_READ_ONLY;
    uint32_t first = dirent_cluster(&slot.entry, vol);
    if (first && !cluster_valid(vol, first)) {
        vol->problem = "a file starts outside the volume";
        return FAT_CORRUPT;
    }
    return remove_entry(vol, dir, &slot, first);
}

int fat_mkdir(struct fat_volume *vol, const char *path, size_t path_len)
{
    if (!vol->mounted || !valid_path_args(path, path_len))
        return FAT_INVALID;
    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    int status = path_lookup(vol, path, path_len, &dir, &len, &slot, &found);
    if (status != FAT_OK)
        return status;
    if (len == 0 || found)
        return FAT_EXISTS;
    if (vol->read_only)
        return FAT_READ_ONLY;
    uint32_t c, last;
    if ((status = fat_alloc(vol, 1, 0, &c, &last)) != FAT_OK)
        return status;
    uint32_t now = fat_now(vol);
    struct dirent_raw e = {
        .attributes = FAT_ATTR_DIRECTORY,
        .create_time = (uint16_t)now, .create_date = (uint16_t)(now >> 16), .access_date = (uint16_t)(now >> 16),
        .write_time = (uint16_t)now, .write_date = (uint16_t)(now >> 16),
        .cluster_low = (uint16_t)c, .cluster_high = vol->fat_bits == 32 ? (uint16_t)(c >> 16) : 0,
    };
    /* "." names the new directory, ".." its parent (0 for the root, on FAT32 too) */
    struct dirent_raw dot = e, dotdot = e;
    memcpy(dot.name, ".          ", 11);
    memcpy(dotdot.name, "..         ", 11);
    uint32_t parent = dir == dir_root(vol) ? 0 : dir;
    dotdot.cluster_low = (uint16_t)parent;
    dotdot.cluster_high = vol->fat_bits == 32 ? (uint16_t)(parent >> 16) : 0;
    uint64_t at = cluster_offset(vol, c);
    if ((status = cache_write(vol, at, NULL, vol->cluster_bytes)) != FAT_OK ||
        (status = dir_write_entry(vol, at, &dot)) != FAT_OK ||
        (status = dir_write_entry(vol, at + DIRENT_SIZE, &dotdot)) != FAT_OK ||
        (status = dir_add(vol, dir, vol->scratch.original, len, &e, &slot)) != FAT_OK) {
        fat_free_chain(vol, c);
        return status;
    }
    return FAT_OK;
}

int fat_rmdir(struct fat_volume *vol, const char *path, size_t path_len)
{
    if (!vol->mounted || !valid_path_args(path, path_len))
        return FAT_INVALID;
    uint32_t dir;
    size_t len;
    struct dir_slot slot;
    bool found;
    int status = path_lookup(vol, path, path_len, &dir, &len, &slot, &found);
    if (status != FAT_OK)
        return status;
    if (len == 0)
        return FAT_INVALID;         /* the root stays */
    if (!found)
        return FAT_NOT_FOUND;
    if (!(slot.entry.attributes & FAT_ATTR_DIRECTORY))
        return FAT_NOT_DIR;
    if (vol->read_only)
        return FAT_READ_ONLY;
    uint32_t child;
    if ((status = dir_child(vol, dir, &slot.entry, &child)) != FAT_OK ||
        (status = dir_is_empty(vol, child)) != FAT_OK)
        return status;
    return remove_entry(vol, dir, &slot, child);
}

/* Whether directory inside is dir or below it: up through the ".." entries, bounded. */
static int dir_inside(struct fat_volume *vol, uint32_t inside, uint32_t dir, bool *result)
{
    *result = false;
    uint32_t root = dir_root(vol);
    for (uint32_t steps = 0; inside != root && inside != 0; steps++) {
        if (inside == dir) {
            *result = true;
            return FAT_OK;
        }
        if (steps > vol->cluster_count) {
            vol->problem = "the \"..\" entries loop";
            return FAT_CORRUPT;
        }
        struct dir_cursor cur;
        dir_cursor_init(&cur, inside);
        uint64_t offset;
        struct dirent_raw e;
        int status = dir_entry_offset(vol, &cur, 1, &offset);
        if (status == FAT_OK)
            status = dir_read_entry(vol, offset, &e);
        if (status != FAT_OK)
            return status == FAT_NOT_FOUND ? FAT_CORRUPT : status;
        if (memcmp(e.name, "..         ", 11) != 0) {
            vol->problem = "a directory lacks its \"..\" entry";
            return FAT_CORRUPT;
        }
        uint32_t up = dirent_cluster(&e, vol);
        if (up != 0 && !cluster_valid(vol, up)) {
            vol->problem = "a \"..\" entry names a cluster outside the volume";
            return FAT_CORRUPT;
        }
        inside = up;
    }
    return FAT_OK;
}

int fat_rename(struct fat_volume *vol, const char *from, size_t from_len, const char *to, size_t to_len)
{
    if (!vol->mounted || !valid_path_args(from, from_len) || !valid_path_args(to, to_len))
        return FAT_INVALID;
    uint32_t from_dir, to_dir;
    size_t len;
    struct dir_slot old, existing, fresh;
    bool found;
    int status = path_lookup(vol, from, from_len, &from_dir, &len, &old, &found);
    if (status != FAT_OK)
        return status;
    if (len == 0)
        return FAT_INVALID;
    if (!found)
        return FAT_NOT_FOUND;
    if ((status = path_lookup(vol, to, to_len, &to_dir, &len, &existing, &found)) != FAT_OK)
        return status;
    if (len == 0)
        return FAT_EXISTS;
    if (found && existing.offset != old.offset)
        return FAT_EXISTS;
    if (vol->read_only)
        return FAT_READ_ONLY;
    bool is_dir = old.entry.attributes & FAT_ATTR_DIRECTORY;
    uint32_t child = 0;
    if (is_dir) {
        bool inside;
        if ((status = dir_child(vol, from_dir, &old.entry, &child)) != FAT_OK ||
            (status = dir_inside(vol, to_dir, child, &inside)) != FAT_OK)
            return status;
        if (inside)
            return FAT_INVALID;     /* a directory cannot move into itself */
    }
    /* the new entry first, then the old one goes: a failure leaves the old name */
    struct dirent_raw e = old.entry;
    if ((status = dir_add(vol, to_dir, vol->scratch.original, len, &e, &fresh)) != FAT_OK)
        return status;
    if ((status = dir_delete(vol, from_dir, &old)) != FAT_OK)
        return status;
    if (is_dir && to_dir != from_dir) {
        struct dir_cursor cur;
        dir_cursor_init(&cur, child);
        uint64_t offset;
        struct dirent_raw dotdot;
        if ((status = dir_entry_offset(vol, &cur, 1, &offset)) != FAT_OK ||
            (status = dir_read_entry(vol, offset, &dotdot)) != FAT_OK)
            return status;
        uint32_t parent = to_dir == dir_root(vol) ? 0 : to_dir;
        dotdot.cluster_low = (uint16_t)parent;
        dotdot.cluster_high = vol->fat_bits == 32 ? (uint16_t)(parent >> 16) : 0;
        if ((status = dir_write_entry(vol, offset, &dotdot)) != FAT_OK)
            return status;
    }
    struct fat_node *node = node_open(vol, old.offset);
    if (node)
        node->entry_offset = fresh.offset;
    return FAT_OK;
}
