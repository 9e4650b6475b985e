/*
 * A sparse map from a page index to a nonzero 64-bit value: what a tmpfs
 * file keeps for its data pages (fs/tmpfs/tmpfs_internal.h).
 *
 * Shape: Linux's xarray without its multi-index entries. A radix tree of
 * 64-slot nodes, 6 bits of the index per level, leaves at level 0; the tree
 * is only as tall as the highest index needs (1 level up to index 63, 2 up
 * to 4095, ..., 9 levels for the 2^51 pages of a MAX_LFS_FILESIZE file).
 * Each node has a bitmap of its used slots, so finding the next entry or
 * the next hole skips empty subtrees with one ctz. A node exists only while
 * it has an entry below it: a removal frees emptied nodes and lowers the
 * root while only its slot 0 is used.
 *
 * Cost: one 520-byte node per 64 pages of a dense range plus the path to
 * the root, so ~8.1 bytes per page of a dense file; an isolated page costs
 * at most one node per level (9 * 520 bytes at the top of the range).
 * Nothing is proportional to the index itself.
 *
 * No locking of its own: the owner serializes (tmpfs: vfs_lock).
 */
#ifndef FS_TMPFS_PAGE_TREE_H
#define FS_TMPFS_PAGE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#define PTREE_BITS 6
#define PTREE_SLOTS (1U << PTREE_BITS)
#define PTREE_MAX_HEIGHT 9
/* Indexes are below this (2^54); tmpfs needs 2^51 (LLONG_MAX / 4096). */
#define PTREE_INDEX_LIMIT (1ULL << (PTREE_BITS * PTREE_MAX_HEIGHT))

struct ptree_node;

struct page_tree {
	struct ptree_node *root;       /* NULL when empty */
	unsigned height;               /* levels, root included; 0 when empty */
	uint64_t nodes;                /* nodes allocated (memory accounting, tests) */
};

/* Bytes one node costs (for documentation and the tests). */
extern const unsigned long ptree_node_size;

/* The value at idx, or 0 if there is none. */
uint64_t ptree_get(const struct page_tree *t, uint64_t idx);
/* Set idx to val (nonzero); 0, -ENOMEM (tree unchanged) or -EINVAL (idx too big, val 0). */
int ptree_set(struct page_tree *t, uint64_t idx, uint64_t val);
/* Remove idx's value and return it (0 if there was none); frees emptied nodes. */
uint64_t ptree_clear(struct page_tree *t, uint64_t idx);
/* The first entry at an index >= idx: true and *found, *val, or false. */
bool ptree_next(const struct page_tree *t, uint64_t idx, uint64_t *found, uint64_t *val);
/* The first index >= idx without an entry (PTREE_INDEX_LIMIT if none below it). */
uint64_t ptree_next_hole(const struct page_tree *t, uint64_t idx);
/*
 * MemoryFile pages for the absent run of t starting at idx (absent): at
 * most max pages, ending before the next entry and within room bytes, in
 * one allocation (a single page if a run cannot be had). 0 with *off and
 * *k pages; -ENOSPC if room is under a page; else mf_alloc's error.
 */
int ptree_alloc_run(const struct page_tree *t, uint64_t idx, uint64_t max, uint64_t room,
		    uint64_t *off, uint64_t *k);
/* Free every node (the values are the caller's to release first). */
void ptree_destroy(struct page_tree *t);

#endif
