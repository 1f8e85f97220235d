/*
 * The benchmark's client: 4 KiB reads at random 4 KiB-aligned sectors of
 * the disk, first one at a time (queue depth 1), then 32 in flight (a new
 * one as each answer comes).  It sleeps for answers (blk_wait), as a real
 * client does, so the kernel entries and wake-ups are the real ones.
 *
 * Busy instructions per read = (instret after - before - 4 x the spinner's
 * turns) / reads: everything the hart ran except the spinner, i.e. this
 * client, the driver and the kernel (interrupts, wake-ups, timer ticks).
 * rdinstret is exact under QEMU -icount shift=0 on one hart.
 */
#include <component.h>
#include <sel/syscall.h>
#include <stdio.h>

#define READ 4096u
#define DISK_SECTORS 16384u
#define SPIN_INSTRUCTIONS 4u   /* per turn of spinner.c's loop */

static volatile uint64_t *const spinner_turns = spins;

static uint64_t instret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

static uint64_t random_state = 0x2545f4914f6cdd1dull;

static uint64_t random_sector(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return (random_state % (DISK_SECTORS / 8)) * 8;
}

static unsigned failures;

static void submit(uint64_t tag)
{
    blk_request_t r = { .op = BLK_OP_READ, .length = READ, .sector = random_sector(),
                        .offset = (tag % 32) * READ };
    while (!blk_submit(&r, tag))
        blk_wait();
}

/* Waits for at least one answer, then takes every one there is; returns how many. */
static unsigned collect(void)
{
    blk_response_t r;
    uint64_t tag;
    while (!blk_completion(&r, &tag))
        blk_wait();
    unsigned n = 0;
    do {
        if (r.status != BLK_STATUS_OK)
            failures++;
        n++;
    } while (blk_completion(&r, &tag));
    return n;
}

struct figures {
    uint64_t instructions, spinner, entries;
};

/* Kernel entries need the debug capability, which a system's components do not get: then they are not counted. */
static bool counts_entries = true;

static struct figures sample(void)
{
    struct figures f;
    sel_kernel_entries_t k = { 0 };
    counts_entries = counts_entries && sel_debug_kernel_entries(&k) == SEL_NO_ERROR;
    f.entries = k.entries;
    f.spinner = *spinner_turns;
    f.instructions = instret();
    return f;
}

/* reads at depth in flight; prints and returns the busy instructions per read. */
static uint64_t measure(const char *name, unsigned depth, unsigned reads)
{
    unsigned submitted = 0, done = 0;
    struct figures before = sample();
    while (done < reads) {
        while (submitted < reads && submitted - done < depth)
            submit(submitted++);
        blk_flush();
        done += collect();
    }
    struct figures after = sample();
    uint64_t total = after.instructions - before.instructions;
    uint64_t idle = (after.spinner - before.spinner) * SPIN_INSTRUCTIONS;
    uint64_t busy = total - idle;
    uint64_t entries = after.entries - before.entries;
    printf("blk_bench: %s: %u reads of 4 KiB: %llu instructions, %llu of them idle: %llu busy per read\n",
           name, reads, (unsigned long long)total, (unsigned long long)idle, (unsigned long long)(busy / reads));
    printf("BENCH blk_read_4k_%s_instructions %llu\n", name, (unsigned long long)(busy / reads));
    if (counts_entries)
        printf("BENCH blk_kernel_entries_per_request_%s %llu.%03llu\n", name, (unsigned long long)(entries / reads),
               (unsigned long long)(entries * 1000 / reads % 1000));
    return busy / reads;
}

int run(void)
{
    measure("warmup", 32, 512);
    measure("qd1", 1, 2000);
    measure("qd32", 32, 8000);
    printf("blk_bench: %u reads failed\nBENCH DONE\n", failures);
    if (!counts_entries)
        printf("blk_bench: no debug capability: kernel entries not counted, and QEMU must be stopped by hand\n");
    sel_debug_halt(failures ? 1 : 0);
    return 0;
}
