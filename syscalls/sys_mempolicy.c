/*
 * NUMA memory policies: set_mempolicy, get_mempolicy, mbind and
 * set_mempolicy_home_node, on a machine with one memory node, node 0, as
 * Linux behaves on one (MAX_NUMNODES 1024, as CONFIG_NODES_SHIFT=10 makes
 * it on distribution kernels; nr_node_ids 1).
 *
 * The policies are kept and reported back with Linux's checks and errors:
 * a task's (struct task.mempolicy, inherited at clone and kept across
 * execve) and each VMA's (mm_set_mempolicy: kept across fork, mprotect and
 * mremap). With one node nothing is ever placed or migrated. Where this
 * differs from Linux: a shared mapping keeps its policy per VMA, not in
 * the shared memory object (another process mapping it does not see it);
 * and MPOL_MF_STRICT never fails with EIO, which Linux returns when a page
 * of the range sits on a node outside the mask as given, something only
 * MPOL_F_RELATIVE_NODES with a mask without node 0 can ask for.
 */
#include <errno.h>
#include <string.h>
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_MAX 7

#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)

/* get_mempolicy(2) flags. */
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4

/* mbind(2) flags. */
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4
#define MPOL_MF_VALID (MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)

#define CAP_SYS_NICE_BIT 23

#define MAX_NUMNODES 1024
#define NR_NODE_IDS 1
#define NODEMASK_LONGS (MAX_NUMNODES / 64)

/* A node mask as the kernel holds one: MAX_NUMNODES bits. */
struct nodemask {
	uint64_t w[NODEMASK_LONGS];
};

static bool nodemask_empty(const struct nodemask *m)
{
	for (int i = 0; i < NODEMASK_LONGS; i++)
		if (m->w[i])
			return false;
	return true;
}

/*
 * Linux's get_nodes: maxnode - 1 bits of the guest's mask at unodes (the
 * ABI's off-by-one), in whole longs. NULL or maxnode 1 is the empty mask;
 * more than a page of bits is EINVAL. Bits past MAX_NUMNODES must be zero
 * (EINVAL): Linux checks them a whole long at a time from the last one
 * down, so the bits of that last long past maxnode - 1 count too.
 */
static int nodemask_copy_in(struct task *t, uint64_t unodes, uint64_t maxnode,
			    struct nodemask *nodes)
{
	memset(nodes, 0, sizeof(*nodes));
	maxnode--;
	if (maxnode == 0 || !unodes)
		return 0;
	if (maxnode > PAGE_SIZE * 8)
		return -EINVAL;
	if (maxnode > MAX_NUMNODES) {
		for (uint64_t i = (maxnode - 1) / 64; i >= NODEMASK_LONGS; i--) {
			uint64_t w;
			if (mm_copy_in(t->mm, &w, gaddr(unodes + i * 8), sizeof(w)))
				return -EFAULT;
			if (w)
				return -EINVAL;
		}
		maxnode = MAX_NUMNODES;
	}
	size_t longs = (maxnode + 63) / 64;
	if (mm_copy_in(t->mm, nodes->w, gaddr(unodes), longs * 8))
		return -EFAULT;
	if (maxnode % 64)
		nodes->w[longs - 1] &= (1ULL << (maxnode % 64)) - 1;
	return 0;
}

/*
 * Linux's copy_nodes_to_user: ALIGN(maxnode - 1, 64) / 8 bytes (nothing
 * for maxnode 1), of which the first long is the nodes (nr_node_ids is 1)
 * and the rest zeros, at most a page of them (EINVAL).
 */
static int nodemask_copy_out(struct task *t, uint64_t unodes, uint64_t maxnode, uint64_t nodes)
{
	uint64_t copy = ((maxnode - 1 + 63) & ~63ULL) / 8;
	if (copy > sizeof(nodes)) {
		if (copy > PAGE_SIZE)
			return -EINVAL;
		if (mm_zero_out(t->mm, gaddr(unodes + sizeof(nodes)), copy - sizeof(nodes)))
			return -EFAULT;
		copy = sizeof(nodes);
	}
	return mm_copy_out(t->mm, gaddr(unodes), &nodes, copy) ? -EFAULT : 0;
}

/*
 * Linux's sanitize_mpol_flags: split the mode argument into a mode and its
 * flags. STATIC and RELATIVE exclude each other; NUMA_BALANCING is for
 * BIND and PREFERRED_MANY only.
 */
static int mpol_sanitize(int arg, int *mode, uint16_t *flags)
{
	*flags = arg & MPOL_MODE_FLAGS;
	*mode = arg & ~MPOL_MODE_FLAGS;
	if ((unsigned)*mode >= MPOL_MAX)
		return -EINVAL;
	if ((*flags & MPOL_F_STATIC_NODES) && (*flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((*flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND && *mode != MPOL_PREFERRED_MANY)
		return -EINVAL;
	return 0;
}

/*
 * Linux's mpol_new and mpol_set_nodemask: the policy mode and nodes make,
 * or -EINVAL. MPOL_DEFAULT and MPOL_LOCAL take no nodes, MPOL_PREFERRED
 * with none is MPOL_LOCAL, the others need some. Node 0 is the one node
 * allowed: the mask must hold it, except that MPOL_F_RELATIVE_NODES folds
 * any mask onto the allowed nodes. What get_mempolicy reports is the mask
 * as given with STATIC or RELATIVE, else the nodes the policy uses: node 0.
 */
static int mpol_create(int mode, uint16_t flags, const struct nodemask *nodes,
		       struct mm_mempolicy *pol)
{
	bool empty = nodemask_empty(nodes);
	bool user_mask = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);
	memset(pol, 0, sizeof(*pol));
	if (mode == MPOL_DEFAULT)
		return empty ? 0 : -EINVAL;        /* no policy: the flags go too */
	if (mode == MPOL_PREFERRED && empty) {
		if (user_mask)
			return -EINVAL;
		mode = MPOL_LOCAL;
	} else if (mode == MPOL_LOCAL) {
		if (!empty || user_mask)
			return -EINVAL;
	} else if (empty) {
		return -EINVAL;
	}
	if (mode != MPOL_LOCAL) {
		bool node0 = (flags & MPOL_F_RELATIVE_NODES) || (nodes->w[0] & 1);
		if (!node0)
			return -EINVAL;
		pol->nodes = user_mask ? nodes->w[0] : 1;
	}
	pol->mode = (uint16_t)mode;
	pol->flags = flags;
	return 0;
}

/* Decode a mode argument and a guest node mask into a policy (Linux's order of checks). */
static int mpol_from_guest(struct task *t, int arg, uint64_t unodes, uint64_t maxnode,
			   int *mode, uint16_t *flags, struct nodemask *nodes)
{
	int rc = mpol_sanitize(arg, mode, flags);
	if (rc)
		return rc;
	return nodemask_copy_in(t, unodes, maxnode, nodes);
}

/* set_mempolicy(2): the calling thread's policy. */
long sys_set_mempolicy(struct task *t, const struct syscall_args *a)
{
	int arg = (int)a->arg[0];
	uint64_t unodes = a->arg[1], maxnode = a->arg[2];

	int mode;
	uint16_t flags;
	struct nodemask nodes;
	int rc = mpol_from_guest(t, arg, unodes, maxnode, &mode, &flags, &nodes);
	if (rc)
		return rc;
	struct mm_mempolicy pol;
	rc = mpol_create(mode, flags, &nodes, &pol);
	if (rc)
		return rc;
	t->mempolicy = pol;
	return 0;
}

/*
 * get_mempolicy(2): the thread's policy; with MPOL_F_ADDR the policy of
 * the VMA at addr (MPOL_DEFAULT if it has none, not the thread's); with
 * MPOL_F_NODE the node of the page at addr (MPOL_F_ADDR: faulted in for
 * reading) or, under an interleave policy, the next node to interleave
 * on: node 0 either way; with MPOL_F_MEMS_ALLOWED the nodes allowed.
 */
long sys_get_mempolicy(struct task *t, const struct syscall_args *a)
{
	uint64_t umode = a->arg[0], unodes = a->arg[1], maxnode = a->arg[2];
	uint64_t addr = a->arg[3], flags = a->arg[4];

	if (unodes && maxnode < NR_NODE_IDS)
		return -EINVAL;
	if (flags & ~(uint64_t)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	int mode = 0;
	uint64_t nodes;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		nodes = 1;
	} else {
		struct mm_mempolicy pol = t->mempolicy;
		if (flags & MPOL_F_ADDR) {
			uint64_t at = addr;
			if (!mm_next_mempolicy(t->mm, &at, addr + 1, &pol))
				return -EFAULT;
		} else if (addr) {
			return -EINVAL;
		}
		if (flags & MPOL_F_NODE) {
			uint8_t byte;
			if ((flags & MPOL_F_ADDR) && mm_copy_in(t->mm, &byte, gaddr(addr), 1))
				return -EFAULT;
			if (!(flags & MPOL_F_ADDR) && pol.mode != MPOL_INTERLEAVE &&
			    pol.mode != MPOL_WEIGHTED_INTERLEAVE)
				return -EINVAL;
		} else {
			mode = pol.mode | pol.flags;
		}
		nodes = pol.nodes;
	}
	if (umode && mm_copy_out(t->mm, gaddr(umode), &mode, sizeof(mode)))
		return -EFAULT;
	return unodes ? nodemask_copy_out(t, unodes, maxnode, nodes) : 0;
}

/*
 * mbind(2): a policy for the VMAs of [start, start + len). Linux's order of
 * checks; the range must be mapped throughout (EFAULT), except that
 * MPOL_DEFAULT only needs some VMA in it. There is nothing to move.
 */
long sys_mbind(struct task *t, const struct syscall_args *a)
{
	uint64_t start = a->arg[0], len = a->arg[1];
	int arg = (int)a->arg[2];                /* an unsigned long, used as an int */
	uint64_t unodes = a->arg[3], maxnode = a->arg[4];
	unsigned flags = (unsigned)a->arg[5];    /* an unsigned int: the upper half is ignored */

	int mode;
	uint16_t mode_flags;
	struct nodemask nodes;
	int rc = mpol_from_guest(t, arg, unodes, maxnode, &mode, &mode_flags, &nodes);
	if (rc)
		return rc;
	if (flags & ~MPOL_MF_VALID)
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !cred_capable(&t->cred, CAP_SYS_NICE_BIT))
		return -EPERM;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	uint64_t end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	struct mm_mempolicy pol;
	rc = mpol_create(mode, mode_flags, &nodes, &pol);
	if (rc)
		return rc;
	struct mm_mempolicy seen;
	uint64_t at = start;
	if (pol.mode == MPOL_DEFAULT ? !mm_next_mempolicy(t->mm, &at, end, &seen)
				     : !mm_range_mapped(t->mm, start, len))
		return -EFAULT;
	return mm_set_mempolicy(t->mm, start, end, &pol);
}

/*
 * set_mempolicy_home_node(2): the home node of the BIND and PREFERRED_MANY
 * policies mbind gave [start, start + len). Only node 0 is online, so
 * nothing is stored: the errors are what remains. A VMA in the range with
 * another policy is EOPNOTSUPP (those before it took the node); no VMA
 * with a policy at all is ENOENT.
 */
long sys_set_mempolicy_home_node(struct task *t, const struct syscall_args *a)
{
	uint64_t start = a->arg[0], len = a->arg[1], home_node = a->arg[2], flags = a->arg[3];

	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (flags)
		return -EINVAL;
	if (home_node != 0)
		return -EINVAL;        /* not below MAX_NUMNODES, or not online */
	len = PAGE_ALIGN_UP(len);
	uint64_t end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	long rc = -ENOENT;
	struct mm_mempolicy pol;
	for (uint64_t at = start; mm_next_mempolicy(t->mm, &at, end, &pol);) {
		if (pol.mode == MPOL_DEFAULT)
			continue;
		if (pol.mode != MPOL_BIND && pol.mode != MPOL_PREFERRED_MANY)
			return -EOPNOTSUPP;
		rc = 0;
	}
	return rc;
}
