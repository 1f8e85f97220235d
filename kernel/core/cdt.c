/* The capability derivation tree: see include/kernel/cdt.h. */
#include <kernel/cdt.h>

void cdt_insert_child(struct cte *parent, struct cte *child)
{
    child->parent = parent;
    child->first_child = NULL;
    child->prev = NULL;
    child->next = parent ? parent->first_child : NULL;
    if (child->next)
        child->next->prev = child;
    if (parent)
        parent->first_child = child;
}

void cdt_remove(struct cte *node)
{
    struct cte *parent = node->parent;
    struct cte *first = node->first_child;
    struct cte *last = NULL;

    for (struct cte *c = first; c; c = c->next) {
        c->parent = parent;
        last = c;
    }

    /* What replaces node in its sibling list: its children, or nothing. */
    struct cte *head = first ? first : node->next;
    struct cte *tail = first ? last : node->prev;

    if (node->prev)
        node->prev->next = head;
    else if (parent && parent->first_child == node)
        parent->first_child = head;
    if (first) {
        first->prev = node->prev;
        last->next = node->next;
    }
    if (node->next)
        node->next->prev = tail;

    node->parent = node->first_child = node->next = node->prev = NULL;
}

void cdt_move(struct cte *node, struct cte *dest)
{
    dest->parent = node->parent;
    dest->first_child = node->first_child;
    dest->next = node->next;
    dest->prev = node->prev;

    if (node->prev)
        node->prev->next = dest;
    else if (node->parent && node->parent->first_child == node)
        node->parent->first_child = dest;
    if (node->next)
        node->next->prev = dest;
    for (struct cte *c = node->first_child; c; c = c->next)
        c->parent = dest;

    node->parent = node->first_child = node->next = node->prev = NULL;
}

struct cte *cdt_first_leaf(const struct cte *node)
{
    struct cte *leaf = node->first_child;
    if (!leaf)
        return NULL;
    while (leaf->first_child)
        leaf = leaf->first_child;
    return leaf;
}
