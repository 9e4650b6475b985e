/* The sparse page map of tmpfs files (fs/tmpfs/page_tree.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fs/page_tree.h"

#define MAXIDX ((1ULL << 51) - 1)    /* the last page of a LLONG_MAX-byte file */

Test(ptree, empty)
{
	struct page_tree t = { 0 };
	uint64_t f, v;
	cr_assert_eq(ptree_get(&t, 0), 0);
	cr_assert_eq(ptree_get(&t, MAXIDX), 0);
	cr_assert(!ptree_next(&t, 0, &f, &v));
	cr_assert_eq(ptree_next_hole(&t, 12345), 12345);
	cr_assert_eq(ptree_clear(&t, 7), 0);
	cr_assert_eq(ptree_set(&t, 1, 0), -EINVAL);
	cr_assert_eq(ptree_set(&t, PTREE_INDEX_LIMIT, 1), -EINVAL);
	cr_assert_eq(t.nodes, 0);
}

/* One page far out costs one node per level, not memory proportional to the index. */
Test(ptree, far_pages_are_cheap)
{
	struct page_tree t = { 0 };
	uint64_t far[] = { 1ULL << 28, 1ULL << 50, MAXIDX };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(ptree_set(&t, far[i], far[i] * 2 + 1), 0);
		cr_assert_eq(ptree_get(&t, far[i]), far[i] * 2 + 1);
	}
	cr_assert_leq(t.nodes, 3 * PTREE_MAX_HEIGHT);
	cr_assert_eq(ptree_get(&t, far[0] + 1), 0);
	uint64_t f, v;
	cr_assert(ptree_next(&t, 0, &f, &v));
	cr_assert_eq(f, far[0]);
	cr_assert(ptree_next(&t, far[0] + 1, &f, &v));
	cr_assert_eq(f, far[1]);
	cr_assert(ptree_next(&t, far[1] + 1, &f, &v));
	cr_assert_eq(f, MAXIDX);
	cr_assert_eq(v, MAXIDX * 2 + 1);
	cr_assert(!ptree_next(&t, MAXIDX + 1, &f, &v));
	cr_assert_eq(ptree_next_hole(&t, far[1]), far[1] + 1);
	cr_assert_eq(ptree_next_hole(&t, MAXIDX), MAXIDX + 1);
	/* Removing everything frees every node; the root shrinks on the way. */
	cr_assert_eq(ptree_clear(&t, far[1]), far[1] * 2 + 1);
	cr_assert_eq(ptree_clear(&t, MAXIDX), MAXIDX * 2 + 1);
	cr_assert_eq(t.height, 5);     /* 2^28 needs 5 levels of 6 bits */
	cr_assert_eq(t.nodes, 5);
	cr_assert_eq(ptree_clear(&t, far[0]), far[0] * 2 + 1);
	cr_assert_eq(t.nodes, 0);
	cr_assert_null(t.root);
}

Test(ptree, dense_run_and_holes)
{
	struct page_tree t = { 0 };
	for (uint64_t i = 100; i < 100000; i++)
		cr_assert_eq(ptree_set(&t, i, i + 1), 0);
	/* 64 pages per leaf: ~1/64 node per page plus the levels above. */
	cr_assert_leq(t.nodes, 100000 / 64 + 2 + 26 + 2);
	cr_assert_eq(ptree_next_hole(&t, 0), 0);
	cr_assert_eq(ptree_next_hole(&t, 100), 100000);
	cr_assert_eq(ptree_next_hole(&t, 5000), 100000);
	ptree_clear(&t, 4096);
	cr_assert_eq(ptree_next_hole(&t, 100), 4096);
	cr_assert_eq(ptree_next_hole(&t, 4097), 100000);
	uint64_t f, v;
	cr_assert(ptree_next(&t, 4096, &f, &v));
	cr_assert_eq(f, 4097);
	cr_assert(ptree_next(&t, 0, &f, &v));
	cr_assert_eq(f, 100);
	cr_assert(!ptree_next(&t, 100000, &f, &v));
	ptree_destroy(&t);
	cr_assert_eq(t.nodes, 0);
}

/* Random operations against a plain array over a small index space with far outliers. */
Test(ptree, random_against_reference)
{
	enum { N = 5000 };
	static uint64_t ref[N + 3];
	uint64_t map[N + 3];
	for (int i = 0; i < N; i++)
		map[i] = (uint64_t)i;
	map[N] = 1ULL << 40;
	map[N + 1] = (1ULL << 40) + 1;
	map[N + 2] = MAXIDX;
	struct page_tree t = { 0 };
	srand(42);
	for (int step = 0; step < 200000; step++) {
		int k = rand() % (N + 3);
		if (rand() % 3) {
			uint64_t v = ((uint64_t)rand() << 1) | 1;
			cr_assert_eq(ptree_set(&t, map[k], v), 0);
			ref[k] = v;
		} else {
			cr_assert_eq(ptree_clear(&t, map[k]), ref[k]);
			ref[k] = 0;
		}
		if (step % 1000)
			continue;
		int q = rand() % (N + 3);
		cr_assert_eq(ptree_get(&t, map[q]), ref[q]);
		uint64_t f, v;
		int want = -1, hole = -1;
		for (int i = q; i < N + 3 && want < 0; i++)
			if (ref[i])
				want = i;
		for (int i = q; i < N && hole < 0; i++)
			if (!ref[i])
				hole = i;
		bool got = ptree_next(&t, map[q], &f, &v);
		cr_assert_eq(got, want >= 0);
		if (got) {
			cr_assert_eq(f, map[want]);
			cr_assert_eq(v, ref[want]);
		}
		if (hole >= 0)
			cr_assert_eq(ptree_next_hole(&t, map[q]), (uint64_t)hole);
	}
	for (int i = 0; i < N + 3; i++)
		ptree_clear(&t, map[i]);
	cr_assert_eq(t.nodes, 0);
}
