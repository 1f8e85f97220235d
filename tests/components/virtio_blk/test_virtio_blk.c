/*
 * components/virtio_blk through the harness: the driver (this code) is two
 * of its clients, blk (client 0) and blk_1 (client 1), each on a blk ring
 * of its own (128 entries, deeper than the 64 requests the driver holds
 * per client) with a data region of its own (blk_data, blk_1_data: 1 MiB).
 * Most cases are client 0's; the two-client cases come before the last.
 * The disk is an 8 MiB image (qemu-args) whose bytes are background(offset);
 * the cases write written(offset) to the sectors disk.py lists in WRITTEN,
 * and after QEMU exits, check finds exactly those bytes there and the
 * background everywhere else.  blkdebug makes reads of sector 12345 fail,
 * and the first flush that reaches the disk.
 *
 * The lying-index case breaks the ring for good, so it comes last.
 */
#include "../harness.h"
#include <sel/ring.h>
#include <sel/syscall.h>
#include <string.h>

#define SECTOR 512u
#define DISK_SECTORS 16384u
#define PAGE 4096u
#define RING_ENTRIES 128u
#define PATTERN_SECTOR 2048u         /* disk.py WRITTEN: 128 writes of 4 KiB from here */
#define PATTERN_WRITES 128u
#define CROSSING_SECTOR 4000u        /* disk.py WRITTEN: 2 sectors, from data that crosses a page */
#define BAD_SECTOR 12345u            /* blkdebug fails reads covering it */
#define UNTOUCHED_SECTOR 100u        /* refused writes aim here; check finds it untouched */
#define SECOND_SECTOR 6000u          /* disk.py WRITTEN: 16 sectors client 1 writes while client 0 reads */

static uint8_t *const data = blk_data;

static uint8_t background(uint64_t offset) { return (uint8_t)(offset * 3 + (offset >> 9) * 5 + 0x91); }
static uint8_t written(uint64_t offset) { return (uint8_t)(offset * 7 + (offset >> 9) * 13 + 0x3c); }

static uint64_t now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static unsigned outstanding;   /* submitted, answer not yet collected */

static void submit(blk_op_t op, uint64_t sector, uint64_t offset, uint32_t length, uint64_t tag)
{
    blk_request_t r = { .op = op, .length = length, .sector = sector, .offset = offset };
    CHECK(outstanding < RING_ENTRIES);
    CHECK(blk_submit(&r, tag));
    outstanding++;
}

/*
 * The next answer, within five seconds of QEMU's clock: a request that gets
 * no answer fails the case that sent it, by name.  Polls rather than sleeps,
 * so that silence is seen.
 */
static void next_answer(blk_response_t *r, uint64_t *tag)
{
    blk_flush();
    uint64_t start = now();
    while (!blk_completion(r, tag)) {
        if (now() - start > 50000000) {
            harness_fail(__FILE__, __LINE__, "no answer within 5 s (%u requests outstanding)", outstanding);
            return;
        }
        sel_yield();
    }
    outstanding--;
}

/* One request, and its answer's status (the answer's tag must be the request's). */
static blk_status_t request(blk_op_t op, uint64_t sector, uint64_t offset, uint32_t length)
{
    static uint64_t next_tag = 1u << 20;
    uint64_t tag = next_tag++, got;
    blk_response_t r;
    submit(op, sector, offset, length, tag);
    next_answer(&r, &got);
    CHECK_EQ(got, tag);
    return r.status;
}

static void fill_written(uint64_t offset, uint64_t sector, uint32_t length)
{
    for (uint32_t i = 0; i < length; i++)
        data[offset + i] = written(sector * SECTOR + i);
}

/* Whether the region at offset holds what the disk has at sector: the written pattern or the background. */
static bool region_holds(uint64_t offset, uint64_t sector, uint32_t length, uint8_t (*pattern)(uint64_t))
{
    for (uint32_t i = 0; i < length; i++)
        if (data[offset + i] != pattern(sector * SECTOR + i))
            return false;
    return true;
}

/* The driver still serves: a read of a known sector comes back ok with the right bytes. */
static void still_serves(void)
{
    memset(data, 0, SECTOR);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, 0, SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(0, UNTOUCHED_SECTOR, SECTOR, background));
}

TEST(info_reports_the_disk_and_the_limits)
{
    uint64_t tag;
    blk_response_t r;
    submit(BLK_OP_INFO, 0, 0, 0, 42);
    next_answer(&r, &tag);
    CHECK_EQ(tag, 42);
    CHECK_EQ(r.status, BLK_STATUS_OK);
    CHECK_EQ(r.capacity, DISK_SECTORS);
    CHECK_EQ(r.block_size, 512);
    CHECK_EQ(r.max_length, 128 * 1024);
    CHECK_EQ(r.max_in_flight, 64);
}

TEST(reads_what_the_image_holds)
{
    memset(data, 0, 3 * SECTOR);
    CHECK_EQ(request(BLK_OP_READ, 7, 0, 3 * SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(0, 7, 3 * SECTOR, background));
}

/*
 * The pattern: 128 writes of 4 KiB, exactly 32 in flight from the first
 * submission on (a new one as each answer comes), each answered once by
 * tag; a flush; then read back the same way into a cleared region.
 */
static void pattern_pass(blk_op_t op)
{
    bool answered[PATTERN_WRITES] = { false };
    unsigned submitted = 0, done = 0, in_flight = 0, most = 0;
    while (done < PATTERN_WRITES) {
        while (submitted < PATTERN_WRITES && in_flight < 32) {
            submit(op, PATTERN_SECTOR + 8 * submitted, (uint64_t)submitted * PAGE, PAGE, 7000 + submitted);
            submitted++;
            in_flight++;
        }
        most = in_flight > most ? in_flight : most;
        uint64_t tag;
        blk_response_t r;
        next_answer(&r, &tag);
        CHECK(tag >= 7000 && tag < 7000 + PATTERN_WRITES);
        CHECK(!answered[tag - 7000]);
        answered[tag - 7000] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
        done++;
        in_flight--;
    }
    CHECK_EQ(most, 32);
}

TEST(a_pattern_written_32_in_flight_is_flushed_and_reads_back)
{
    for (unsigned i = 0; i < PATTERN_WRITES; i++)
        fill_written((uint64_t)i * PAGE, PATTERN_SECTOR + 8 * i, PAGE);
    pattern_pass(BLK_OP_WRITE);
    /*
     * blkdebug fails the first flush that reaches the disk: an answer of
     * device_error shows that this flush went to the device (a driver that
     * answered flushes itself would say ok).  The next one succeeds.
     */
    CHECK_EQ(request(BLK_OP_FLUSH, 0, 0, 0), BLK_STATUS_DEVICE_ERROR);
    CHECK_EQ(request(BLK_OP_FLUSH, 0, 0, 0), BLK_STATUS_OK);
    memset(data, 0, PATTERN_WRITES * PAGE);
    pattern_pass(BLK_OP_READ);
    for (unsigned i = 0; i < PATTERN_WRITES; i++)
        CHECK(region_holds((uint64_t)i * PAGE, PATTERN_SECTOR + 8 * i, PAGE, written));
}

TEST(data_that_crosses_a_page_of_the_region)
{
    uint64_t offset = 200 * PAGE - SECTOR;   /* the last sector of one page and the first of the next */
    fill_written(offset, CROSSING_SECTOR, 2 * SECTOR);
    CHECK_EQ(request(BLK_OP_WRITE, CROSSING_SECTOR, offset, 2 * SECTOR), BLK_STATUS_OK);
    uint64_t back = 250 * PAGE - SECTOR - 256;   /* read it back across another page boundary */
    memset(data + back, 0, 2 * SECTOR);
    CHECK_EQ(request(BLK_OP_READ, CROSSING_SECTOR, back, 2 * SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(back, CROSSING_SECTOR, 2 * SECTOR, written));
}

TEST(the_last_sector_is_on_the_disk_and_the_next_is_out_of_range)
{
    fill_written(0, DISK_SECTORS - 1, SECTOR);
    CHECK_EQ(request(BLK_OP_WRITE, DISK_SECTORS - 1, 0, SECTOR), BLK_STATUS_OK);
    CHECK_EQ(request(BLK_OP_WRITE, DISK_SECTORS - 1, 0, 2 * SECTOR), BLK_STATUS_OUT_OF_RANGE);
    CHECK_EQ(request(BLK_OP_WRITE, DISK_SECTORS, 0, SECTOR), BLK_STATUS_OUT_OF_RANGE);
    CHECK_EQ(request(BLK_OP_READ, DISK_SECTORS + 1000, 0, SECTOR), BLK_STATUS_OUT_OF_RANGE);
    /* Sectors where sector + count wraps around 2^64: still past the end. */
    CHECK_EQ(request(BLK_OP_WRITE, UINT64_MAX, 0, SECTOR), BLK_STATUS_OUT_OF_RANGE);
    CHECK_EQ(request(BLK_OP_WRITE, UINT64_MAX - 1, 0, 4 * SECTOR), BLK_STATUS_OUT_OF_RANGE);
    CHECK_EQ(request(BLK_OP_READ, 1ull << 63, 0, SECTOR), BLK_STATUS_OUT_OF_RANGE);
    memset(data, 0, SECTOR);
    CHECK_EQ(request(BLK_OP_READ, DISK_SECTORS - 1, 0, SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(0, DISK_SECTORS - 1, SECTOR, written));
    still_serves();
}

TEST(data_outside_the_region_is_bad_region)
{
    uint64_t size = blk_data_size;
    CHECK_EQ(size, 1u << 20);
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, size - SECTOR, 2 * SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, size, SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, size + PAGE, SECTOR), BLK_STATUS_BAD_REGION);
    /* Offsets where offset + length wraps around 2^64 to a small number inside the region. */
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, UINT64_MAX - SECTOR + 1, 2 * SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, UINT64_MAX, SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, 1ull << 63, SECTOR), BLK_STATUS_BAD_REGION);
    /* The last sector of the region is inside. */
    memset(data + size - SECTOR, 0, SECTOR);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, size - SECTOR, SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(size - SECTOR, UNTOUCHED_SECTOR, SECTOR, background));
    still_serves();
}

TEST(malformed_requests_are_invalid)
{
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, 0, 0), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, 0, 100), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_WRITE, UNTOUCHED_SECTOR, 0, SECTOR + 1), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, 0, 128 * 1024 + SECTOR), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request((blk_op_t)7, UNTOUCHED_SECTOR, 0, SECTOR), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request((blk_op_t)0xffffffffu, UNTOUCHED_SECTOR, 0, SECTOR), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_FLUSH, 5, 0, 0), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_FLUSH, 0, 0, SECTOR), BLK_STATUS_INVALID_REQUEST);
    CHECK_EQ(request(BLK_OP_INFO, 0, PAGE, 0), BLK_STATUS_INVALID_REQUEST);
    /* The longest read there is works. */
    CHECK_EQ(request(BLK_OP_READ, UNTOUCHED_SECTOR, 0, 128 * 1024), BLK_STATUS_OK);
    still_serves();
}

TEST(a_duplicate_tag_is_refused_and_the_first_request_goes_on)
{
    memset(data, 0, 2 * PAGE);
    submit(BLK_OP_READ, UNTOUCHED_SECTOR, 0, PAGE, 77);
    submit(BLK_OP_READ, UNTOUCHED_SECTOR, PAGE, PAGE, 77);   /* same tag, while the first is in flight */
    blk_response_t r[2];
    uint64_t tag[2];
    next_answer(&r[0], &tag[0]);
    next_answer(&r[1], &tag[1]);
    CHECK_EQ(tag[0], 77);
    CHECK_EQ(tag[1], 77);
    /* One of each, in either order. */
    CHECK(r[0].status != r[1].status);
    CHECK(r[0].status == BLK_STATUS_DUPLICATE_TAG || r[1].status == BLK_STATUS_DUPLICATE_TAG);
    CHECK(r[0].status == BLK_STATUS_OK || r[1].status == BLK_STATUS_OK);
    /* The first read was done, the second was not. */
    CHECK(region_holds(0, UNTOUCHED_SECTOR, PAGE, background));
    for (unsigned i = 0; i < PAGE; i++)
        CHECK(data[PAGE + i] == 0);
    /* Once answered, the tag is free again. */
    submit(BLK_OP_READ, UNTOUCHED_SECTOR, PAGE, PAGE, 77);
    next_answer(&r[0], &tag[0]);
    CHECK_EQ(tag[0], 77);
    CHECK_EQ(r[0].status, BLK_STATUS_OK);
}

TEST(device_errors_are_answered_as_such)
{
    CHECK_EQ(request(BLK_OP_READ, BAD_SECTOR, 0, SECTOR), BLK_STATUS_DEVICE_ERROR);
    CHECK_EQ(request(BLK_OP_READ, BAD_SECTOR - 4, 0, PAGE), BLK_STATUS_DEVICE_ERROR);   /* covers it */
    memset(data, 0, SECTOR);
    CHECK_EQ(request(BLK_OP_READ, BAD_SECTOR + 1, 0, SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(0, BAD_SECTOR + 1, SECTOR, background));
    still_serves();
}

/*
 * More requests in flight than the driver holds (64): all 96 arrive in one
 * batch, so the driver takes 64 (the device has descriptors for 42 of
 * them: the rest wait in the driver) and answers the other 32 busy.
 * Nothing is dropped: every tag comes back once.
 */
TEST(a_full_driver_answers_busy_and_drops_nothing)
{
    bool answered[96] = { false };
    for (unsigned i = 0; i < 96; i++)
        submit(BLK_OP_READ, UNTOUCHED_SECTOR + i, (uint64_t)(i % 64) * PAGE, SECTOR, 9000 + i);
    unsigned ok = 0, busy = 0;
    for (unsigned i = 0; i < 96; i++) {
        blk_response_t r;
        uint64_t tag;
        next_answer(&r, &tag);
        CHECK(tag >= 9000 && tag < 9096 && !answered[tag - 9000]);
        answered[tag - 9000] = true;
        if (r.status == BLK_STATUS_OK)
            ok++;
        else if (r.status == BLK_STATUS_BUSY)
            busy++;
        else
            CHECK_EQ(r.status, BLK_STATUS_OK);
    }
    CHECK_EQ(ok, 64);
    CHECK_EQ(busy, 32);
    still_serves();
}

/*
 * More answers than the completion ring holds: 64 reads and 64 infos in
 * one batch, then 64 infos more, before collecting anything (192 answers
 * for 128 slots).  The answers that do not fit wait in the driver and
 * come as room is made.
 */
TEST(answers_that_do_not_fit_wait_in_the_driver)
{
    static bool answered[192];
    memset(answered, 0, sizeof(answered));
    for (unsigned i = 0; i < 64; i++) {
        submit(BLK_OP_READ, UNTOUCHED_SECTOR + i, (uint64_t)i * PAGE, SECTOR, 20000 + i);
        submit(BLK_OP_INFO, 0, 0, 0, 20064 + i);
    }
    blk_flush();
    sel_yield();
    for (unsigned i = 0; i < 64; i++) {
        blk_request_t r = { .op = BLK_OP_INFO };
        while (!blk_submit(&r, 20128 + i)) {
            blk_flush();
            sel_yield();
        }
        outstanding++;
    }
    blk_flush();
    for (unsigned i = 0; i < 192; i++) {
        blk_response_t r;
        uint64_t tag;
        next_answer(&r, &tag);
        CHECK(tag >= 20000 && tag < 20192 && !answered[tag - 20000]);
        answered[tag - 20000] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
        if (tag >= 20064)
            CHECK_EQ(r.capacity, DISK_SECTORS);
    }
    still_serves();
}

/* ---- two clients: blk (client 0) and blk_1 (client 1) ---- */

static unsigned outstanding_1;   /* client 1's: submitted, answer not yet collected */

static void submit_1(blk_op_t op, uint64_t sector, uint64_t offset, uint32_t length, uint64_t tag)
{
    blk_request_t r = { .op = op, .length = length, .sector = sector, .offset = offset };
    CHECK(outstanding_1 < RING_ENTRIES);
    CHECK(blk_1_submit(&r, tag));
    outstanding_1++;
}

static void next_answer_1(blk_response_t *r, uint64_t *tag)
{
    blk_1_flush();
    uint64_t start = now();
    while (!blk_1_completion(r, tag)) {
        if (now() - start > 50000000) {
            harness_fail(__FILE__, __LINE__, "client 1: no answer within 5 s (%u outstanding)", outstanding_1);
            return;
        }
        sel_yield();
    }
    outstanding_1--;
}

static blk_status_t request_1(blk_op_t op, uint64_t sector, uint64_t offset, uint32_t length)
{
    static uint64_t next_tag = 1u << 21;
    uint64_t tag = next_tag++, got;
    blk_response_t r;
    submit_1(op, sector, offset, length, tag);
    next_answer_1(&r, &got);
    CHECK_EQ(got, tag);
    return r.status;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != value)
            return false;
    return true;
}

TEST(two_clients_have_data_regions_of_their_own)
{
    CHECK_EQ(blk_1_data_size, 1u << 20);
    CHECK(blk_1_data != blk_data);
    uint8_t *second = blk_1_data;
    memset(second, 0, SECTOR);
    CHECK_EQ(request_1(BLK_OP_READ, 7, 0, SECTOR), BLK_STATUS_OK);
    for (uint32_t i = 0; i < SECTOR; i++)
        CHECK(second[i] == background(7 * SECTOR + i));
}

/*
 * Both clients at once: client 1 writes 16 sectors from its region while
 * client 0 reads 16 others into its own, the submissions interleaved and
 * all in flight together.  Each gets its own 16 answers, by its own tags,
 * and each region holds exactly what its own requests put there; then
 * client 0 reads back what client 1 wrote (through the disk, as it may).
 */
TEST(two_clients_at_once_each_get_their_own_answers_and_data)
{
    uint8_t *second = blk_1_data;
    for (uint32_t i = 0; i < 16 * SECTOR; i++)
        second[i] = written(SECOND_SECTOR * SECTOR + i);
    memset(data, 0, 16 * SECTOR);
    for (unsigned i = 0; i < 16; i++) {
        submit_1(BLK_OP_WRITE, SECOND_SECTOR + i, (uint64_t)i * SECTOR, SECTOR, 600 + i);
        submit(BLK_OP_READ, 500 + i, (uint64_t)i * SECTOR, SECTOR, 500 + i);
    }
    blk_1_flush();
    blk_flush();
    bool seen[16] = { false }, seen_1[16] = { false };
    for (unsigned i = 0; i < 16; i++) {
        blk_response_t r;
        uint64_t tag;
        next_answer(&r, &tag);
        CHECK(tag >= 500 && tag < 516 && !seen[tag - 500]);
        seen[tag - 500] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
        next_answer_1(&r, &tag);
        CHECK(tag >= 600 && tag < 616 && !seen_1[tag - 600]);
        seen_1[tag - 600] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
    }
    CHECK(region_holds(0, 500, 16 * SECTOR, background));
    for (uint32_t i = 0; i < 16 * SECTOR; i++)
        CHECK(second[i] == written(SECOND_SECTOR * SECTOR + i));
    CHECK_EQ(request(BLK_OP_FLUSH, 0, 0, 0), BLK_STATUS_OK);
    memset(data, 0, 16 * SECTOR);
    CHECK_EQ(request(BLK_OP_READ, SECOND_SECTOR, 0, 16 * SECTOR), BLK_STATUS_OK);
    CHECK(region_holds(0, SECOND_SECTOR, 16 * SECTOR, written));
}

/*
 * What one client's requests can reach is its own region: client 1 reads
 * into every page of its region, to its very end, and names every offset
 * past it it can (past the end, wrapping round 2^64): the reads land in
 * its region, the rest is bad_region, and client 0's region, filled with
 * a marker, is untouched throughout.
 */
TEST(a_client_cannot_see_or_overwrite_another_clients_data)
{
    uint8_t *second = blk_1_data;
    size_t size = blk_1_data_size;
    memset(data, 0xa5, blk_data_size);
    memset(second, 0, size);
    for (unsigned page = 0; page < size / PAGE; page++)
        CHECK_EQ(request_1(BLK_OP_READ, UNTOUCHED_SECTOR + page % 32, (uint64_t)page * PAGE, PAGE), BLK_STATUS_OK);
    CHECK_EQ(request_1(BLK_OP_READ, UNTOUCHED_SECTOR, size - SECTOR, 2 * SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request_1(BLK_OP_READ, UNTOUCHED_SECTOR, size, SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request_1(BLK_OP_READ, UNTOUCHED_SECTOR, 2 * size, PAGE), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request_1(BLK_OP_READ, UNTOUCHED_SECTOR, UINT64_MAX - SECTOR + 1, 2 * SECTOR), BLK_STATUS_BAD_REGION);
    CHECK_EQ(request_1(BLK_OP_WRITE, UNTOUCHED_SECTOR, UINT64_MAX, SECTOR), BLK_STATUS_BAD_REGION);
    CHECK(all_bytes(data, blk_data_size, 0xa5));
    for (unsigned page = 0; page < size / PAGE; page++) {
        uint64_t sector = UNTOUCHED_SECTOR + page % 32;
        for (uint32_t i = 0; i < PAGE; i += 97)
            CHECK(second[(size_t)page * PAGE + i] == background(sector * SECTOR + i));
    }
}

/*
 * Answers the device completes into a full completion ring, with nothing
 * more to take: client 1 fills its completion ring with 128 infos without
 * collecting any, then sends 32 reads (the driver has taken the infos, so
 * the submission ring has room).  The reads' answers come from the
 * interrupt's pass and do not fit; they wait in the driver, and nothing
 * more arrives to make the ring callback run.  Collecting the infos makes
 * room, and the glue must call the callback again for that alone (a push
 * found the ring full): all 32 reads are then answered.
 */
TEST(answers_that_find_the_ring_full_in_the_interrupt_come_once_room_is_made)
{
    for (unsigned i = 0; i < RING_ENTRIES; i++)
        submit_1(BLK_OP_INFO, 0, 0, 0, 1000 + i);
    blk_1_flush();
    uint64_t start = now();
    while (__atomic_load_n(&((struct sel_ring *)blk_1_rings)->tail, __ATOMIC_ACQUIRE) !=
           __atomic_load_n(&((struct sel_ring *)blk_1_rings)->head, __ATOMIC_RELAXED)) {
        if (now() - start > 50000000) {
            harness_fail(__FILE__, __LINE__, "the driver did not take the infos");
            return;
        }
        sel_yield();
    }
    for (unsigned i = 0; i < 32; i++) {
        CHECK(blk_1_submit(&(blk_request_t){ .op = BLK_OP_READ, .length = PAGE, .sector = UNTOUCHED_SECTOR,
                                              .offset = (uint64_t)i * PAGE }, 2000 + i));
        outstanding_1++;
    }
    blk_1_flush();
    /* Let the reads reach the device and complete (their answers find the ring full). */
    start = now();
    while (now() - start < 2000000)
        sel_yield();
    bool seen[RING_ENTRIES + 32] = { false };
    for (unsigned i = 0; i < RING_ENTRIES + 32; i++) {
        blk_response_t r;
        uint64_t tag;
        next_answer_1(&r, &tag);
        unsigned k = tag >= 2000 ? RING_ENTRIES + (unsigned)(tag - 2000) : (unsigned)(tag - 1000);
        CHECK(k < RING_ENTRIES + 32 && !seen[k]);
        seen[k] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
    }
}

/*
 * Client 1 lies about its submission head while client 0 has 32 reads in
 * flight: client 1's rings break (its later request gets no answer), and
 * client 0 finishes every one of its reads intact, and goes on.  Both the
 * glue's report (once, naming driver.blk_1) and that the driver never
 * mentions client 0 are checked from the host (check).
 */
TEST(a_lying_client_breaks_only_its_own_rings_and_the_other_finishes_intact)
{
    memset(data, 0, 32 * PAGE);
    for (unsigned i = 0; i < 32; i++)
        submit(BLK_OP_READ, PATTERN_SECTOR + 8 * i, (uint64_t)i * PAGE, PAGE, 800 + i);
    blk_flush();
    struct sel_ring *submissions = (struct sel_ring *)blk_1_rings;
    uint32_t head = __atomic_load_n(&submissions->head, __ATOMIC_RELAXED);
    __atomic_store_n(&submissions->head, head + RING_ENTRIES + 5, __ATOMIC_RELEASE);
    blk_1_flush();   /* nothing new to publish: the lie stays; wake the driver if it sleeps */
    blk_response_t r;
    uint64_t tag;
    bool seen[32] = { false };
    for (unsigned i = 0; i < 32; i++) {
        next_answer(&r, &tag);
        CHECK(tag >= 800 && tag < 832 && !seen[tag - 800]);
        seen[tag - 800] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
    }
    for (unsigned i = 0; i < 32; i++)
        CHECK(region_holds((uint64_t)i * PAGE, PATTERN_SECTOR + 8 * i, PAGE, written));
    still_serves();
    submit_1(BLK_OP_INFO, 0, 0, 0, 900);
    blk_1_flush();
    uint64_t start = now();
    while (now() - start < 5000000) {   /* half a second of QEMU's clock */
        CHECK(!blk_1_completion(&r, &tag));
        sel_yield();
    }
    still_serves();
}

/*
 * A client that lies about its submission ring's head (more entries than
 * the ring has) breaks that ring: the ring library refuses the index, the
 * glue says so, and the port takes no more requests (docs/rings.md).  What
 * the driver had taken before is still answered.  The ring is found where
 * the glue says (blk_rings), and checked to be it before it is touched.
 *
 * 4 reads and 124 infos fill the completion ring once answered; the lie
 * goes in while they are (or are being) answered, and the driver reads the
 * head again either when the reads complete or when collecting the
 * answers makes room in the full completion ring, which wakes it.
 */
TEST(a_lying_head_breaks_only_the_ring_and_what_was_taken_is_answered)
{
    struct sel_ring *submissions = (struct sel_ring *)blk_rings;
    for (unsigned i = 0; i < 4; i++)
        submit(BLK_OP_READ, UNTOUCHED_SECTOR, (uint64_t)i * PAGE, PAGE, 30000 + i);
    for (unsigned i = 4; i < RING_ENTRIES; i++)
        submit(BLK_OP_INFO, 0, 0, 0, 30000 + i);
    blk_flush();   /* the driver (above us) takes all of them now */
    uint32_t head = __atomic_load_n(&submissions->head, __ATOMIC_RELAXED);
    const struct sel_ring_slot *last =
        (const struct sel_ring_slot *)(submissions->slots + (size_t)((head - 1) % RING_ENTRIES) * 32);
    if (last->tag != 30000 + RING_ENTRIES - 1) {
        harness_fail(__FILE__, __LINE__, "blk_rings does not hold the submission ring");
        return;
    }
    __atomic_store_n(&submissions->head, head + RING_ENTRIES + 5, __ATOMIC_RELEASE);
    static bool answered[RING_ENTRIES];
    for (unsigned i = 0; i < RING_ENTRIES; i++) {
        blk_response_t r;
        uint64_t tag;
        next_answer(&r, &tag);
        CHECK(tag >= 30000 && tag < 30000 + RING_ENTRIES && !answered[tag - 30000]);
        answered[tag - 30000] = true;
        CHECK_EQ(r.status, BLK_STATUS_OK);
    }
    /*
     * The driver refused the lie (it did not take slots past the real head
     * for requests): a request published now, over the lie, stays
     * unanswered, since the port is broken for good.
     */
    blk_response_t r;
    uint64_t tag;
    submit(BLK_OP_INFO, 0, 0, 0, 40000);
    blk_flush();
    uint64_t start = now();
    while (now() - start < 5000000) {   /* half a second of QEMU's clock */
        CHECK(!blk_completion(&r, &tag));
        sel_yield();
    }
}
