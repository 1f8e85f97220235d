/* The event loop (sel/loop.h). */
#include <sel/loop.h>
#include <sel/notification.h>
#include <sel/trace.h>
#include <sel/uintr.h>

/* The one syscall a loop sleeps in (loop_sleep.S): returns false if a token came first. */
struct sel__loop_sleep_regs {
    sel_word_t a[6];
};
bool sel__loop_sleep(struct sel__loop_sleep_regs *regs, long sysno, sel_word_t *tokens);
extern char sel__loop_sleep_window[], sel__loop_sleep_window_end[];

/* The loop of this thread, for its user-interrupt handler. */
static __thread sel_loop_t *token_loop;

void sel_loop_init(sel_loop_t *loop, sel_cptr_t notification, sel_word_t alarm_bit)
{
    *loop = (sel_loop_t){ .notification = notification, .alarm_bit = alarm_bit };
    sel_tasks_init(&loop->tasks, loop);
}

void sel_loop_set_rpc(sel_loop_t *loop, sel_cptr_t endpoint, sel_word_t rpc_badge_bit, sel_loop_rpc_fn *fn,
                      void *ctx)
{
    loop->endpoint = endpoint;
    loop->rpc_badge_bit = rpc_badge_bit;
    loop->rpc = fn;
    loop->rpc_ctx = ctx;
}

void sel_loop_add_source(sel_loop_t *loop, sel_loop_source_t *source)
{
    source->next = loop->sources;
    loop->sources = source;
}

void sel_loop_on_bits(sel_loop_t *loop, sel_loop_handler_t *handler)
{
    handler->next = loop->bit_handlers;
    loop->bit_handlers = handler;
}

/*
 * The user-interrupt handler: note the bits for the loop to run, and if the
 * loop was about to sleep or asleep (its syscall is restarted after uret),
 * resume it at the check before the syscall, so it sees them.
 */
static void loop_token_interrupt(sel_word_t bits, sel_word_t uepc)
{
    sel_loop_t *loop = token_loop;
    loop->token_interrupts++;
    __atomic_fetch_or(&loop->pending_tokens, bits, __ATOMIC_RELAXED);
    /* Awake now: more of these until the next sleep would only cost us handler entries. */
    sel_uintr_csrs()->uie &= ~bits;
    loop->masked_tokens |= bits;
    if (uepc >= (sel_word_t)sel__loop_sleep_window && uepc < (sel_word_t)sel__loop_sleep_window_end) {
        sel_uintr_csrs()->uepc = (sel_word_t)sel__loop_sleep_window;
        loop->tokens_interrupted_sleep++;
    }
}

void sel_loop_on_tokens(sel_loop_t *loop, sel_loop_handler_t *handler)
{
    handler->next = loop->token_handlers;
    loop->token_handlers = handler;
    if (token_loop != loop) {
        token_loop = loop;
        sel_uintr_set_handler(loop_token_interrupt);
        sel_uintr_enable();
    }
    sel_uintr_enable_bits(handler->bits);
}

void sel_loop_timer_start(sel_loop_t *loop, sel_loop_timer_t *timer, sel_word_t deadline)
{
    sel_loop_timer_stop(loop, timer);
    timer->deadline = deadline;
    timer->armed = true;
    sel_loop_timer_t **link = &loop->timers;
    while (*link && (*link)->deadline <= deadline)
        link = &(*link)->next;
    timer->next = *link;
    *link = timer;
}

void sel_loop_timer_stop(sel_loop_t *loop, sel_loop_timer_t *timer)
{
    if (!timer->armed)
        return;
    for (sel_loop_timer_t **link = &loop->timers; *link; link = &(*link)->next) {
        if (*link == timer) {
            *link = timer->next;
            break;
        }
    }
    timer->armed = false;
    timer->next = NULL;
}

static void dispatch(sel_loop_handler_t *handlers, sel_word_t bits)
{
    for (sel_loop_handler_t *h = handlers; h && bits; h = h->next) {
        sel_word_t mine = bits & h->bits;
        if (mine) {
            bits &= ~mine;
            h->fn(h->ctx, mine);
        }
    }
    /* Bits nobody handles were wake-ups for sources (rings), which every turn polls anyway. */
}

static bool timer_due(sel_loop_t *loop) { return loop->timers && loop->timers->deadline <= sel_time_now(); }

static bool anything_ready(sel_loop_t *loop);

bool sel_loop_turn(sel_loop_t *loop)
{
    SEL_TRACE_TURN_START(begin);
    bool ran = false;
    loop->turns++;
    /*
     * A reply waits for the next sleep (ReplyRecv, one syscall for both),
     * unless there is work first: then it goes now, before any handler can
     * use the IPC buffer that holds it, and the caller does not wait for it.
     */
    if (loop->reply_due && anything_ready(loop)) {
        sel_reply(loop->reply);
        loop->reply_due = false;
    }
    if (sel_tasks_run(&loop->tasks))
        ran = true;
    sel_word_t tokens = __atomic_exchange_n(&loop->pending_tokens, 0, __ATOMIC_RELAXED);
    if (tokens) {
        dispatch(loop->token_handlers, tokens);
        ran = true;
    }
    while (timer_due(loop)) {
        sel_loop_timer_t *t = loop->timers;
        loop->timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->fn(t->ctx);
        ran = true;
    }
    sel_word_t bits = loop->pending_bits;
    if (bits) {
        loop->pending_bits = 0;
        dispatch(loop->bit_handlers, bits);
        ran = true;
    }
    for (sel_loop_source_t *s = loop->sources; s; s = s->next) {
        if (s->ready(s->ctx)) {
            s->run(s->ctx);
            ran = true;
        }
    }
    SEL_TRACE_TURN(begin, loop->turns, ran);
    return ran;
}

/* Whether a turn would run something (before sending an rpc reply late). */
static bool anything_ready(sel_loop_t *loop)
{
    if (loop->pending_bits || __atomic_load_n(&loop->pending_tokens, __ATOMIC_RELAXED) || timer_due(loop) ||
        sel_tasks_ready(&loop->tasks))
        return true;
    for (sel_loop_source_t *s = loop->sources; s; s = s->next)
        if (s->ready(s->ctx))
            return true;
    return false;
}

static void disarm_until(sel_loop_t *loop, sel_loop_source_t *end)
{
    for (sel_loop_source_t *s = loop->sources; s != end; s = s->next)
        s->disarm(s->ctx);
}

/* Sets the kernel alarm for the earliest timer, if that changed. */
static void set_alarm(sel_loop_t *loop)
{
    sel_word_t deadline = loop->timers ? loop->timers->deadline : 0;
    if (!loop->alarm_bit || deadline == loop->alarm_deadline)
        return;
    if (sel_notification_set_alarm(loop->notification, deadline, loop->alarm_bit) == SEL_NO_ERROR)
        loop->alarm_deadline = deadline;
}

/* Notification bits arrived (from Wait, or as a Recv badge without the rpc bit). */
static void notified(sel_loop_t *loop, sel_word_t bits)
{
    if (bits & loop->alarm_bit) {
        bits &= ~loop->alarm_bit;
        loop->alarm_deadline = 0;   /* it fired; the timers it was for are due */
    }
    loop->pending_bits |= bits;
}

/* Arms every source and sleeps in one syscall; handles what woke it. */
static void loop_sleep(sel_loop_t *loop)
{
    for (sel_loop_source_t *s = loop->sources; s; s = s->next) {
        if (!s->arm(s->ctx)) {
            disarm_until(loop, s->next);   /* work came: no sleep */
            return;
        }
    }
    set_alarm(loop);
    /*
     * Tokens that came while we were awake are pending, masked: unmasked
     * now, the sleep's syscall takes them instead of blocking (or after a
     * request already waiting), and the handler sends us round again.
     */
    if (loop->masked_tokens) {
        sel_uintr_csrs()->uie |= loop->masked_tokens;
        loop->masked_tokens = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }

    struct sel__loop_sleep_regs regs = { { 0 } };
    sel_ipc_buffer_t *buffer = sel_ipc_buffer();
    long sysno;
    if (loop->endpoint) {
        regs.a[0] = loop->endpoint;
        sysno = SEL_SYS_RECV;
        if (loop->reply_due) {
            sysno = SEL_SYS_REPLY_RECV;
            regs.a[1] = loop->reply.words[0];
            for (int i = 0; i < 4; i++)
                regs.a[2 + i] = buffer->msg[i];
        }
    } else {
        regs.a[0] = loop->notification;
        sysno = SEL_SYS_RECV;   /* Wait */
    }
    loop->sleeps++;
    bool slept = sel__loop_sleep(&regs, sysno, &loop->pending_tokens);
    disarm_until(loop, NULL);
    /*
     * A token that came first leaves the reply due: if it ended a ReplyRecv
     * already blocked in its receive, the reply went, and repeating it
     * later replies to nobody, which does nothing.
     */
    if (!slept)
        return;
    loop->reply_due = false;
    if (!loop->endpoint) {
        notified(loop, regs.a[0]);
        return;
    }
    sel_word_t badge = regs.a[0];
    if (!(badge & loop->rpc_badge_bit)) {
        notified(loop, badge);
        return;
    }
    for (int i = 0; i < 4; i++)
        buffer->msg[i] = regs.a[2 + i];
    loop->reply = loop->rpc(loop->rpc_ctx, badge, (sel_msginfo_t){ { regs.a[1] } });
    loop->reply_due = true;   /* sent by the next turn if it has work, else by the next sleep */
}

void sel_loop_run(sel_loop_t *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        if (!sel_loop_turn(loop) && !loop->stop)
            loop_sleep(loop);
    }
    if (loop->reply_due) {
        sel_reply(loop->reply);
        loop->reply_due = false;
    }
}
