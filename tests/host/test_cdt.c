/*
 * Host tests of the capability derivation tree (kernel/core/cdt.c), built
 * from the kernel source unchanged.  The random tests also link
 * kernel/core/cap.c (with the stubs of kernel_stubs.c) to check that
 * cap_is_final and cap_delete agree with a reference model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/cdt.h>
#include <kernel/cnode.h>

#include "kernel_stubs.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* Asserts all four links of node. */
static void assert_links(const struct cte *node, const struct cte *parent, const struct cte *first_child,
                         const struct cte *prev, const struct cte *next)
{
    assert_ptr_equal(node->parent, parent);
    assert_ptr_equal(node->first_child, first_child);
    assert_ptr_equal(node->prev, prev);
    assert_ptr_equal(node->next, next);
}

static void assert_unlinked(const struct cte *node) { assert_links(node, NULL, NULL, NULL, NULL); }

/* Asserts that the child list starting at first is exactly want[0..n), each with parent and both sibling links. */
static void assert_siblings(const struct cte *parent, const struct cte *first, struct cte *const *want, size_t n)
{
    const struct cte *c = first;
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(c, want[i]);
        assert_ptr_equal(c->parent, parent);
        assert_ptr_equal(c->prev, i ? want[i - 1] : NULL);
        c = c->next;
    }
    assert_null(c);
}

#define ASSERT_CHILDREN(parent, ...)                                                              \
    do {                                                                                          \
        struct cte *want_[] = { __VA_ARGS__ };                                                    \
        assert_siblings((parent), (parent)->first_child, want_, sizeof(want_) / sizeof(want_[0])); \
    } while (0)

/* Builds parent p with children in the order given (inserting in reverse, since insert prepends). */
static void make_children(struct cte *p, struct cte **kids, size_t n)
{
    for (size_t i = n; i-- > 0;)
        cdt_insert_child(p, kids[i]);
}

#define MAKE_CHILDREN(parent, ...)                                             \
    do {                                                                       \
        struct cte *kids_[] = { __VA_ARGS__ };                                 \
        make_children((parent), kids_, sizeof(kids_) / sizeof(kids_[0]));      \
    } while (0)

/* ---- insert ------------------------------------------------------------------------ */

static void cdt_insert_child_links_parent_and_child(void **state)
{
    struct cte p = { 0 }, c = { 0 };
    cdt_insert_child(&p, &c);
    assert_links(&p, NULL, &c, NULL, NULL);
    assert_links(&c, &p, NULL, NULL, NULL);
    assert_true(cdt_has_children(&p));
    assert_false(cdt_has_children(&c));
}

static void cdt_insert_child_prepends_to_siblings(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
    cdt_insert_child(&p, &a);
    cdt_insert_child(&p, &b);
    cdt_insert_child(&p, &c);
    ASSERT_CHILDREN(&p, &c, &b, &a);
}

static void cdt_insert_child_without_parent_makes_a_root(void **state)
{
    struct cte r;
    memset(&r, 0xa5, sizeof(r)); /* stale links from an earlier life must not survive */
    cdt_insert_child(NULL, &r);
    assert_unlinked(&r);
}

static void cdt_insert_child_under_a_child_nests(void **state)
{
    struct cte p = { 0 }, c = { 0 }, g = { 0 }, s = { 0 };
    cdt_insert_child(&p, &c);
    cdt_insert_child(&c, &g);
    cdt_insert_child(&p, &s);
    ASSERT_CHILDREN(&p, &s, &c);
    ASSERT_CHILDREN(&c, &g);
    assert_null(g.first_child);
}

/* ---- remove ------------------------------------------------------------------------ */

static void cdt_remove_only_child_leaves_parent_childless(void **state)
{
    struct cte p = { 0 }, c = { 0 };
    cdt_insert_child(&p, &c);
    cdt_remove(&c);
    assert_unlinked(&p);
    assert_unlinked(&c);
}

static void cdt_remove_first_leaf_updates_parent_first_child(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    cdt_remove(&a);
    ASSERT_CHILDREN(&p, &b, &c);
    assert_unlinked(&a);
}

static void cdt_remove_middle_leaf_joins_its_siblings(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    cdt_remove(&b);
    ASSERT_CHILDREN(&p, &a, &c);
    assert_unlinked(&b);
}

static void cdt_remove_last_leaf_ends_the_list_at_its_prev(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    cdt_remove(&c);
    ASSERT_CHILDREN(&p, &a, &b);
    assert_unlinked(&c);
}

static void cdt_remove_inner_node_puts_children_in_its_place(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 }, x = { 0 }, y = { 0 }, z = { 0 }, g = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    MAKE_CHILDREN(&b, &x, &y, &z);
    cdt_insert_child(&y, &g);
    cdt_remove(&b);
    ASSERT_CHILDREN(&p, &a, &x, &y, &z, &c);
    ASSERT_CHILDREN(&y, &g); /* grandchildren stay where they were */
    assert_unlinked(&b);
}

static void cdt_remove_inner_first_child_hands_first_child_to_its_child(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, x = { 0 }, y = { 0 };
    MAKE_CHILDREN(&p, &a, &b);
    MAKE_CHILDREN(&a, &x, &y);
    cdt_remove(&a);
    ASSERT_CHILDREN(&p, &x, &y, &b);
    assert_unlinked(&a);
}

static void cdt_remove_inner_last_child_ends_the_list_at_its_last_child(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, x = { 0 }, y = { 0 };
    MAKE_CHILDREN(&p, &a, &b);
    MAKE_CHILDREN(&b, &x, &y);
    cdt_remove(&b);
    ASSERT_CHILDREN(&p, &a, &x, &y);
    assert_unlinked(&b);
}

static void cdt_remove_only_child_with_children_lifts_them(void **state)
{
    struct cte p = { 0 }, a = { 0 }, x = { 0 };
    cdt_insert_child(&p, &a);
    cdt_insert_child(&a, &x);
    cdt_remove(&a);
    ASSERT_CHILDREN(&p, &x);
    assert_unlinked(&a);
}

/* A root has no siblings: its children become parentless but stay linked to each other. */
static void cdt_remove_root_with_children_leaves_them_parentless_siblings(void **state)
{
    struct cte r = { 0 }, x = { 0 }, y = { 0 }, z = { 0 }, g = { 0 };
    cdt_insert_child(NULL, &r);
    MAKE_CHILDREN(&r, &x, &y, &z);
    cdt_insert_child(&z, &g);
    cdt_remove(&r);
    struct cte *want[] = { &x, &y, &z };
    assert_siblings(NULL, &x, want, 3);
    ASSERT_CHILDREN(&z, &g);
    assert_unlinked(&r);

    /* Removing one of them afterwards keeps the other two linked. */
    cdt_remove(&y);
    struct cte *left[] = { &x, &z };
    assert_siblings(NULL, &x, left, 2);
}

/* ---- move -------------------------------------------------------------------------- */

static void cdt_move_leaf_takes_its_place_among_siblings(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    cdt_move(&b, &d);
    ASSERT_CHILDREN(&p, &a, &d, &c);
    assert_null(d.first_child);
    assert_unlinked(&b);
}

static void cdt_move_first_child_updates_parent(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, d = { 0 };
    MAKE_CHILDREN(&p, &a, &b);
    cdt_move(&a, &d);
    ASSERT_CHILDREN(&p, &d, &b);
    assert_unlinked(&a);
}

static void cdt_move_inner_node_reparents_its_children(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 }, x = { 0 }, y = { 0 }, g = { 0 }, d = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    MAKE_CHILDREN(&b, &x, &y);
    cdt_insert_child(&x, &g);
    cdt_move(&b, &d);
    ASSERT_CHILDREN(&p, &a, &d, &c);
    ASSERT_CHILDREN(&d, &x, &y);
    ASSERT_CHILDREN(&x, &g);
    assert_unlinked(&b);
}

static void cdt_move_root_with_children(void **state)
{
    struct cte r = { 0 }, x = { 0 }, y = { 0 }, d = { 0 };
    cdt_insert_child(NULL, &r);
    MAKE_CHILDREN(&r, &x, &y);
    cdt_move(&r, &d);
    assert_links(&d, NULL, &x, NULL, NULL);
    ASSERT_CHILDREN(&d, &x, &y);
    assert_unlinked(&r);
}

/* Move there and back, as Rotate does through a temporary slot. */
static void cdt_move_and_back_restores_the_tree(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, c = { 0 }, x = { 0 }, tmp = { 0 };
    MAKE_CHILDREN(&p, &a, &b, &c);
    cdt_insert_child(&b, &x);
    cdt_move(&b, &tmp);
    cdt_move(&tmp, &b);
    ASSERT_CHILDREN(&p, &a, &b, &c);
    ASSERT_CHILDREN(&b, &x);
    assert_unlinked(&tmp);
}

/* ---- first leaf -------------------------------------------------------------------- */

static void cdt_first_leaf_of_leaf_is_null(void **state)
{
    struct cte p = { 0 }, c = { 0 };
    assert_null(cdt_first_leaf(&p));
    cdt_insert_child(&p, &c);
    assert_null(cdt_first_leaf(&c));
}

static void cdt_first_leaf_follows_first_children_down(void **state)
{
    struct cte p = { 0 }, a = { 0 }, b = { 0 }, a1 = { 0 }, a2 = { 0 }, a11 = { 0 }, b1 = { 0 };
    MAKE_CHILDREN(&p, &a, &b);
    MAKE_CHILDREN(&a, &a1, &a2);
    cdt_insert_child(&a1, &a11);
    cdt_insert_child(&b, &b1);
    assert_ptr_equal(cdt_first_leaf(&p), &a11);
    assert_ptr_equal(cdt_first_leaf(&a), &a11);
    assert_ptr_equal(cdt_first_leaf(&b), &b1);
    /* Once a11 is gone, a1 is a leaf. */
    cdt_remove(&a11);
    assert_ptr_equal(cdt_first_leaf(&p), &a1);
}

/* Revoke's loop: deleting first leaves until none is left empties the subtree, and nothing else. */
static void cdt_removing_first_leaves_empties_the_subtree(void **state)
{
    struct cte s[12] = { 0 };
    /* s0 has children s1, s2, s3; s2's subtree holds s4..s11. */
    cdt_insert_child(NULL, &s[0]);
    MAKE_CHILDREN(&s[0], &s[1], &s[2], &s[3]);
    MAKE_CHILDREN(&s[2], &s[4], &s[5]);
    MAKE_CHILDREN(&s[4], &s[6], &s[7]);
    cdt_insert_child(&s[6], &s[8]);
    cdt_insert_child(&s[5], &s[9]);
    MAKE_CHILDREN(&s[9], &s[10], &s[11]);
    int removed = 0;
    for (struct cte *leaf; (leaf = cdt_first_leaf(&s[2])) != NULL && removed < 12; removed++) {
        assert_null(leaf->first_child);
        cdt_remove(leaf);
    }
    assert_int_equal(removed, 8); /* bounded above: a broken remove must not loop forever */
    assert_null(s[2].first_child);
    ASSERT_CHILDREN(&s[0], &s[1], &s[2], &s[3]);
}

/* ---- random sequences against a reference model ------------------------------------ */

/*
 * The model keeps every sibling list as an array.  Lists 0..SLOTS-1 are the
 * children of slot i; lists SLOTS..2*SLOTS-1 hold groups of parentless
 * siblings (a root alone, or the children of a removed root).
 */
#define SLOTS 40
#define LISTS (2 * SLOTS)
#define NONE (-1)
#define STEPS 5000 /* per seed */

struct model {
    struct cte slot[SLOTS];
    bool used[SLOTS];
    int in_list[SLOTS];
    int list[LISTS][SLOTS];
    int len[LISTS];
    /* For the kernel-rules test: which object each slot's cap names, and whether it is untyped. */
    int object[SLOTS];
    bool untyped[SLOTS];
    int objects; /* object ids handed out so far */
    uint64_t seed, rng;
    int step;
};

static unsigned rnd(struct model *m, unsigned n)
{
    /* xorshift64*: deterministic for a seed, good enough to pick from n. */
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (unsigned)((m->rng * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

static void model_init(struct model *m, uint64_t seed)
{
    memset(m, 0, sizeof(*m));
    m->seed = m->rng = seed;
}

static int pos_in(const struct model *m, int l, int n)
{
    for (int i = 0; i < m->len[l]; i++)
        if (m->list[l][i] == n)
            return i;
    return NONE;
}

/* A random slot that is used (or not); NONE if there is none. */
static int pick(struct model *m, bool used)
{
    int candidates[SLOTS], n = 0;
    for (int i = 0; i < SLOTS; i++)
        if (m->used[i] == used)
            candidates[n++] = i;
    return n ? candidates[rnd(m, (unsigned)n)] : NONE;
}

static int count_used(const struct model *m)
{
    int n = 0;
    for (int i = 0; i < SLOTS; i++)
        n += m->used[i];
    return n;
}

/* cdt_insert_child(parent or NULL, child), on the model. */
static void model_insert(struct model *m, int parent, int child)
{
    int l = parent;
    if (l == NONE)
        for (l = SLOTS; m->len[l] != 0; l++)
            ;
    memmove(&m->list[l][1], &m->list[l][0], (size_t)m->len[l] * sizeof(int));
    m->list[l][0] = child;
    m->len[l]++;
    m->in_list[child] = l;
    m->used[child] = true;
}

/* cdt_remove(n), on the model. */
static void model_remove(struct model *m, int n)
{
    int l = m->in_list[n], at = pos_in(m, l, n), k = m->len[n];
    memmove(&m->list[l][at + k], &m->list[l][at + 1], (size_t)(m->len[l] - at - 1) * sizeof(int));
    for (int i = 0; i < k; i++) {
        m->list[l][at + i] = m->list[n][i];
        m->in_list[m->list[n][i]] = l;
    }
    m->len[l] += k - 1;
    m->len[n] = 0;
    m->used[n] = false;
}

/* cdt_move(n, d), on the model. */
static void model_move(struct model *m, int n, int d)
{
    int l = m->in_list[n];
    m->list[l][pos_in(m, l, n)] = d;
    m->in_list[d] = l;
    memcpy(m->list[d], m->list[n], (size_t)m->len[n] * sizeof(int));
    m->len[d] = m->len[n];
    for (int i = 0; i < m->len[d]; i++)
        m->in_list[m->list[d][i]] = d;
    m->len[n] = 0;
    m->used[n] = false;
    m->used[d] = true;
    m->object[d] = m->object[n];
    m->untyped[d] = m->untyped[n];
}

static struct cte *slot_or_null(struct model *m, int i) { return i == NONE ? NULL : &m->slot[i]; }

static int model_first_leaf(const struct model *m, int n)
{
    if (m->len[n] == 0)
        return NONE;
    while (m->len[n])
        n = m->list[n][0];
    return n;
}

/* Fails with the seed, the step and what differs ("#" lines are what the TAP runner shows). */
#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            print_error("# seed %#llx step %d: ", (unsigned long long)m->seed, m->step);     \
            print_error(__VA_ARGS__);                                                        \
            print_error("\n# failed: %s\n", #cond);                                          \
            fail();                                                                          \
        }                                                                                    \
    } while (0)

/* Checks every link of every slot, cdt_first_leaf and cdt_has_children against the model. */
static void model_check_links(struct model *m)
{
    for (int i = 0; i < SLOTS; i++) {
        struct cte *s = &m->slot[i];
        if (!m->used[i]) {
            CHECK(!s->parent && !s->first_child && !s->prev && !s->next, "free slot %d has links", i);
            continue;
        }
        int l = m->in_list[i], at = pos_in(m, l, i);
        CHECK(at != NONE, "slot %d missing from its model list", i);
        CHECK(s->parent == (l < SLOTS ? &m->slot[l] : NULL), "slot %d: parent", i);
        CHECK(s->prev == (at > 0 ? &m->slot[m->list[l][at - 1]] : NULL), "slot %d: prev", i);
        CHECK(s->next == (at + 1 < m->len[l] ? &m->slot[m->list[l][at + 1]] : NULL), "slot %d: next", i);
        CHECK(s->first_child == (m->len[i] ? &m->slot[m->list[i][0]] : NULL), "slot %d: first_child", i);
        CHECK(cdt_has_children(s) == (m->len[i] != 0), "slot %d: has_children", i);
        CHECK(cdt_first_leaf(s) == slot_or_null(m, model_first_leaf(m, i)), "slot %d: first_leaf", i);
    }
}

/* Plain tree operations with no rules: any slot may get children, be removed or moved. */
static void run_structure(uint64_t seed, int steps)
{
    struct model model, *m = &model;
    model_init(m, seed);
    for (m->step = 0; m->step < steps; m->step++) {
        int used = count_used(m), op = (int)rnd(m, 10);
        /* Keep the population near half full: insert more when emptier. */
        if (used == 0 || (op < 5 && used < SLOTS) || (op < 7 && used < SLOTS / 2)) {
            int child = pick(m, false);
            int parent = rnd(m, 6) == 0 ? NONE : pick(m, true);
            cdt_insert_child(slot_or_null(m, parent), &m->slot[child]);
            model_insert(m, parent, child);
        } else if (op < 8 || used == SLOTS) {
            int n = pick(m, true);
            cdt_remove(&m->slot[n]);
            model_remove(m, n);
        } else {
            int n = pick(m, true), d = pick(m, false);
            cdt_move(&m->slot[n], &m->slot[d]);
            model_move(m, n, d);
        }
        model_check_links(m);
    }
}

static void cdt_random_operations_match_model(void **state)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        run_structure(seed * 0x9E3779B97F4A7C15ull, STEPS);
}

/*
 * Operations under the rules the kernel enforces: Retype puts caps to new
 * objects under an untyped cap whose first child is not a copy of it; Copy
 * puts a cap to the same object under its source, and an untyped cap may be
 * copied only while it has no children; Delete (cap_delete) and Move may hit
 * any slot; Revoke deletes every descendant.  Checked after each step: every
 * link; the two invariants cap_is_final relies on, that caps to one object
 * are contiguous among their siblings and that a slot's first child is a cap
 * to the same object if any child is; that cap_is_final is true exactly for
 * the last cap to its object; and that cap_delete finalised each endpoint
 * exactly once, when its last cap went.
 */
#define MAX_OBJECTS STEPS /* at most one new object per step */

static word_t object_ptr(int object) { return 0x80000000ull + (word_t)object * 0x1000; }

static struct cap model_cap(int object, bool untyped)
{
    struct cap c = cap_make(untyped ? SEL_CAP_TYPE_UNTYPED : SEL_CAP_TYPE_ENDPOINT, object_ptr(object), 0, 0);
    c.size_bits = untyped ? 12 : 0;
    return c;
}

static int live_caps(const struct model *m, int object)
{
    int n = 0;
    for (int i = 0; i < SLOTS; i++)
        n += m->used[i] && m->object[i] == object;
    return n;
}

static void model_check_objects(struct model *m, const bool *endpoint, int *finalised)
{
    /* Contiguity: in every list, the caps to one object form one run. */
    for (int l = 0; l < LISTS; l++) {
        for (int i = 0; i < m->len[l]; i++) {
            int obj = m->object[m->list[l][i]];
            bool run_ended = false;
            for (int j = i + 1; j < m->len[l]; j++) {
                bool same = m->object[m->list[l][j]] == obj;
                CHECK(!(same && run_ended), "list %d: caps to object %d not contiguous", l, obj);
                run_ended |= !same;
            }
        }
    }
    /* cap_is_final looks at the first child only: if any child names a slot's object, the first does. */
    for (int i = 0; i < SLOTS; i++)
        for (int k = 1; k < m->len[i]; k++)
            CHECK(m->object[m->list[i][k]] != m->object[i] || m->object[m->list[i][0]] == m->object[i],
                  "slot %d: a cap to its object is a child but not the first", i);
    for (int i = 0; i < SLOTS; i++)
        if (m->used[i])
            CHECK(cap_is_final(&m->slot[i]) == (live_caps(m, m->object[i]) == 1), "slot %d: cap_is_final", i);
    /* Each endpoint is finalised once, when its last cap is deleted. */
    for (size_t k = 0; k < stub_calls; k++) {
        CHECK(strcmp(stub_log[k].fn, "endpoint_cancel_all") == 0, "unexpected call of %s", stub_log[k].fn);
        finalised[((word_t)stub_log[k].arg - object_ptr(0)) / 0x1000]++;
    }
    stub_reset();
    for (int obj = 0; obj < m->objects; obj++)
        if (endpoint[obj])
            CHECK(finalised[obj] == (live_caps(m, obj) ? 0 : 1), "object %d finalised %d times", obj,
                  finalised[obj]);
}

static void create_cap(struct model *m, int parent, int object, bool untyped)
{
    int child = pick(m, false);
    m->object[child] = object;
    m->untyped[child] = untyped;
    struct cap cap = model_cap(object, untyped);
    cap_insert(&m->slot[child], &cap, slot_or_null(m, parent));
    model_insert(m, parent, child);
}

static void model_delete(struct model *m, int n)
{
    cap_delete(&m->slot[n]);
    model_remove(m, n);
}

static void run_kernel_rules(uint64_t seed, int steps)
{
    static struct model model;
    static bool endpoint[MAX_OBJECTS];
    static int finalised[MAX_OBJECTS];
    struct model *m = &model;
    model_init(m, seed);
    memset(endpoint, 0, sizeof(endpoint));
    memset(finalised, 0, sizeof(finalised));
    stub_reset();

    for (m->step = 0; m->step < steps; m->step++) {
        int used = count_used(m), op = (int)rnd(m, 12);
        if (used < SLOTS && (used == 0 || op == 0)) {
            /* A new untyped root, as boot makes them. */
            create_cap(m, NONE, m->objects++, true);
        } else if (used < SLOTS && op < 4) {
            /* Retype through an untyped cap whose first child is not a copy of it. */
            int u = pick(m, true);
            int first = m->len[u] ? m->list[u][0] : NONE;
            if (!m->untyped[u] || (first != NONE && m->object[first] == m->object[u]))
                continue;
            bool untyped = rnd(m, 3) == 0;
            endpoint[m->objects] = !untyped;
            create_cap(m, u, m->objects++, untyped);
        } else if (used < SLOTS && op < 8) {
            /* Copy: untyped caps only while they have no children. */
            int s = pick(m, true);
            if (m->untyped[s] && m->len[s])
                continue;
            create_cap(m, s, m->object[s], m->untyped[s]);
        } else if (op < 10 || used == SLOTS) {
            model_delete(m, pick(m, true));
        } else if (op < 11) {
            int n = pick(m, true), d = pick(m, false);
            m->slot[d].cap = m->slot[n].cap;
            cdt_move(&m->slot[n], &m->slot[d]);
            m->slot[n].cap = cap_null();
            model_move(m, n, d);
        } else {
            /* Revoke: the model deletes first leaves, as cap_revoke does. */
            int n = pick(m, true);
            cap_revoke(&m->slot[n]);
            for (int leaf; (leaf = model_first_leaf(m, n)) != NONE;)
                model_remove(m, leaf);
        }
        model_check_links(m);
        model_check_objects(m, endpoint, finalised);
    }
}

static void cdt_kernel_operations_keep_object_caps_contiguous(void **state)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        run_kernel_rules(seed * 0xD1B54A32D192ED03ull, STEPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cdt_insert_child_links_parent_and_child),
        cmocka_unit_test(cdt_insert_child_prepends_to_siblings),
        cmocka_unit_test(cdt_insert_child_without_parent_makes_a_root),
        cmocka_unit_test(cdt_insert_child_under_a_child_nests),
        cmocka_unit_test(cdt_remove_only_child_leaves_parent_childless),
        cmocka_unit_test(cdt_remove_first_leaf_updates_parent_first_child),
        cmocka_unit_test(cdt_remove_middle_leaf_joins_its_siblings),
        cmocka_unit_test(cdt_remove_last_leaf_ends_the_list_at_its_prev),
        cmocka_unit_test(cdt_remove_inner_node_puts_children_in_its_place),
        cmocka_unit_test(cdt_remove_inner_first_child_hands_first_child_to_its_child),
        cmocka_unit_test(cdt_remove_inner_last_child_ends_the_list_at_its_last_child),
        cmocka_unit_test(cdt_remove_only_child_with_children_lifts_them),
        cmocka_unit_test(cdt_remove_root_with_children_leaves_them_parentless_siblings),
        cmocka_unit_test(cdt_move_leaf_takes_its_place_among_siblings),
        cmocka_unit_test(cdt_move_first_child_updates_parent),
        cmocka_unit_test(cdt_move_inner_node_reparents_its_children),
        cmocka_unit_test(cdt_move_root_with_children),
        cmocka_unit_test(cdt_move_and_back_restores_the_tree),
        cmocka_unit_test(cdt_first_leaf_of_leaf_is_null),
        cmocka_unit_test(cdt_first_leaf_follows_first_children_down),
        cmocka_unit_test(cdt_removing_first_leaves_empties_the_subtree),
        cmocka_unit_test(cdt_random_operations_match_model),
        cmocka_unit_test(cdt_kernel_operations_keep_object_caps_contiguous),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
