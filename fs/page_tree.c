/*
 * The sparse page-index map of tmpfs files: a radix tree of 64-slot nodes
 * (see page_tree.h for the shape, the invariants and the memory cost).
 */
#include <errno.h>
#include <stdlib.h>
#include "fs/page_tree.h"
#include "sentry/memfile.h"
#include "sentry/types.h"

struct ptree_node {
	uint64_t used;                 /* bit i: slot i holds a child / a value */
	union {
		struct ptree_node *child[PTREE_SLOTS];    /* levels >= 1 */
		uint64_t val[PTREE_SLOTS];                /* level 0 (leaves) */
	};
};

const unsigned long ptree_node_size = sizeof(struct ptree_node);

static unsigned slot_of(uint64_t idx, unsigned level)
{
	return (idx >> (PTREE_BITS * level)) & (PTREE_SLOTS - 1);
}

/* Levels needed for idx: 1 for 0..63, 2 for 64..4095, ... */
static unsigned height_for(uint64_t idx)
{
	unsigned h = 1;
	while (h < PTREE_MAX_HEIGHT && (idx >> (PTREE_BITS * h)))
		h++;
	return h;
}

/* Whether idx lies in the range the current root covers. */
static bool in_range(const struct page_tree *t, uint64_t idx)
{
	return t->height && (t->height == PTREE_MAX_HEIGHT || !(idx >> (PTREE_BITS * t->height)));
}

static struct ptree_node *node_new(struct page_tree *t)
{
	struct ptree_node *n = calloc(1, sizeof(*n));
	if (n)
		t->nodes++;
	return n;
}

static void node_free(struct page_tree *t, struct ptree_node *n)
{
	free(n);
	t->nodes--;
}

uint64_t ptree_get(const struct page_tree *t, uint64_t idx)
{
	if (!in_range(t, idx))
		return 0;
	const struct ptree_node *n = t->root;
	for (unsigned level = t->height - 1; level > 0; level--) {
		n = n->child[slot_of(idx, level)];
		if (!n)
			return 0;
	}
	return n->val[slot_of(idx, 0)];
}

/* Lower the root while it only uses slot 0 (the index range shrinks back). */
static void shrink(struct page_tree *t)
{
	while (t->height > 1 && t->root->used == 1) {
		struct ptree_node *old = t->root;
		t->root = old->child[0];
		t->height--;
		node_free(t, old);
	}
}

/* Free the empty nodes on idx's path, bottom up (after a failed ptree_set). */
static void prune(struct page_tree *t, uint64_t idx)
{
	struct ptree_node *path[PTREE_MAX_HEIGHT];
	struct ptree_node *n = t->root;
	unsigned level = t->height - 1;
	for (;; level--) {
		path[level] = n;
		if (level == 0)
			break;
		struct ptree_node *c = n->child[slot_of(idx, level)];
		if (!c)
			break;
		n = c;
	}
	for (; level < t->height; level++) {
		n = path[level];
		if (n->used)
			break;
		node_free(t, n);
		if (level + 1 == t->height) {
			t->root = NULL;
			t->height = 0;
			return;
		}
		struct ptree_node *p = path[level + 1];
		unsigned s = slot_of(idx, level + 1);
		p->child[s] = NULL;
		p->used &= ~(1ULL << s);
	}
	shrink(t);
}

int ptree_set(struct page_tree *t, uint64_t idx, uint64_t val)
{
	if (idx >= PTREE_INDEX_LIMIT || val == 0)
		return -EINVAL;
	if (!t->root) {
		t->root = node_new(t);
		if (!t->root)
			return -ENOMEM;
		t->height = height_for(idx);
	}
	/* Raise the root until it covers idx: the old root becomes slot 0 of the new one. */
	while (!in_range(t, idx)) {
		struct ptree_node *r = node_new(t);
		if (!r) {
			prune(t, idx);
			return -ENOMEM;
		}
		r->child[0] = t->root;
		r->used = t->root->used ? 1 : 0;
		if (!t->root->used) {
			node_free(t, t->root);
			r->child[0] = NULL;
		}
		t->root = r;
		t->height++;
	}
	struct ptree_node *n = t->root;
	for (unsigned level = t->height - 1; level > 0; level--) {
		unsigned s = slot_of(idx, level);
		if (!n->child[s]) {
			struct ptree_node *c = node_new(t);
			if (!c) {
				prune(t, idx);
				return -ENOMEM;
			}
			n->child[s] = c;
			n->used |= 1ULL << s;
		}
		n = n->child[s];
	}
	unsigned s = slot_of(idx, 0);
	n->val[s] = val;
	n->used |= 1ULL << s;
	return 0;
}

uint64_t ptree_clear(struct page_tree *t, uint64_t idx)
{
	if (!in_range(t, idx))
		return 0;
	struct ptree_node *n = t->root;
	for (unsigned level = t->height - 1; level > 0; level--) {
		n = n->child[slot_of(idx, level)];
		if (!n)
			return 0;
	}
	unsigned s = slot_of(idx, 0);
	uint64_t old = n->val[s];
	if (!old)
		return 0;
	n->val[s] = 0;
	n->used &= ~(1ULL << s);
	prune(t, idx);
	return old;
}

/*
 * First entry >= from below n (level `level`, covering indexes from base).
 * Only the slot holding `from` can fail: every later used slot leads to a
 * nonempty subtree, so this is O(height) ctz steps.
 */
static bool node_next(const struct ptree_node *n, unsigned level, uint64_t base, uint64_t from,
		      uint64_t *found, uint64_t *val)
{
	unsigned shift = PTREE_BITS * level;
	uint64_t mask = n->used & (~0ULL << ((from - base) >> shift));
	while (mask) {
		unsigned i = (unsigned)__builtin_ctzll(mask);
		uint64_t cbase = base + ((uint64_t)i << shift);
		if (level == 0) {
			*found = cbase;
			*val = n->val[i];
			return true;
		}
		if (node_next(n->child[i], level - 1, cbase, from > cbase ? from : cbase, found, val))
			return true;
		mask &= mask - 1;
	}
	return false;
}

bool ptree_next(const struct page_tree *t, uint64_t idx, uint64_t *found, uint64_t *val)
{
	if (!in_range(t, idx))
		return false;
	return node_next(t->root, t->height - 1, 0, idx, found, val);
}

/* First index >= from without an entry below n, or false if n is full from there. */
static bool node_hole(const struct ptree_node *n, unsigned level, uint64_t base, uint64_t from,
		      uint64_t *hole)
{
	unsigned shift = PTREE_BITS * level;
	unsigned first = (unsigned)((from - base) >> shift);
	uint64_t holes = ~n->used & (~0ULL << first);
	if (level == 0) {
		if (!holes)
			return false;
		*hole = base + (uint64_t)__builtin_ctzll(holes);
		return true;
	}
	/* Used slots before the first empty one may still have holes inside. */
	unsigned stop = holes ? (unsigned)__builtin_ctzll(holes) : PTREE_SLOTS;
	for (unsigned i = first; i < stop; i++) {
		uint64_t cbase = base + ((uint64_t)i << shift);
		if (node_hole(n->child[i], level - 1, cbase, from > cbase ? from : cbase, hole))
			return true;
	}
	if (stop == PTREE_SLOTS)
		return false;
	uint64_t cbase = base + ((uint64_t)stop << shift);
	*hole = from > cbase ? from : cbase;
	return true;
}

uint64_t ptree_next_hole(const struct page_tree *t, uint64_t idx)
{
	if (idx >= PTREE_INDEX_LIMIT || !in_range(t, idx))
		return idx;
	uint64_t hole;
	if (node_hole(t->root, t->height - 1, 0, idx, &hole))
		return hole;
	return t->height == PTREE_MAX_HEIGHT ? PTREE_INDEX_LIMIT
					     : 1ULL << (PTREE_BITS * t->height);
}

static void node_destroy(struct page_tree *t, struct ptree_node *n, unsigned level)
{
	if (level > 0) {
		for (uint64_t m = n->used; m; m &= m - 1)
			node_destroy(t, n->child[__builtin_ctzll(m)], level - 1);
	}
	node_free(t, n);
}

void ptree_destroy(struct page_tree *t)
{
	if (t->root)
		node_destroy(t, t->root, t->height - 1);
	t->root = NULL;
	t->height = 0;
}

int ptree_alloc_run(const struct page_tree *t, uint64_t idx, uint64_t max, uint64_t room,
		    uint64_t *off, uint64_t *k)
{
	uint64_t n = max, next, entry;
	if (ptree_next(t, idx, &next, &entry) && next - idx < n)
		n = next - idx;
	if (room < PAGE_SIZE)
		return -ENOSPC;
	n = MIN(n, room / PAGE_SIZE);
	int rc = mf_alloc(n * PAGE_SIZE, off);
	if (rc && n > 1) {
		n = 1;
		rc = mf_alloc(PAGE_SIZE, off);
	}
	*k = rc ? 0 : n;
	return rc;
}
