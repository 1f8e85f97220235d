/*
 * The ring wake-up protocol of docs/rings.md, on two harts with store
 * buffers, in both directions:
 *   - entries: a producer publishes batches ("publish head, full fence,
 *     read the peer's need_wakeup"), a consumer drains them and sleeps
 *     ("arm need_wakeup, full fence, re-check head, sleep");
 *   - space: the consumer moves tail ("publish tail, full fence, read
 *     need_space"), a producer that finds the ring full sleeps ("arm
 *     need_space, full fence, re-check tail, sleep").
 * What is modelled and why: README.md.
 *
 *   spin -a ring.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 *
 * Broken variants, each of which SPIN must catch (tests/spin/check.sh):
 *   -DNO_PRODUCER_FENCE        the producer loads need_wakeup without the fence
 *   -DNO_CONSUMER_FENCE        the consumer re-checks head without the fence
 *   -DWAKE_NOT_ORDERED         the producer's wake does not order its clear of
 *                              need_wakeup before it (see README.md)
 *   -DNO_CONSUMER_TAIL_FENCE   the consumer loads need_space without the fence
 *                              after its tail store
 *   -DNO_PRODUCER_SPACE_FENCE  the producer re-checks tail without the fence
 *                              after its need_space store
 *   -DSPACE_WAKE_NOT_ORDERED   the consumer's wake does not order its clear of
 *                              need_space before it
 */

#ifndef RING
#define RING 2          /* slots in the ring */
#endif
#ifndef MESSAGES
#define MESSAGES 6      /* messages the producer sends, in batches of any size that fits */
#endif
#ifndef BUF
#define BUF 4           /* store-buffer entries per hart; a store to a full buffer waits */
#endif

/* Shared memory, one word per field: the ring header, then the slots. */
#define HEAD        0   /* entries produced so far: written by the producer */
#define TAIL        1   /* entries consumed so far: written by the consumer */
#define NEED_WAKEUP 2   /* 1 while the consumer sleeps or is about to; the producer clears it */
#define NEED_SPACE  3   /* 1 while the producer sleeps on a full ring or is about to; the consumer clears it */
#define SLOT(i)     (4 + (i) % RING)
#define WORDS       (4 + RING)

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

/*
 * Each hart's notification, indexed by the sleeper: the peer's wake sets
 * it; Wait blocks while it is clear, then clears it.
 */
bit ntfn[2];

/* Each side's private state that the watchdog reads, and ghost state for the properties. */
byte produced;          /* the producer's own copy of head */
byte consumed;          /* the consumer's own copy of tail */
bit consumer_asleep;    /* the consumer found the ring empty at its re-check and is in Wait */
bit producer_asleep;    /* the producer found the ring full at its re-check and is in Wait */
bit producer_done, consumer_done;
/*
 * Ghost, indexed by the sleeper: its arming stores of 1 minus the wakes it
 * was sent, so (d) "wakes <= arms" is "credit never goes below 0".  Only
 * the difference is kept: two counters would make otherwise equal states
 * differ by their history and multiply the state space about ninefold.
 */
byte credit[2];

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
    :: a == NEED_SPACE -> printf("need_space=%d", v)
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
 * A wake (Signal on the peer's notification).  In our kernel it is a
 * kernel entry that takes and releases the big lock, and the release
 * orders every earlier store of the waker's hart (its clear of the peer's
 * need_wakeup or need_space) before the peer, which takes the lock to
 * return from Wait, can run again: a fence, then the set.  UNORDERED is
 * 1 for a broken variant that leaves the fence out.
 */
inline wake(h, UNORDERED) {
    d_step {
        (UNORDERED || sb[h].n == 0) ->
        assert(credit[1 - h] > 0);      /* (d) one arm costs at most one wake */
        credit[1 - h]--;
        ntfn[1 - h] = 1;
        if
        :: h == PRODUCER -> printf("producer wakes the consumer\n")
        :: else -> printf("consumer wakes the producer\n")
        fi
    }
}

#ifdef WAKE_NOT_ORDERED
#define PRODUCER_WAKE_UNORDERED 1
#else
#define PRODUCER_WAKE_UNORDERED 0
#endif
#ifdef SPACE_WAKE_NOT_ORDERED
#define CONSUMER_WAKE_UNORDERED 1
#else
#define CONSUMER_WAKE_UNORDERED 0
#endif

active proctype Producer() {
    byte tail, n, k, w;

    do
    :: produced == MESSAGES -> break
    :: else ->
        /* Look for space: load tail (acquire). */
        d_step { load(PRODUCER, TAIL, tail); printf("producer loads tail=%d: room for %d\n", tail, RING - (produced - tail)) };
        assert(tail <= produced && produced - tail <= RING);    /* an honest consumer never looks like a liar */
        if
        :: produced - tail == RING ->
            /* The ring is full.  S1. arm: need_space = 1 */
            d_step { sb[PRODUCER].n < BUF -> enqueue(PRODUCER, NEED_SPACE, 1); credit[PRODUCER]++ };
            /* S2. full fence */
#ifndef NO_PRODUCER_SPACE_FENCE
            fence(PRODUCER);
#endif
            /* S3. re-check tail: space means disarm and publish; none means sleep */
            d_step {
                load(PRODUCER, TAIL, tail);
                producer_asleep = (produced - tail == RING);
                printf("producer re-checks: loads tail=%d", tail);
                if
                :: producer_asleep -> printf(": sleeps (Wait)\n")
                :: else -> printf(": disarms\n")
                fi
            };
            assert(tail <= produced && produced - tail <= RING);
            if
            :: !producer_asleep -> skip
            :: else ->
                /* S4. sleep until woken (Wait), then retry from the load of tail */
                d_step { ntfn[PRODUCER] == 1 -> ntfn[PRODUCER] = 0; producer_asleep = 0; printf("producer wakes up\n") }
            fi;
            store(PRODUCER, NEED_SPACE, 0)
        :: else -> skip
        fi;
        if
        :: produced - tail == RING -> tail = 0     /* woken: retry */
        :: else ->
            /* A batch of any size from 1 to what fits and is left. */
            atomic {
                n = 1;
                do
                :: n < RING - (produced - tail) && produced + n < MESSAGES -> n++
                :: break
                od;
                tail = 0
            }
            /* 1. write the entries: message i (from 0) is the value i + 1 in slot i mod RING */
            k = 0;
            do
            :: k < n -> store(PRODUCER, SLOT(produced + k), produced + k + 1); k++
            :: else -> break
            od;
            /* 2. publish: one head store per batch */
            produced = produced + n;
            n = 0; k = 0;
            store(PRODUCER, HEAD, produced);
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
                wake(PRODUCER, PRODUCER_WAKE_UNORDERED)
            :: else -> skip
            fi
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
            store(CONSUMER, TAIL, consumed);
            /* 1a. full fence */
#ifndef NO_CONSUMER_TAIL_FENCE
            fence(CONSUMER);
#endif
            /* 1b. read the producer's need_space; if set, clear it and wake */
            d_step { load(CONSUMER, NEED_SPACE, v); printf("consumer loads need_space=%d\n", v) };
            if
            :: v == 1 ->
                v = 0;
                store(CONSUMER, NEED_SPACE, 0);
                wake(CONSUMER, CONSUMER_WAKE_UNORDERED)
            :: else -> skip
            fi
        :: else -> skip
        fi;
        if
        :: consumed == MESSAGES -> break
        :: else -> skip
        fi;
        /* 2. arm */
        d_step { sb[CONSUMER].n < BUF -> enqueue(CONSUMER, NEED_WAKEUP, 1); credit[CONSUMER]++ };
        /* 3. full fence */
#ifndef NO_CONSUMER_FENCE
        fence(CONSUMER);
#endif
        /* 4. re-check head: entries mean disarm and consume; none mean sleep */
        d_step {
            load(CONSUMER, HEAD, head);
            consumer_asleep = (head == consumed);
            printf("consumer re-checks: loads head=%d", head);
            if
            :: consumer_asleep -> printf(": sleeps (Wait)\n")
            :: else -> printf(": disarms\n")
            fi;
            head = 0
        };
        if
        :: !consumer_asleep -> skip
        :: else ->
            /* 5. sleep until woken (Wait) */
            d_step { ntfn[CONSUMER] == 1 -> ntfn[CONSUMER] = 0; consumer_asleep = 0; printf("consumer wakes up\n") }
        fi;
        store(CONSUMER, NEED_WAKEUP, 0)
    od;
    consumer_done = 1
}

/*
 * Runs once nothing else can move (every process blocked or done, both
 * store buffers drained): then the consumer must not be asleep on entries
 * it has not consumed (a), the producer must not be asleep on a ring with
 * space (a'), and both sides must have finished (b).
 */
active proctype Watchdog() {
    timeout;
    printf("stuck: consumer asleep=%d, consumed %d, head=%d in memory; producer asleep=%d, produced %d, tail=%d in memory, done=%d\n",
           consumer_asleep, consumed, mem[HEAD], producer_asleep, produced, mem[TAIL], producer_done);
    assert(!(consumer_asleep && mem[HEAD] != consumed));            /* (a) no lost wake-up (entries) */
    assert(!(producer_asleep && produced - mem[TAIL] != RING));     /* (a') no lost wake-up (space) */
    assert(producer_done && consumer_done)                          /* (b) no deadlock */
}

init {
    run Drain(PRODUCER);
    run Drain(CONSUMER)
}
