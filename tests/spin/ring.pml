/*
 * The ring wake-up protocol of docs/rings.md, on two harts with store
 * buffers: a producer publishes batches ("publish, full fence, read the
 * peer's need_wakeup"), a consumer drains them and sleeps ("arm, full
 * fence, re-check, sleep").  What is modelled and why: README.md.
 *
 *   spin -a ring.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 *
 * Broken variants, each of which SPIN must catch (tests/spin/check.sh):
 *   -DNO_PRODUCER_FENCE   the producer loads need_wakeup without the fence
 *   -DNO_CONSUMER_FENCE   the consumer re-checks head without the fence
 *   -DWAKE_NOT_ORDERED    the wake does not order the producer's clear of
 *                         need_wakeup before it (see README.md)
 */

#ifndef RING
#define RING 2          /* slots in the ring */
#endif
#ifndef MESSAGES
#define MESSAGES 5      /* messages the producer sends, in batches of any size that fits */
#endif
#ifndef BUF
#define BUF 4           /* store-buffer entries per hart; a store to a full buffer waits */
#endif

/* Shared memory, one word per field: the ring header, then the slots. */
#define HEAD        0   /* entries produced so far: written by the producer */
#define TAIL        1   /* entries consumed so far: written by the consumer */
#define NEED_WAKEUP 2   /* 1 while the consumer sleeps or is about to */
#define SLOT(i)     (3 + (i) % RING)
#define WORDS       (3 + RING)

byte mem[WORDS];

/*
 * Each hart's store buffer: its stores, oldest first.  A store enters the
 * buffer; the hart's Drain process moves the oldest one to memory at any
 * moment; the hart's own loads see its buffered stores first; a full
 * fence waits until the buffer is empty.
 */
typedef StoreBuffer {
    byte addr[BUF];
    byte val[BUF];
    byte n
};
StoreBuffer sb[2];
#define PRODUCER 0
#define CONSUMER 1

/* The consumer's notification: a wake sets it; Wait blocks while it is clear, then clears it. */
bit ntfn;

/* The consumer's private state that the watchdog reads, and ghost state for the properties. */
byte consumed;          /* the consumer's own copy of tail */
bit asleep;             /* the consumer found the ring empty at step 4 and is in Wait */
bit producer_done, consumer_done;
byte arms, wakes;       /* ghosts: stores of need_wakeup = 1; wakes sent */

hidden byte scan;       /* loop counter inside d_steps only */
hidden byte shown;      /* the word a drain prints (inline arguments cannot be structure fields) */

/* For replaying a counterexample (spin -t): printf runs in simulation only, never in pan. */
inline say_hart(h) {
    if
    :: h == PRODUCER -> printf("producer ")
    :: else -> printf("consumer ")
    fi
}

inline say_word(a, v) {
    if
    :: a == HEAD -> printf("head=%d", v)
    :: a == TAIL -> printf("tail=%d", v)
    :: a == NEED_WAKEUP -> printf("need_wakeup=%d", v)
    :: else -> printf("slot[%d]=%d", a - SLOT(0), v)
    fi
}

inline store(h, a, v) {
    d_step { sb[h].n < BUF -> enqueue(h, a, v) }
}

inline enqueue(h, a, v) {
    say_hart(h); printf("stores "); say_word(a, v); printf(" (into its buffer)\n");
    sb[h].addr[sb[h].n] = a;
    sb[h].val[sb[h].n] = v;
    sb[h].n++
}

/* The body of a load (callers wrap it in a d_step): memory, unless the hart's own buffer has a newer store. */
inline load(h, a, r) {
    r = mem[a];
    scan = 0;
    do
    :: scan < sb[h].n ->
        if
        :: sb[h].addr[scan] == a -> r = sb[h].val[scan]
        :: else -> skip
        fi;
        scan++
    :: else -> break
    od;
    scan = 0
}

inline fence(h) {
    d_step { sb[h].n == 0 -> say_hart(h); printf("fence\n") }
}

proctype Drain(byte h) {
end:
    do
    :: d_step {
           sb[h].n > 0 ->
           mem[sb[h].addr[0]] = sb[h].val[0];
           shown = sb[h].addr[0];
           printf("    "); say_hart(h); printf("buffer drains: ");
           say_word(shown, mem[shown]);
           printf(" in memory\n");
           shown = 0;
           scan = 1;
           do
           :: scan < sb[h].n ->
               sb[h].addr[scan - 1] = sb[h].addr[scan];
               sb[h].val[scan - 1] = sb[h].val[scan];
               scan++
           :: else -> break
           od;
           sb[h].n--;
           sb[h].addr[sb[h].n] = 0;
           sb[h].val[sb[h].n] = 0;
           scan = 0
       }
    od
}

/*
 * The wake (Signal on the consumer's notification).  In our kernel it is
 * a kernel entry that takes and releases the big lock, and the release
 * orders every earlier store of the producer's hart (its clear of
 * need_wakeup) before the consumer, which takes the lock to return from
 * Wait, can run again: a fence, then the set.
 */
inline wake() {
#ifndef WAKE_NOT_ORDERED
    d_step { sb[PRODUCER].n == 0 -> ntfn = 1; wakes++; printf("producer wakes the consumer\n") };
#else
    d_step { ntfn = 1; wakes++; printf("producer wakes the consumer\n") };
#endif
    assert(wakes <= arms)       /* (d) one arm costs at most one wake */
}

active proctype Producer() {
    byte head, tail, n, k, w;

    do
    :: head == MESSAGES -> break
    :: else ->
        /*
         * Wait for space.  The producer spins re-loading tail on a full
         * ring; as a guard that blocks until that load would see space
         * (no cycle in the state space, so a producer stuck on a full
         * ring is a deadlock SPIN reports).
         */
        d_step {
            mem[TAIL] + RING > head -> tail = mem[TAIL];
            printf("producer loads tail=%d: room for %d\n", tail, RING - (head - tail))
        };
        assert(tail <= head && head - tail <= RING);    /* an honest consumer never looks like a liar */
        /* A batch of any size from 1 to what fits and is left. */
        atomic {
            n = 1;
            do
            :: n < RING - (head - tail) && head + n < MESSAGES -> n++
            :: break
            od;
            tail = 0
        }
        /* 1. write the entries: message i (from 0) is the value i + 1 in slot i mod RING */
        k = 0;
        do
        :: k < n -> store(PRODUCER, SLOT(head + k), head + k + 1); k++
        :: else -> break
        od;
        /* 2. publish: one head store per batch */
        head = head + n;
        n = 0; k = 0;
        store(PRODUCER, HEAD, head);
        /* 3. full fence */
#ifndef NO_PRODUCER_FENCE
        fence(PRODUCER);
#endif
        /* 4. read the consumer's need_wakeup; if set, clear it and wake */
        d_step { load(PRODUCER, NEED_WAKEUP, w); printf("producer loads need_wakeup=%d\n", w) };
        if
        :: w == 1 ->
            w = 0;
            store(PRODUCER, NEED_WAKEUP, 0);
            wake()
        :: else -> skip
        fi
    od;
    producer_done = 1
}

active proctype Consumer() {
    byte head, v;

    do
    :: /* 1. consume what there is, then move tail once */
        d_step { load(CONSUMER, HEAD, head); printf("consumer loads head=%d\n", head) };
        assert(head >= consumed && head - consumed <= RING);  /* an honest producer never looks like a liar */
        if
        :: head != consumed ->
            do
            :: consumed != head ->
                d_step {
                    load(CONSUMER, SLOT(consumed), v);
                    printf("consumer reads slot[%d]=%d\n", SLOT(consumed) - SLOT(0), v);
                    assert(v == consumed + 1);  /* (c) every message once, in order */
                    consumed++;
                    v = 0
                }
            :: else -> break
            od;
            store(CONSUMER, TAIL, consumed)
        :: else -> skip
        fi;
        if
        :: consumed == MESSAGES -> break
        :: else -> skip
        fi;
        /* 2. arm */
        d_step { sb[CONSUMER].n < BUF -> enqueue(CONSUMER, NEED_WAKEUP, 1); arms++ };
        /* 3. full fence */
#ifndef NO_CONSUMER_FENCE
        fence(CONSUMER);
#endif
        /* 4. re-check head: entries mean disarm and consume; none mean sleep */
        d_step {
            load(CONSUMER, HEAD, head);
            asleep = (head == consumed);
            printf("consumer re-checks: loads head=%d", head);
            if
            :: asleep -> printf(": sleeps (Wait)\n")
            :: else -> printf(": disarms\n")
            fi;
            head = 0
        };
        if
        :: !asleep -> skip
        :: else ->
            /* 5. sleep until woken (Wait) */
            d_step { ntfn == 1 -> ntfn = 0; asleep = 0; printf("consumer wakes up\n") }
        fi;
        store(CONSUMER, NEED_WAKEUP, 0)
    od;
    consumer_done = 1
}

/*
 * Runs once nothing else can move (every process blocked or done, both
 * store buffers drained): then the consumer must not be asleep on entries
 * it has not consumed (a), and both sides must have finished (b).
 */
active proctype Watchdog() {
    timeout;
    printf("stuck: consumer asleep=%d, consumed %d, head=%d in memory, producer done=%d\n",
           asleep, consumed, mem[HEAD], producer_done);
    assert(!(asleep && mem[HEAD] != consumed));      /* (a) no lost wake-up */
    assert(producer_done && consumer_done)           /* (b) no deadlock */
}

init {
    run Drain(PRODUCER);
    run Drain(CONSUMER)
}
