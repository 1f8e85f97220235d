/*
 * components/virtio_blk/region.h on the host, with data regions laid out
 * in memory in ways the loader does not produce today (every page apart,
 * pages in reverse, random runs), and with and without a device limit per
 * piece.  For every range of a 24-page region it checks that the pieces
 * cover the range in order, that each piece is physically contiguous and
 * at the right address, that none is longer than the limit, that each ends
 * only where it must (a run ends, the limit, the range), and that
 * region_pieces counts them.  Prints PASS/FAIL lines; built and run by
 * ../check.
 */
#include "../../../../components/virtio_blk/region.h"
#include <stdio.h>
#include <stdlib.h>

#define PAGES 24

static uint64_t page_paddr[PAGES];
static uint16_t run_end[PAGES];
static int failures;

/* The physical address of byte offset of the region, from the page table alone. */
static uint64_t paddr_of(uint64_t offset) { return page_paddr[offset / REGION_PAGE] + offset % REGION_PAGE; }

static int check_range(const char *layout, uint32_t piece_max, uint64_t offset, uint32_t length)
{
    uint64_t at = offset;
    uint32_t left = length;
    unsigned n = 0;
    while (left) {
        uint64_t paddr;
        uint32_t piece = region_piece(page_paddr, run_end, piece_max, at, left, &paddr);
        if (piece == 0 || piece > left || (piece_max && piece > piece_max) || paddr != paddr_of(at) ||
            paddr_of(at + piece - 1) != paddr + piece - 1) {
            printf("FAIL region_%s: piece of [%llu, +%u) at %llu: %u bytes at %#llx\n", layout,
                   (unsigned long long)offset, (unsigned)length, (unsigned long long)at, (unsigned)piece,
                   (unsigned long long)paddr);
            return 0;
        }
        /* Physically contiguous byte by byte, page by page. */
        for (uint64_t b = at; b < at + piece; b += REGION_PAGE - b % REGION_PAGE)
            if (paddr_of(b) != paddr + (b - at)) {
                printf("FAIL region_%s: piece at %llu is not contiguous at %llu\n", layout, (unsigned long long)at,
                       (unsigned long long)b);
                return 0;
            }
        /* Maximal: it ends at the range's end, at the limit, or where memory stops being contiguous. */
        uint64_t end = at + piece;
        if (piece != left && !(piece_max && piece == piece_max) && paddr_of(end) == paddr_of(end - 1) + 1) {
            printf("FAIL region_%s: piece at %llu stops at %llu for no reason\n", layout, (unsigned long long)at,
                   (unsigned long long)end);
            return 0;
        }
        at += piece;
        left -= piece;
        n++;
    }
    if (region_pieces(page_paddr, run_end, piece_max, offset, length) != n) {
        printf("FAIL region_%s: region_pieces of [%llu, +%u) says %u, there are %u\n", layout,
               (unsigned long long)offset, (unsigned)length,
               region_pieces(page_paddr, run_end, piece_max, offset, length), n);
        return 0;
    }
    return 1;
}

static void check_layout(const char *layout, unsigned expect_runs)
{
    unsigned runs = region_find_runs(page_paddr, PAGES, run_end);
    if (runs != expect_runs) {
        printf("FAIL region_%s: %u runs found, not %u\n", layout, runs, expect_runs);
        failures++;
        return;
    }
    static const uint32_t limits[] = { 0, 4096, 8192, 65536 };
    for (unsigned l = 0; l < 4; l++)
        for (uint64_t offset = 0; offset < PAGES * REGION_PAGE; offset += 512)
            for (uint64_t length = 512; offset + length <= PAGES * REGION_PAGE; length += 512)
                if (!check_range(layout, limits[l], offset, (uint32_t)length)) {
                    failures++;
                    return;
                }
    printf("PASS region_%s\n", layout);
}

int main(void)
{
    for (unsigned i = 0; i < PAGES; i++)
        page_paddr[i] = 0x80400000ull + i * REGION_PAGE;
    check_layout("contiguous", 1);

    for (unsigned i = 0; i < PAGES; i++)
        page_paddr[i] = 0x80400000ull + i * 2 * REGION_PAGE;
    check_layout("every_page_apart", PAGES);

    for (unsigned i = 0; i < PAGES; i++)
        page_paddr[i] = 0x80400000ull + (PAGES - 1 - i) * REGION_PAGE;
    check_layout("pages_in_reverse", PAGES);

    srand(8);
    unsigned runs = 0;
    for (unsigned i = 0; i < PAGES;) {
        unsigned len = 1 + (unsigned)rand() % 5;
        uint64_t base = 0x90000000ull + (uint64_t)(rand() % 64) * 0x100000;
        for (unsigned j = 0; j < len && i < PAGES; j++, i++)
            page_paddr[i] = base + j * REGION_PAGE;
        runs++;
    }
    check_layout("random_runs", runs);
    return failures ? 1 : 0;
}
