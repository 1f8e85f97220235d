/*
 * The timer: one-shot and periodic timeouts for its clients on QEMU virt's
 * goldfish RTC (README.md).
 *
 * The RTC counts nanoseconds and has one alarm: it interrupts once its
 * count reaches ALARM.  Every armed timeout of every client is in one list
 * in deadline order (equal deadlines in the order they were set); the
 * alarm is always set for the first.  At the interrupt the timer answers
 * every timeout whose deadline has come, in order, and moves each
 * periodic one on by whole periods from its own deadline, never from the
 * time it fired, so lateness never adds up.
 *
 * A timeout's state:
 *   armed     in the list, waiting for its deadline
 *   owed      its deadline came, its answer did not fit the client's
 *             completion ring: a one-shot leaves the list and waits here,
 *             a periodic one stays armed and counts the periods it misses
 *   free      answered (a one-shot that fired, a cancelled one)
 */
#include <component.h>

#include <sel/loop.h>
#include <stdio.h>
#include <string.h>

/* The goldfish RTC's registers (32-bit). */
#define RTC_TIME_LOW        0x00    /* read: the time's low half; latches the high half */
#define RTC_TIME_HIGH       0x04    /* read: the high half latched by the last TIME_LOW read */
#define RTC_ALARM_LOW       0x08    /* write: the alarm's low half, and arm it */
#define RTC_ALARM_HIGH      0x0c    /* write: the alarm's high half (first) */
#define RTC_IRQ_ENABLED     0x10
#define RTC_CLEAR_ALARM     0x14
#define RTC_ALARM_STATUS    0x18    /* read: 1 while an alarm is armed */
#define RTC_CLEAR_INTERRUPT 0x1c

/* The timeouts port's clients, numbered 0..TIMEOUTS_CLIENTS-1 by codegen. */
#define CLIENTS (TIMEOUTS_CLIENTS > 0 ? TIMEOUTS_CLIENTS : 1)
#define PER_CLIENT 64                /* timeouts a client may have armed at once */
#define TIMEOUTS (CLIENTS * PER_CLIENT)
static unsigned num_clients = TIMEOUTS_CLIENTS;   /* a variable: 0 clients must not make loops warn */

static bool client_request(unsigned client, timeout_request_t *request, uint64_t *tag)
{
    return timeouts_request_from(client, request, tag);
}

static bool client_answer(unsigned client, const timeout_answer_t *answer, uint64_t tag)
{
    return timeouts_complete_to(client, answer, tag);
}

enum state { FREE, ARMED, OWED };

struct timeout {
    enum state state;
    unsigned client;
    uint64_t tag;
    uint64_t deadline;
    uint64_t period;             /* 0: one-shot */
    uint64_t order;              /* when it was set: equal deadlines fire in this order */
    uint32_t sequence;           /* firings answered so far */
    uint32_t missed;             /* periods skipped since the last answer */
    bool answer_owed;            /* a periodic timeout whose last firing did not fit */
    timeout_answer_t owed;       /* the answer that did not fit */
    uint64_t owed_order;         /* when it became owed: owed answers go in this order */
    struct timeout *next;        /* in the armed list, or the client's owed list */
};

static volatile uint32_t *rtc;
static struct timeout timeouts[TIMEOUTS];
static struct timeout *armed;              /* deadline order */
static uint64_t next_order;
static unsigned armed_per_client[CLIENTS];
static uint64_t alarm_at;                  /* what the RTC's alarm is set to (0: none) */
static timer_counters_t counters;
static bool answers_blocked;               /* an answer did not fit: wait for timeouts_callback() */

/* ---- the RTC ------------------------------------------------------------------------------- */

static uint64_t rtc_now(void)
{
    uint32_t low = rtc[RTC_TIME_LOW / 4];
    uint32_t high = rtc[RTC_TIME_HIGH / 4];
    return (uint64_t)high << 32 | low;
}

/* The alarm for the first armed timeout (the RTC interrupts at once if its time has come). */
static void set_alarm(void)
{
    if (!armed) {
        if (alarm_at) {
            rtc[RTC_CLEAR_ALARM / 4] = 1;
            alarm_at = 0;
        }
        return;
    }
    if (armed->deadline == alarm_at)
        return;
    alarm_at = armed->deadline;
    rtc[RTC_ALARM_HIGH / 4] = (uint32_t)(alarm_at >> 32);
    rtc[RTC_ALARM_LOW / 4] = (uint32_t)alarm_at;
    counters.alarms_set++;
}

/* ---- the armed list ---------------------------------------------------------------------------- */

static void insert(struct timeout *t)
{
    struct timeout **link = &armed;
    while (*link && ((*link)->deadline < t->deadline ||
                     ((*link)->deadline == t->deadline && (*link)->order < t->order)))
        link = &(*link)->next;
    t->next = *link;
    *link = t;
}

static void unlink_armed(struct timeout *t)
{
    for (struct timeout **link = &armed; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            t->next = NULL;
            return;
        }
    }
}

static struct timeout *find(unsigned client, uint64_t tag)
{
    for (unsigned i = 0; i < TIMEOUTS; i++)
        if (timeouts[i].state != FREE && timeouts[i].client == client && timeouts[i].tag == tag)
            return &timeouts[i];
    return NULL;
}

static void release(struct timeout *t)
{
    armed_per_client[t->client]--;
    t->state = FREE;
}

/* ---- answers ------------------------------------------------------------------------------------- */

static bool answer(unsigned client, timeout_status_t status, uint64_t tag)
{
    timeout_answer_t a = { .status = status };
    if (status != TIMEOUT_STATUS_OK && status != TIMEOUT_STATUS_CANCELLED)
        counters.rejected++;
    return client_answer(client, &a, tag);
}

/*
 * Answers what waits owed: one-shots that fired, and periodic firings that
 * did not fit, each client's in the order they became owed (its deadline
 * order): after one does not fit, the client's others wait too.  False if
 * any did not fit.
 */
static bool answer_owed(void)
{
    bool full[CLIENTS] = { false }, all = true;
    for (;;) {
        struct timeout *next = NULL;
        for (unsigned i = 0; i < TIMEOUTS; i++) {
            struct timeout *t = &timeouts[i];
            if ((t->state == OWED || (t->state == ARMED && t->answer_owed)) && !full[t->client] &&
                (!next || t->owed_order < next->owed_order))
                next = t;
        }
        if (!next)
            return all;
        if (!client_answer(next->client, &next->owed, next->tag)) {
            full[next->client] = true;
            all = false;
            continue;
        }
        counters.fired++;
        next->answer_owed = false;
        if (next->state == OWED)
            release(next);
    }
}

static bool owes(unsigned client)
{
    for (unsigned i = 0; i < TIMEOUTS; i++)
        if (timeouts[i].client == client &&
            (timeouts[i].state == OWED || (timeouts[i].state == ARMED && timeouts[i].answer_owed)))
            return true;
    return false;
}

/* The deadline of t has come (now): answer it, and move a periodic one on. */
static void fire(struct timeout *t, uint64_t now)
{
    timeout_answer_t a = { .status = TIMEOUT_STATUS_FIRED, .deadline = t->deadline, .fired_at = now };
    uint64_t lateness = now - t->deadline;
    if (lateness > counters.max_lateness_ns)
        counters.max_lateness_ns = lateness;
    if (t->period && t->answer_owed) {
        t->missed++;   /* the last firing is still owed: this one is only counted */
        counters.missed++;
    } else {
        a.sequence = ++t->sequence;
        a.missed = t->missed;
        if (!owes(t->client) && client_answer(t->client, &a, t->tag)) {   /* never ahead of an owed one */
            counters.fired++;
            t->missed = 0;
        } else {
            t->owed = a;
            t->owed_order = next_order++;
            t->answer_owed = true;
            t->missed = 0;
        }
    }
    if (!t->period) {
        if (t->answer_owed) {
            t->state = OWED;
            t->answer_owed = false;
        } else {
            release(t);
        }
        return;
    }
    /* Whole periods from its deadline: periods already past (the timer was late) are skipped and counted. */
    uint64_t behind = (now - t->deadline) / t->period;
    t->missed += (uint32_t)behind;
    counters.missed += behind;
    t->deadline += (behind + 1) * t->period;
    insert(t);
}

static void expire(void)
{
    uint64_t now = rtc_now();
    while (armed && armed->deadline <= now) {
        struct timeout *t = armed;
        armed = t->next;
        t->next = NULL;
        fire(t, now);
    }
}

/* ---- requests -------------------------------------------------------------------------------------- */

static void take(unsigned client, const timeout_request_t *req, uint64_t tag)
{
    if (req->op == TIMEOUT_OP_CANCEL) {
        struct timeout *t = find(client, req->target);
        if (!t) {
            answer(client, TIMEOUT_STATUS_NOT_FOUND, tag);
            return;
        }
        if (t->state == OWED) {
            answer(client, TIMEOUT_STATUS_NOT_FOUND, tag);   /* it fired; its answer is on its way */
            return;
        }
        unlink_armed(t);
        counters.cancelled++;
        /* Its owed firing, if any, goes first: the client gets every answer a timeout earned, then cancelled. */
        if (t->answer_owed && client_answer(client, &t->owed, t->tag))
            counters.fired++;
        timeout_answer_t a = { .status = TIMEOUT_STATUS_CANCELLED, .sequence = t->sequence, .missed = t->missed };
        client_answer(client, &a, t->tag);
        release(t);
        answer(client, TIMEOUT_STATUS_OK, tag);
        return;
    }
    if ((req->op != TIMEOUT_OP_ONESHOT && req->op != TIMEOUT_OP_PERIODIC) ||
        (req->op == TIMEOUT_OP_PERIODIC && req->period == 0)) {
        answer(client, TIMEOUT_STATUS_INVALID, tag);
        return;
    }
    if (find(client, tag)) {
        answer(client, TIMEOUT_STATUS_DUPLICATE, tag);
        return;
    }
    if (armed_per_client[client] == PER_CLIENT) {
        answer(client, TIMEOUT_STATUS_BUSY, tag);
        return;
    }
    struct timeout *t = NULL;
    for (unsigned i = 0; i < TIMEOUTS && !t; i++)
        if (timeouts[i].state == FREE)
            t = &timeouts[i];
    if (!t) {   /* cannot be: a client has at most PER_CLIENT, and there are that many per client */
        answer(client, TIMEOUT_STATUS_BUSY, tag);
        return;
    }
    memset(t, 0, sizeof(*t));
    t->state = ARMED;
    t->client = client;
    t->tag = tag;
    t->deadline = req->at;
    t->period = req->op == TIMEOUT_OP_PERIODIC ? req->period : 0;
    t->order = next_order++;
    armed_per_client[client]++;
    insert(t);
}

/* ---- events ------------------------------------------------------------------------------------------- */

static void settle(void)
{
    if (!answers_blocked && !answer_owed())
        answers_blocked = true;   /* the glue calls timeouts_callback() once the ring has room */
    expire();
    set_alarm();
    counters.armed = 0;
    for (unsigned i = 0; i < num_clients; i++)
        counters.armed += armed_per_client[i];
    timeouts_flush();
}

void timeouts_callback(void)
{
    answers_blocked = false;   /* the glue calls us when a completion ring that was full has room */
    for (unsigned i = 0; i < num_clients; i++) {
        timeout_request_t req;
        uint64_t tag;
        while (client_request(i, &req, &tag))
            take(i, &req, tag);
    }
    settle();
}

void rtc_irq(void)
{
    counters.interrupts++;
    rtc[RTC_CLEAR_INTERRUPT / 4] = 1;
    alarm_at = 0;   /* it went off: the next set_alarm writes it again */
    rtc_irq_ack();
    settle();
}

/* Owed answers that are not waiting for room (those are tried again in timeouts_callback()). */
static bool owed_ready(void *ctx)
{
    (void)ctx;
    if (answers_blocked)
        return false;
    for (unsigned i = 0; i < TIMEOUTS; i++)
        if (timeouts[i].state == OWED || (timeouts[i].state == ARMED && timeouts[i].answer_owed))
            return true;
    return false;
}

static void owed_run(void *ctx)
{
    (void)ctx;
    settle();
}

static bool owed_arm(void *ctx) { return !owed_ready(ctx); }
static void owed_disarm(void *ctx) { (void)ctx; }
static sel_loop_source_t owed_source = { .ready = owed_ready, .run = owed_run, .arm = owed_arm,
                                         .disarm = owed_disarm };

/* ---- the clock ------------------------------------------------------------------------------------------ */

uint64_t clock_now(void) { return rtc_now(); }

void clock_status(timer_counters_t *out)
{
    *out = counters;
    out->clients = TIMEOUTS_CLIENTS;
}

void init(void)
{
    rtc = (volatile uint32_t *)rtc_regs;
    rtc[RTC_CLEAR_ALARM / 4] = 1;
    rtc[RTC_CLEAR_INTERRUPT / 4] = 1;
    rtc[RTC_IRQ_ENABLED / 4] = 1;
    sel_loop_add_source(component_loop(), &owed_source);
    uint64_t now = rtc_now();
    printf("goldfish RTC, %u client%s of up to %u timeouts each; the time is %lu.%09lu s (Unix time)\n",
           TIMEOUTS_CLIENTS, TIMEOUTS_CLIENTS == 1 ? "" : "s", PER_CLIENT, (unsigned long)(now / 1000000000u),
           (unsigned long)(now % 1000000000u));
}
