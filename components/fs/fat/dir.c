/*
 * Directories: a FAT16 root is a fixed run of entries, any other directory
 * a cluster chain of at most 65536 entries (2 MiB), which bounds every
 * walk through one.  An entry with a long name is a run of long-name
 * entries, highest order first, then the 8.3 entry whose checksum they
 * carry; a run that breaks its order or checksum is ignored (the 8.3 name
 * stands), as the specification says.
 */
#include "fat_internal.h"

void dirent_decode(const uint8_t b[DIRENT_SIZE], struct dirent_raw *e)
{
    memcpy(e->name, b, 11);
    e->attributes = b[11];
    e->case_bits = b[12];
    e->create_tenths = b[13];
    e->create_time = get16(b + 14);
    e->create_date = get16(b + 16);
    e->access_date = get16(b + 18);
    e->cluster_high = get16(b + 20);
    e->write_time = get16(b + 22);
    e->write_date = get16(b + 24);
    e->cluster_low = get16(b + 26);
    e->size = get32(b + 28);
}

void dirent_encode(const struct dirent_raw *e, uint8_t b[DIRENT_SIZE])
{
    memcpy(b, e->name, 11);
    b[11] = e->attributes;
    b[12] = e->case_bits;
    b[13] = e->create_tenths;
    put16(b + 14, e->create_time);
    put16(b + 16, e->create_date);
    put16(b + 18, e->access_date);
    put16(b + 20, e->cluster_high);
    put16(b + 22, e->write_time);
    put16(b + 24, e->write_date);
    put16(b + 26, e->cluster_low);
    put32(b + 28, e->size);
}

int dir_read_entry(struct fat_volume *vol, uint64_t offset, struct dirent_raw *e)
{
    uint8_t b[DIRENT_SIZE];
    int status = cache_read(vol, offset, b, sizeof b);
    if (status == FAT_OK)
        dirent_decode(b, e);
    return status;
}

int dir_write_entry(struct fat_volume *vol, uint64_t offset, const struct dirent_raw *e)
{
    uint8_t b[DIRENT_SIZE];
    dirent_encode(e, b);
    return cache_write(vol, offset, b, sizeof b);
}

uint32_t dir_root(const struct fat_volume *vol)
{
    return vol->fat_bits == 32 ? vol->root_cluster : 0;
}

void dir_cursor_init(struct dir_cursor *cur, uint32_t dir)
{
    cur->dir = dir;
    cur->cluster = dir;
    cur->cluster_index = 0;
}

int dir_entry_offset(struct fat_volume *vol, struct dir_cursor *cur, uint32_t index, uint64_t *offset)
{
    if (cur->dir == 0) {
        if (index >= vol->root_entries)
            return FAT_NOT_FOUND;
        *offset = vol->root_offset + (uint64_t)index * DIRENT_SIZE;
        return FAT_OK;
    }
    if (index >= DIR_MAX_ENTRIES)
        return FAT_NOT_FOUND;
    uint32_t shift = vol->dirents_per_cluster_shift, want = index >> shift;
    if (want < cur->cluster_index || !cluster_valid(vol, cur->cluster)) {
        cur->cluster = cur->dir;
        cur->cluster_index = 0;
    }
    if (!cluster_valid(vol, cur->cluster)) {
        vol->problem = "a directory starts outside the volume";
        return FAT_CORRUPT;
    }
    while (cur->cluster_index < want) {
        uint32_t next;
        int status = fat_next(vol, cur->cluster, &next);
        if (status != FAT_OK)
            return status;
        if (next == CHAIN_END)
            return FAT_NOT_FOUND;   /* the cursor stays on the last cluster, where dir_add grows it */
        cur->cluster = next;
        cur->cluster_index++;
    }
    *offset = cluster_offset(vol, cur->cluster) + (uint64_t)(index & ((1u << shift) - 1)) * DIRENT_SIZE;
    return FAT_OK;
}

/*
 * The offset of entry index in a walk that goes one entry at a time:
 * inside a cluster (or FAT16's root) it is the last one's plus 32, so the
 * cursor is asked only at the start and at cluster boundaries.  *left
 * (0 to start) counts the entries after this one in the same cluster.
 */
static int dir_step(struct fat_volume *vol, struct dir_cursor *cur, uint32_t index, uint64_t *offset, uint32_t *left)
{
    if (*left) {
        *offset += DIRENT_SIZE;
        --*left;
        return FAT_OK;
    }
    int status = dir_entry_offset(vol, cur, index, offset);
    uint32_t mask = (1u << vol->dirents_per_cluster_shift) - 1;
    if (status == FAT_OK)
        *left = cur->dir == 0 ? vol->root_entries - index - 1 : mask - (index & mask);
    return status;
}

/*
 * A directory walk reads entry after entry of one cache block: it keeps a
 * pointer to the block and asks the cache again only for another block,
 * or once the cache has given an entry to another block (its epoch).
 */
struct entry_view {
    const uint8_t *block;
    uint64_t start;
    uint32_t epoch;
};

static int view_entry(struct fat_volume *vol, struct entry_view *v, uint64_t offset, const uint8_t **b)
{
    if (v->block && v->epoch == vol->cache_epoch && offset - v->start < FAT_BLOCK) {
        *b = v->block + (offset - v->start);
        return FAT_OK;
    }
    uint64_t start = offset / FAT_BLOCK * FAT_BLOCK;
    int status = cache_peek(vol, start, DIRENT_SIZE, &v->block);
    if (status != FAT_OK) {
        v->block = NULL;
        return status;
    }
    v->start = start;
    v->epoch = vol->cache_epoch;
    *b = v->block + (offset - start);
    return FAT_OK;
}

/* Where a long-name entry keeps its 13 UTF-16 units. */
static const uint8_t lfn_at[LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* The length of a long name, from its first (highest) entry. */
static size_t lfn_length(const uint8_t *b, unsigned order)
{
    unsigned i = 0;
    while (i < LFN_CHARS && get16(b + lfn_at[i]) != 0)
        i++;
    return (order - 1) * LFN_CHARS + i;
}

/* The 13 UTF-16 units of a long-name entry, at their place in the name. */
static void lfn_take(const uint8_t *b, uint16_t *name, unsigned order)
{
    const uint8_t *at = lfn_at;
    for (unsigned i = 0; i < LFN_CHARS; i++)
        name[(order - 1) * LFN_CHARS + i] = get16(b + at[i]);
}

static void lfn_put(uint8_t *b, const uint16_t *name, size_t len, unsigned order)
{
    const uint8_t *at = lfn_at;
    for (unsigned i = 0; i < LFN_CHARS; i++) {
        size_t k = (order - 1) * LFN_CHARS + i;
        put16(b + at[i], k < len ? name[k] : k == len ? 0x0000 : 0xFFFF);
    }
}

int dir_next(struct fat_volume *vol, struct dir_cursor *cur, uint32_t *index, struct dir_slot *slot,
             size_t *name_len, bool dots)
{
    uint16_t *name = vol->scratch.entry;
    unsigned expect = 0, total = 0;     /* the order of the next long entry, and of the first */
    uint8_t checksum = 0;
    uint32_t first = 0;
    struct entry_view view = { 0 };
    uint64_t offset = 0;
    uint32_t left = 0;
    for (;; (*index)++) {
        int status = dir_step(vol, cur, *index, &offset, &left);
        if (status != FAT_OK)
            return status;
        const uint8_t *b;           /* valid until the next cache call: used up before it */
        if ((status = view_entry(vol, &view, offset, &b)) != FAT_OK)
            return status;
        if (b[0] == DIRENT_END)
            return FAT_NOT_FOUND;
        if (b[0] == DIRENT_FREE) {
            expect = 0;
            continue;
        }
        if ((b[11] & ATTR_LONG_MASK) == ATTR_LONG_NAME) {
            unsigned order = b[0] & 0x1F;
            if (b[0] & LFN_LAST) {
                if (order == 0 || order * LFN_CHARS > FAT_NAME_MAX + LFN_CHARS - 1) {
                    expect = 0;
                    continue;
                }
                total = order;
                checksum = b[13];
                first = *index;
            } else if (!(expect > 1 && order == expect - 1 && b[13] == checksum)) {
                expect = 0;
                continue;
            }
            lfn_take(b, name, order);
            expect = order;
            continue;
        }
        if (b[11] & FAT_ATTR_VOLUME_ID && !(b[11] & FAT_ATTR_DIRECTORY)) {
            expect = 0;
            continue;
        }
        dirent_decode(b, &slot->entry);
        bool dot = b[0] == '.' && (b[1] == ' ' || (b[1] == '.' && b[2] == ' '));
        if (dot && !dots) {
            expect = 0;
            continue;
        }
        size_t len = 0;
        if (expect == 1 && checksum == short_name_checksum(slot->entry.name)) {
            while (len < total * LFN_CHARS && name[len] != 0)
                len++;
            if (len > FAT_NAME_MAX)
                len = 0;
        }
        if (len == 0) {
            first = *index;
            len = short_name_show(slot->entry.name, slot->entry.case_bits, name);
        }
        slot->offset = offset;
        slot->index = *index;
        slot->first_index = first;
        *name_len = len;
        (*index)++;
        return FAT_OK;
    }
}

/*
 * A lookup compares as it walks: each long-name entry's 13 units against
 * the target's, so an entry of another length or another start costs a
 * few instructions and no copy; a checksum is computed only for a long
 * name that matched.  An 8.3 name (an alias, or an entry without a long
 * name) is compared only when the target could be one (12 units or
 * fewer).
 *
 * Hot for creates: a lookup and dir_add each walk the whole directory.
 * Measured (tests/fat/measure.sh, fat_create_4k_instructions): creating,
 * writing 4 KiB to and closing 200 files in one folder averages 115,000
 * instructions, 96,000 of them in the open: about 950 per file already
 * in the folder.
 */
/* Whether the units of a long-name entry of this order match the target's there (upper case, len units). */
static bool lfn_segment_matches(const uint8_t *b, unsigned order, const uint16_t *target, size_t len)
{
    size_t at = (order - 1) * LFN_CHARS;
    for (unsigned i = 0; i < LFN_CHARS && at + i < len; i++)
        if (upcase(get16(b + lfn_at[i])) != target[at + i])
            return false;
    return true;
}

int dir_lookup(struct fat_volume *vol, uint32_t dir, size_t len, struct dir_slot *slot)
{
    const uint16_t *target = vol->scratch.target;
    struct dir_cursor cur;
    dir_cursor_init(&cur, dir);
    struct entry_view view = { 0 };
    unsigned expect = 0;            /* the order of the next entry of a consistent long-name run */
    bool matches = false;           /* and whether that run matches the target so far */
    uint8_t checksum = 0;
    uint32_t first = 0, left = 0;
    uint64_t offset = 0;
    for (uint32_t index = 0;; index++) {
        const uint8_t *b;
        int status = dir_step(vol, &cur, index, &offset, &left);
        if (status != FAT_OK || (status = view_entry(vol, &view, offset, &b)) != FAT_OK)
            return status;
        if (b[0] == DIRENT_END)
            return FAT_NOT_FOUND;
        if (b[0] == DIRENT_FREE) {
            expect = 0;
            continue;
        }
        if ((b[11] & ATTR_LONG_MASK) == ATTR_LONG_NAME) {
            unsigned order = b[0] & 0x1F;
            if (b[0] & LFN_LAST) {
                expect = 0;
                if (order == 0 || order * LFN_CHARS > FAT_NAME_MAX + LFN_CHARS - 1)
                    continue;
                checksum = b[13];
                first = index;
                matches = lfn_length(b, order) == len && lfn_segment_matches(b, order, target, len);
            } else if (expect > 1 && order == expect - 1 && b[13] == checksum) {
                matches = matches && lfn_segment_matches(b, order, target, len);
            } else {
                expect = 0;
                continue;
            }
            expect = order;
            continue;
        }
        bool run = expect == 1;
        expect = 0;
        if ((b[11] & FAT_ATTR_VOLUME_ID && !(b[11] & FAT_ATTR_DIRECTORY)) ||
            (b[0] == '.' && (b[1] == ' ' || (b[1] == '.' && b[2] == ' '))))
            continue;               /* a volume label, "." or ".." */
        bool found = run && matches && checksum == short_name_checksum(b);
        if (!found && len <= 12) {
            /* the 8.3 name: an entry's only name, or a long name's alias */
            uint16_t alias[12];
            found = name_equal(alias, short_name_show(b, b[12], alias), target, len);
            run = run && found && checksum == short_name_checksum(b);   /* its long entries go with it */
        }
        if (!found)
            continue;
        dirent_decode(b, &slot->entry);
        slot->offset = offset;
        slot->index = index;
        slot->first_index = run ? first : index;
        return FAT_OK;
    }
}

int dir_child(struct fat_volume *vol, uint32_t dir, const struct dirent_raw *e, uint32_t *child)
{
    uint32_t c = dirent_cluster(e, vol);
    if (!cluster_valid(vol, c)) {
        vol->problem = "a directory entry names a cluster outside the volume";
        return FAT_CORRUPT;
    }
    if (c == dir || c == dir_root(vol)) {
        vol->problem = "a directory entry names its own directory (or the root)";
        return FAT_CORRUPT;
    }
    *child = c;
    return FAT_OK;
}

/*
 * If the 8.3 entry name b is the basis with a tail ~N, N in [base, base +
 * 256), marks N: the form short_name_tail makes (the basis cut to fit,
 * '~', N without leading zeros, spaces, the extension), checked in place.
 */
static void mark_tail(uint32_t *bits, const uint8_t basis[11], size_t base_len, uint32_t base, const uint8_t *b)
{
    if (b[0] != basis[0] || memcmp(b + 8, basis + 8, 3) != 0)
        return;                     /* quick: another basis */
    size_t t = 0;
    while (t < 8 && b[t] != '~')
        t++;
    if (t >= 7 || b[t + 1] < '1' || b[t + 1] > '9')
        return;
    uint32_t n = 0;
    size_t d = t + 1;
    while (d < 8 && b[d] >= '0' && b[d] <= '9')
        n = n * 10 + (b[d++] - '0');
    size_t keep = 8 - (d - t) < base_len ? 8 - (d - t) : base_len;
    if (t != keep || memcmp(b, basis, keep) != 0)
        return;
    while (d < 8 && b[d] == ' ')
        d++;
    if (d == 8 && n >= base && n - base < 256)
        bits[(n - base) / 32] |= 1u << ((n - base) % 32);
}

/* The lowest N in the window whose bit is clear, or 0. */
static uint32_t free_tail(const uint32_t *bits, uint32_t base)
{
    for (uint32_t i = 0; i < 256; i++)
        if (!(bits[i / 32] >> (i % 32) & 1))
            return base + i;
    return 0;
}

/* Marks the tails in [base, base + 256) that the entries of dir use (for windows past the first). */
static int tails_in_use(struct fat_volume *vol, uint32_t dir, const uint8_t basis[11], size_t base_len, uint32_t base)
{
    uint32_t *bits = vol->scratch.tail_bitmap;
    memset(bits, 0, sizeof vol->scratch.tail_bitmap);
    struct dir_cursor cur;
    dir_cursor_init(&cur, dir);
    struct entry_view view = { 0 };
    uint64_t offset = 0;
    uint32_t left = 0;
    for (uint32_t index = 0;; index++) {
        const uint8_t *b;
        int status = dir_step(vol, &cur, index, &offset, &left);
        if (status == FAT_NOT_FOUND)
            return FAT_OK;
        if (status != FAT_OK || (status = view_entry(vol, &view, offset, &b)) != FAT_OK)
            return status;
        if (b[0] == DIRENT_END)
            return FAT_OK;
        if (b[0] != DIRENT_FREE && (b[11] & ATTR_LONG_MASK) != ATTR_LONG_NAME)
            mark_tail(bits, basis, base_len, base, b);
    }
}

/* Appends a zeroed cluster to a directory whose last cluster the cursor is on. */
static int dir_grow(struct fat_volume *vol, struct dir_cursor *cur)
{
    if (cur->dir == 0)
        return FAT_NO_SPACE;        /* FAT16's root has a fixed size */
    uint32_t fresh, last;
    int status = fat_alloc(vol, 1, cur->cluster, &fresh, &last);
    if (status != FAT_OK)
        return status;
    return cache_write(vol, cluster_offset(vol, fresh), NULL, vol->cluster_bytes);
}

/*
 * One pass over the directory finds the first run of need free entries
 * and, for a long name, the ~N tails its basis already has (1 to 256; the
 * rare directory that uses all of those gets more passes).
 */
int dir_add(struct fat_volume *vol, uint32_t dir, const uint16_t *name, size_t len, struct dirent_raw *e,
            struct dir_slot *slot)
{
    bool need_long = !short_name_exact(name, len, e->name, &e->case_bits);
    uint8_t basis[11];
    size_t base_len = 0;
    uint32_t *bits = vol->scratch.tail_bitmap;
    if (need_long) {
        e->case_bits = 0;
        short_name_basis(name, len, basis, &base_len);
        memset(bits, 0, sizeof vol->scratch.tail_bitmap);
    }
    uint32_t longs = need_long ? (uint32_t)((len + LFN_CHARS - 1) / LFN_CHARS) : 0, need = longs + 1;

    struct dir_cursor cur;
    dir_cursor_init(&cur, dir);
    uint32_t run_start = 0, run = 0, index;
    bool found = false;
    int status;
    struct entry_view view = { 0 };
    uint32_t left = 0;
    uint64_t offset = 0;
    for (index = 0;; index++) {
        const uint8_t *b;
        status = dir_step(vol, &cur, index, &offset, &left);
        if (status == FAT_NOT_FOUND)
            break;                  /* the end of its clusters */
        if (status != FAT_OK || (status = view_entry(vol, &view, offset, &b)) != FAT_OK)
            return status;
        if (b[0] == DIRENT_END)
            break;                  /* no live entry follows */
        if (b[0] == DIRENT_FREE) {
            if (!found && run++ == 0)
                run_start = index;
            found |= run >= need;
            continue;
        }
        if (!found)
            run = 0;
        if (need_long && (b[11] & ATTR_LONG_MASK) != ATTR_LONG_NAME)
            mark_tail(bits, basis, base_len, 1, b);
    }
    /* Not found among the live entries: the run starts at the free ones that reach the end. */
    bool past_end = !found;
    if (!found && (run == 0 || run_start + run != index))
        run_start = index;
    /* The run's last entry must exist: grow the directory until it does. */
    while ((status = dir_entry_offset(vol, &cur, run_start + need - 1, &offset)) == FAT_NOT_FOUND) {
        if (run_start + need > DIR_MAX_ENTRIES)
            return FAT_NO_SPACE;
        if ((status = dir_grow(vol, &cur)) != FAT_OK)
            return status;
    }
    if (status != FAT_OK)
        return status;

    if (need_long) {
        uint32_t n = free_tail(bits, 1);
        /* At most 65536 entries: among the first 65792 tails one is free. */
        for (uint32_t base = 257; n == 0 && base < DIR_MAX_ENTRIES + 257; base += 256) {
            if ((status = tails_in_use(vol, dir, basis, base_len, base)) != FAT_OK)
                return status;
            n = free_tail(bits, base);
        }
        if (n == 0)
            return FAT_NO_SPACE;
        short_name_tail(basis, base_len, n, e->name);
    }
    if (e->name[0] == 0xE5)
        e->name[0] = 0x05;

    uint8_t checksum = short_name_checksum(e->name);
    dir_cursor_init(&cur, dir);
    for (uint32_t i = 0; i < need; i++) {
        if ((status = dir_entry_offset(vol, &cur, run_start + i, &offset)) != FAT_OK)
            return status;
        uint8_t b[DIRENT_SIZE];
        if (i < longs) {
            unsigned order = longs - i;
            memset(b, 0, sizeof b);
            b[0] = (uint8_t)(order | (i == 0 ? LFN_LAST : 0));
            b[11] = ATTR_LONG_NAME;
            b[13] = checksum;
            lfn_put(b, name, len, order);
        } else {
            dirent_encode(e, b);
            slot->entry = *e;
            slot->offset = offset;
            slot->index = run_start + i;
            slot->first_index = run_start;
        }
        if ((status = cache_write(vol, offset, b, sizeof b)) != FAT_OK)
            return status;
    }
    /* Written past the end marker: the entry after the run ends the directory now. */
    if (past_end && dir_entry_offset(vol, &cur, run_start + need, &offset) == FAT_OK) {
        const uint8_t end = DIRENT_END;
        if ((status = cache_write(vol, offset, &end, 1)) != FAT_OK)
            return status;
    }
    return FAT_OK;
}

int dir_delete(struct fat_volume *vol, uint32_t dir, const struct dir_slot *slot)
{
    struct dir_cursor cur;
    dir_cursor_init(&cur, dir);
    const uint8_t freed = DIRENT_FREE;
    for (uint32_t i = slot->first_index; i <= slot->index; i++) {
        uint64_t offset;
        int status = dir_entry_offset(vol, &cur, i, &offset);
        if (status == FAT_OK)
            status = cache_write(vol, offset, &freed, 1);
        if (status != FAT_OK)
            return status;
    }
    return FAT_OK;
}

int dir_is_empty(struct fat_volume *vol, uint32_t dir)
{
    struct dir_cursor cur;
    dir_cursor_init(&cur, dir);
    uint32_t index = 0;
    struct dir_slot slot;
    size_t len;
    int status = dir_next(vol, &cur, &index, &slot, &len, false);
    return status == FAT_NOT_FOUND ? FAT_OK : status == FAT_OK ? FAT_NOT_EMPTY : status;
}

/* ---- paths ---- */

/* Converts one component into scratch.original and, upper-cased, scratch.target. */
static int take_component(struct fat_volume *vol, const char *s, size_t len, size_t *units)
{
    int status = name_from_utf8(s, len, vol->scratch.original, units);
    if (status != FAT_OK)
        return status;
    memcpy(vol->scratch.target, vol->scratch.original, *units * sizeof(uint16_t));
    name_upcase_all(vol->scratch.target, *units);
    return FAT_OK;
}

int path_parent(struct fat_volume *vol, const char *path, size_t path_len, uint32_t *dir, size_t *len)
{
    if (path_len > FAT_PATH_MAX)
        return FAT_NAME_TOO_LONG;
    if (!path && path_len)
        return FAT_INVALID;
    *dir = dir_root(vol);
    *len = 0;
    size_t i = 0;
    for (;;) {
        while (i < path_len && path[i] == '/')
            i++;
        if (i == path_len)
            return FAT_OK;          /* the root, or a trailing slash after the last component */
        size_t start = i;
        while (i < path_len && path[i] != '/')
            i++;
        size_t end = i;
        while (i < path_len && path[i] == '/')
            i++;
        int status = take_component(vol, path + start, end - start, len);
        if (status != FAT_OK)
            return status;
        if (i == path_len)
            return FAT_OK;          /* the last component */
        struct dir_slot slot;
        status = dir_lookup(vol, *dir, *len, &slot);
        if (status != FAT_OK)
            return status;
        if (!(slot.entry.attributes & FAT_ATTR_DIRECTORY))
            return FAT_NOT_DIR;
        if ((status = dir_child(vol, *dir, &slot.entry, dir)) != FAT_OK)
            return status;
        *len = 0;
    }
}

int path_lookup(struct fat_volume *vol, const char *path, size_t path_len, uint32_t *dir, size_t *len,
                struct dir_slot *slot, bool *found)
{
    int status = path_parent(vol, path, path_len, dir, len);
    if (status != FAT_OK)
        return status;
    *found = true;
    if (*len == 0)
        return FAT_OK;
    status = dir_lookup(vol, *dir, *len, slot);
    if (status == FAT_NOT_FOUND) {
        *found = false;
        return FAT_OK;
    }
    return status;
}
