/*
 * A client's data region as the device sees it: the physical address of
 * each 4 KiB page, and the runs of pages that are physically contiguous.
 * A range of the region becomes one DMA piece per run it touches (and per
 * piece_max bytes, the device's SIZE_MAX, if it has one).
 *
 * Pure functions on plain arrays, so that the host can test them with any
 * layout (tests/components/virtio_blk/host/test_region.c, which the
 * harness's check hook builds and runs): the loader happens to give a
 * dataport contiguous frames, so the device tests alone never see a region
 * in several runs.
 */
#ifndef VIRTIO_BLK_REGION_H
#define VIRTIO_BLK_REGION_H

#include <stdint.h>

#define REGION_PAGE 4096u

/*
 * Fill run_end[i] with the index of the first page after the contiguous
 * run holding page i, for pages pages of page_paddr.  Return the number of
 * runs.
 */
static inline unsigned region_find_runs(const uint64_t *page_paddr, unsigned pages, uint16_t *run_end)
{
    unsigned runs = 0;
    for (unsigned i = pages; i-- > 0;) {
        int joins_next = i + 1 < pages && page_paddr[i + 1] == page_paddr[i] + REGION_PAGE;
        run_end[i] = joins_next ? run_end[i + 1] : (uint16_t)(i + 1);
        if (!joins_next)
            runs++;
    }
    return runs;
}

/*
 * The piece of the region that starts at offset: its physical address in
 * *paddr, its length (at most length, and at most piece_max if that is not
 * 0) returned.  offset lies inside the region and length > 0 (the caller
 * checked the range).
 */
static inline uint32_t region_piece(const uint64_t *page_paddr, const uint16_t *run_end, uint32_t piece_max,
                                    uint64_t offset, uint32_t length, uint64_t *paddr)
{
    uint64_t page = offset / REGION_PAGE;
    uint64_t contiguous = (uint64_t)run_end[page] * REGION_PAGE - offset;
    *paddr = page_paddr[page] + offset % REGION_PAGE;
    uint32_t piece = contiguous < length ? (uint32_t)contiguous : length;
    return piece_max && piece > piece_max ? piece_max : piece;
}

/* How many pieces the range [offset, offset + length) is. */
static inline unsigned region_pieces(const uint64_t *page_paddr, const uint16_t *run_end, uint32_t piece_max,
                                     uint64_t offset, uint32_t length)
{
    unsigned n = 0;
    uint64_t paddr;
    while (length) {
        uint32_t piece = region_piece(page_paddr, run_end, piece_max, offset, length, &paddr);
        offset += piece;
        length -= piece;
        n++;
    }
    return n;
}

#endif
