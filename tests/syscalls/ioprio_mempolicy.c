/*
 * I/O priorities (ioprio_set/ioprio_get) and NUMA memory policies
 * (set_mempolicy, get_mempolicy, mbind, set_mempolicy_home_node) on a
 * machine with one memory node, node 0: values and errors, the task's and
 * each mapping's policy, inheritance across fork and threads. Runs as root
 * natively; unprivileged rules are checked in a child that becomes uid
 * 54321, a user no other process has, so that IOPRIO_WHO_USER sees it alone.
 */
#include "conformance.h"
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define IOPRIO(class, data) ((class) << 13 | (data))
#define CLASS_NONE 0
#define CLASS_RT 1
#define CLASS_BE 2
#define CLASS_IDLE 3

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4
#define NR_set_mempolicy_home_node 450

#define PG 4096UL
#define OTHER_UID 54321

static long ioprio_set(int which, int who, int prio)
{
	return syscall(SYS_ioprio_set, which, who, prio);
}

static long ioprio_get(int which, int who)
{
	return syscall(SYS_ioprio_get, which, who);
}

static long set_policy(long mode, const unsigned long *nodes, unsigned long maxnode)
{
	return syscall(SYS_set_mempolicy, mode, nodes, maxnode);
}

static long get_policy(int *mode, unsigned long *nodes, unsigned long maxnode, void *addr,
		       unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, nodes, maxnode, addr, flags);
}

static long mbind_(void *addr, unsigned long len, unsigned long mode, const unsigned long *nodes,
		   unsigned long maxnode, unsigned long flags)
{
	return syscall(SYS_mbind, addr, len, mode, nodes, maxnode, flags);
}

static long home_node(void *addr, unsigned long len, unsigned long node, unsigned long flags)
{
	return syscall(NR_set_mempolicy_home_node, addr, len, node, flags);
}

/* The task's policy mode (with flags) and first long of nodes; -1 on error. */
static int policy_of(void *addr, unsigned long *nodes)
{
	int mode = -1;
	unsigned long m[1] = { ~0UL };
	if (get_policy(&mode, m, 64, addr, addr ? MPOL_F_ADDR : 0))
		return -1;
	if (nodes)
		*nodes = m[0];
	return mode;
}

/* ioprio_get's level for a class NONE task: (nice + 20) / 5. */
static int nice_level(void)
{
	return (getpriority(PRIO_PROCESS, 0) + 20) / 5;
}

static void *thread_ioprio(void *arg)
{
	*(long *)arg = ioprio_get(IOPRIO_WHO_PROCESS, 0);
	return NULL;
}

static void *thread_policy(void *arg)
{
	*(int *)arg = policy_of(NULL, NULL);
	return NULL;
}

/* ---- ioprio ---- */

static void test_ioprio_self(void)
{
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 3)), 0, "set_be3");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_BE, 3), "get_be3");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, getpid()), IOPRIO(CLASS_BE, 3), "get_by_pid");
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, getpid(), IOPRIO(CLASS_IDLE, 0)), 0, "set_idle");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_IDLE, 0), "get_idle");
	/* IDLE ignores its data, which is kept as given. */
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_IDLE, 0x1234)), 0, "set_idle_data");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_IDLE, 0x1234), "get_idle_data");
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_RT, 7)), 0, "set_rt7_root");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_RT, 7), "get_rt7");
	/* Only the level (bits 0..2) is checked: bits 3..12 are hints. */
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 0x1fff)), 0, "set_be_hints");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_BE, 0x1fff), "get_be_hints");
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_NONE, 8)), 0, "set_none_hint");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), 8, "get_none_hint");
	/* Kept as an unsigned short: bits above 15 vanish. */
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, 0x20000 | IOPRIO(CLASS_BE, 7)), 0, "set_high_bits");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(CLASS_BE, 7), "high_bits_dropped");
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, 0), 0, "set_none");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), 0, "get_none");

	CHECK_ERR(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_NONE, 1)), EINVAL, "none_level_einval");
	CHECK_ERR(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(4, 0)), EINVAL, "class4_einval");
	CHECK_ERR(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(7, 0)), EINVAL, "class7_einval");
	CHECK_ERR(ioprio_set(IOPRIO_WHO_PROCESS, 0, -1), EINVAL, "minus1_einval");
	CHECK_ERR(ioprio_set(0, 0, IOPRIO(CLASS_BE, 0)), EINVAL, "set_which0_einval");
	CHECK_ERR(ioprio_set(4, 0, IOPRIO(CLASS_BE, 0)), EINVAL, "set_which4_einval");
	CHECK_ERR(ioprio_get(0, 0), EINVAL, "get_which0_einval");
	CHECK_ERR(ioprio_get(4, 0), EINVAL, "get_which4_einval");

	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	reap(gone);
	CHECK_ERR(ioprio_get(IOPRIO_WHO_PROCESS, gone), ESRCH, "get_missing_pid_esrch");
	CHECK_ERR(ioprio_set(IOPRIO_WHO_PROCESS, gone, 0), ESRCH, "set_missing_pid_esrch");
	CHECK_ERR(ioprio_get(IOPRIO_WHO_PROCESS, -1), ESRCH, "get_negative_pid_esrch");
	CHECK_ERR(ioprio_get(IOPRIO_WHO_PGRP, -1), ESRCH, "get_negative_pgrp_esrch");
	CHECK_ERR(ioprio_get(IOPRIO_WHO_USER, -1), ESRCH, "get_uid_minus1_esrch");
	CHECK_ERR(ioprio_set(IOPRIO_WHO_USER, -1, 0), ESRCH, "set_uid_minus1_esrch");
	CHECK_ERR(ioprio_get(IOPRIO_WHO_USER, OTHER_UID + 1), ESRCH, "get_unused_uid_esrch");
}

static void test_ioprio_inherit(void)
{
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 5)), 0, "inherit_setup");
	pid_t c = fork();
	if (c == 0)
		_exit(ioprio_get(IOPRIO_WHO_PROCESS, 0) == IOPRIO(CLASS_BE, 5) ? 0 : 1);
	check_child_ok(c, "fork_inherits_ioprio");
	long got = -2;
	pthread_t th;
	if (pthread_create(&th, NULL, thread_ioprio, &got) == 0)
		pthread_join(th, NULL);
	CHECK_EQ(got, IOPRIO(CLASS_BE, 5), "thread_inherits_ioprio");

	/* A class NONE value is not handed on: the child reads the default. */
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_NONE, 8)), 0, "none_hint_setup");
	c = fork();
	if (c == 0)
		_exit(ioprio_get(IOPRIO_WHO_PROCESS, 0) == 0 ? 0 : 1);
	check_child_ok(c, "fork_drops_class_none");

	/* Setting another process's: the child sees what the parent set. */
	int go[2], back[2];
	SETUP(pipe(go));
	SETUP(pipe(back));
	c = fork();
	if (c == 0) {
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		long v = ioprio_get(IOPRIO_WHO_PROCESS, 0);
		_exit(v == IOPRIO(CLASS_IDLE, 0) ? 0 : 1);
	}
	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, c, IOPRIO(CLASS_IDLE, 0)), 0, "set_child");
	CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, c), IOPRIO(CLASS_IDLE, 0), "get_child");
	SETUP(write(go[1], "x", 1));
	check_child_ok(c, "child_sees_parent_set");
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
	ioprio_set(IOPRIO_WHO_PROCESS, 0, 0);
}

/* In a process group of its own; exit code: 0 or the failing step. */
static int pgrp_child(void)
{
	if (setpgid(0, 0))
		return 1;
	/* Not set since fork (class NONE): the CPU priority's class and level. */
	if (ioprio_get(IOPRIO_WHO_PGRP, 0) != IOPRIO(CLASS_BE, nice_level()))
		return 2;
	if (setpriority(PRIO_PROCESS, 0, 10))
		return 3;
	if (ioprio_get(IOPRIO_WHO_PGRP, 0) != IOPRIO(CLASS_BE, 6))
		return 4;
	if (ioprio_get(IOPRIO_WHO_PROCESS, 0) != 0)
		return 5;                       /* the raw value for a process */
	struct sched_param sp = { 0 };
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		return 6;
	if (ioprio_get(IOPRIO_WHO_PGRP, getpid()) != IOPRIO(CLASS_IDLE, 6))
		return 7;
	sp.sched_priority = 1;
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		return 8;
	if (ioprio_get(IOPRIO_WHO_PGRP, 0) != IOPRIO(CLASS_RT, 6))
		return 9;
	sp.sched_priority = 0;
	if (sched_setscheduler(0, SCHED_OTHER, &sp))
		return 10;
	if (ioprio_set(IOPRIO_WHO_PGRP, 0, IOPRIO(CLASS_IDLE, 0)))
		return 11;
	if (ioprio_get(IOPRIO_WHO_PGRP, 0) != IOPRIO(CLASS_IDLE, 0) ||
	    ioprio_get(IOPRIO_WHO_PROCESS, 0) != IOPRIO(CLASS_IDLE, 0))
		return 12;
	/* Two members: the best (numerically lowest) priority wins. */
	int go[2], set[2];      /* one pipe each way: a child could read its own byte back */
	if (pipe(go) || pipe(set))
		return 13;
	pid_t g = fork();
	if (g == 0) {
		char b;
		ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 2));
		if (write(set[1], "x", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(1);
		_exit(0);
	}
	char b;
	if (read(set[0], &b, 1) != 1)
		return 14;
	int r = ioprio_get(IOPRIO_WHO_PGRP, 0) == IOPRIO(CLASS_BE, 2) ? 0 : 15;
	if (!r && ioprio_set(IOPRIO_WHO_PGRP, getpid(), IOPRIO(CLASS_BE, 4)))
		r = 16;
	if (!r && ioprio_get(IOPRIO_WHO_PGRP, 0) != IOPRIO(CLASS_BE, 4))
		r = 17;
	if (write(go[1], "x", 1) != 1)
		r = 18;
	int st = reap(g);
	if (!r && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)))
		r = 19;
	return r;
}

/* As uid OTHER_UID, without capabilities; exit code: 0 or the failing step. */
static int user_child(pid_t parent)
{
	if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) || setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return 1;
	if (ioprio_get(IOPRIO_WHO_USER, 0) != IOPRIO(CLASS_BE, 1))
		return 2;                       /* the parent's, inherited */
	if (ioprio_set(IOPRIO_WHO_USER, OTHER_UID, IOPRIO(CLASS_BE, 3)))
		return 3;
	if (ioprio_get(IOPRIO_WHO_USER, OTHER_UID) != IOPRIO(CLASS_BE, 3) ||
	    ioprio_get(IOPRIO_WHO_USER, 0) != IOPRIO(CLASS_BE, 3))
		return 4;
	/* ioprio_set's who 0 is uid 0 (root), not the caller's uid: root's processes are not ours. */
	if (ioprio_set(IOPRIO_WHO_USER, 0, IOPRIO(CLASS_BE, 3)) != -1 || errno != EPERM)
		return 5;
	/* RT wants CAP_SYS_NICE or CAP_SYS_ADMIN; checked before anything else. */
	if (ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_RT, 3)) != -1 || errno != EPERM)
		return 6;
	if (ioprio_set(9, 0, IOPRIO(CLASS_RT, 3)) != -1 || errno != EPERM)
		return 7;
	if (ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_IDLE, 0)) ||
	    ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 0)))
		return 8;                       /* BE and IDLE are free, even upwards */
	if (ioprio_set(IOPRIO_WHO_PROCESS, parent, IOPRIO(CLASS_BE, 3)) != -1 || errno != EPERM)
		return 9;                       /* another user's process */
	if (ioprio_get(IOPRIO_WHO_PROCESS, parent) != IOPRIO(CLASS_BE, 1))
		return 10;                      /* reading is allowed */
	/* mbind's MPOL_MF_MOVE_ALL wants CAP_SYS_NICE. */
	unsigned long node0 = 1;
	if (mbind_(&node0, PG, MPOL_BIND, &node0, 2, MPOL_MF_MOVE_ALL) != -1 || errno != EPERM)
		return 11;
	return 0;
}

static void test_ioprio_groups(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(pgrp_child());
	check_child_ok(c, "pgrp_set_get_best");

	CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(CLASS_BE, 1)), 0, "user_setup");
	pid_t self = getpid();
	c = fork();
	if (c == 0)
		_exit(user_child(self));
	check_child_ok(c, "user_set_get_unprivileged");
	ioprio_set(IOPRIO_WHO_PROCESS, 0, 0);
}

/* ---- NUMA memory policy ---- */

static void test_policy_modes(void)
{
	unsigned long node0 = 1, node1 = 2, nodes01 = 3, m[3];
	int mode;

	CHECK_EQ(policy_of(NULL, m), MPOL_DEFAULT, "default_mode");
	CHECK_EQ(m[0], 0, "default_no_nodes");

	mode = -1;
	m[0] = m[1] = ~0UL;
	CHECK_EQ(get_policy(&mode, m, 64, NULL, MPOL_F_MEMS_ALLOWED), 0, "mems_allowed");
	CHECK(mode == 0 && m[0] == 1 && m[1] == ~0UL, "mems_allowed_node0");
	CHECK_ERR(get_policy(&mode, m, 64, NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE), EINVAL,
		  "mems_allowed_node_einval");
	CHECK_ERR(get_policy(&mode, m, 64, &mode, MPOL_F_MEMS_ALLOWED | MPOL_F_ADDR), EINVAL,
		  "mems_allowed_addr_einval");
	CHECK_ERR(get_policy(&mode, NULL, 0, NULL, MPOL_F_NODE), EINVAL, "node_without_interleave");

	static const struct {
		int mode;
		const char *set, *get;
	} modes[] = {
		{ MPOL_PREFERRED, "set_preferred", "get_preferred" },
		{ MPOL_BIND, "set_bind", "get_bind" },
		{ MPOL_INTERLEAVE, "set_interleave", "get_interleave" },
		{ MPOL_PREFERRED_MANY, "set_preferred_many", "get_preferred_many" },
		{ MPOL_WEIGHTED_INTERLEAVE, "set_weighted_interleave", "get_weighted_interleave" },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CHECK_EQ(set_policy(modes[i].mode, &nodes01, 3), 0, modes[i].set);
		int got = policy_of(NULL, m);
		CHECK(got == modes[i].mode && m[0] == 1, modes[i].get);
	}
	/* Under an interleave policy, MPOL_F_NODE is the next node. */
	mode = -1;
	CHECK_EQ(get_policy(&mode, NULL, 0, NULL, MPOL_F_NODE), 0, "node_of_interleave");
	CHECK_EQ(mode, 0, "next_node_0");
	CHECK_EQ(set_policy(MPOL_LOCAL, NULL, 0), 0, "set_local");
	CHECK_EQ(policy_of(NULL, m), MPOL_LOCAL, "get_local");
	CHECK_EQ(m[0], 0, "local_no_nodes");
	CHECK_ERR(set_policy(MPOL_LOCAL, &node0, 2), EINVAL, "local_with_nodes_einval");
	CHECK_EQ(set_policy(MPOL_PREFERRED, NULL, 0), 0, "preferred_empty");
	CHECK_EQ(policy_of(NULL, NULL), MPOL_LOCAL, "preferred_empty_is_local");
	CHECK_EQ(set_policy(MPOL_DEFAULT, NULL, 0), 0, "set_default");
	CHECK_EQ(policy_of(NULL, NULL), MPOL_DEFAULT, "get_default");
	CHECK_ERR(set_policy(MPOL_DEFAULT, &node0, 2), EINVAL, "default_with_nodes_einval");
	CHECK_ERR(set_policy(7, &node0, 2), EINVAL, "mode7_einval");
	CHECK_ERR(set_policy(-1, NULL, 0), EINVAL, "mode_minus1_einval");
	CHECK_ERR(set_policy(MPOL_BIND, NULL, 0), EINVAL, "bind_empty_einval");

	/* Node 1 does not exist: a mask with only it has no node allowed. */
	CHECK_ERR(set_policy(MPOL_BIND, &node1, 3), EINVAL, "bind_node1_einval");
	CHECK_ERR(set_policy(MPOL_INTERLEAVE, &node1, 3), EINVAL, "interleave_node1_einval");
	CHECK_ERR(set_policy(MPOL_PREFERRED, &node1, 3), EINVAL, "preferred_node1_einval");
	CHECK_ERR(set_policy(MPOL_PREFERRED_MANY, &node1, 3), EINVAL, "preferred_many_node1_einval");
	/* maxnode - 1 bits are read: node 1 needs maxnode 3. */
	CHECK_EQ(set_policy(MPOL_DEFAULT, &node1, 2), 0, "maxnode_off_by_one");
	CHECK_ERR(set_policy(MPOL_DEFAULT, &node1, 3), EINVAL, "maxnode_covers_node1");
	CHECK_ERR(set_policy(MPOL_BIND, &node0, 1), EINVAL, "maxnode1_reads_nothing");
	CHECK_ERR(set_policy(MPOL_BIND, &node0, 0), EINVAL, "maxnode0_einval");

	/* Mode flags. */
	CHECK_EQ(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES, &nodes01, 3), 0, "static_nodes");
	CHECK_EQ(policy_of(NULL, m), MPOL_BIND | MPOL_F_STATIC_NODES, "static_nodes_mode");
	CHECK_EQ(m[0], 3, "static_nodes_reports_mask_given");
	CHECK_ERR(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES, &node1, 3), EINVAL, "static_node1_einval");
	unsigned long node5 = 1UL << 5;
	CHECK_EQ(set_policy(MPOL_BIND | MPOL_F_RELATIVE_NODES, &node5, 8), 0, "relative_nodes_fold");
	CHECK_EQ(policy_of(NULL, m), MPOL_BIND | MPOL_F_RELATIVE_NODES, "relative_nodes_mode");
	CHECK_EQ(m[0], node5, "relative_nodes_reports_mask_given");
	CHECK_ERR(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, &node0, 2),
		  EINVAL, "static_and_relative_einval");
	CHECK_ERR(set_policy(MPOL_PREFERRED | MPOL_F_STATIC_NODES, NULL, 0), EINVAL,
		  "preferred_empty_static_einval");
	CHECK_ERR(set_policy(MPOL_LOCAL | MPOL_F_RELATIVE_NODES, NULL, 0), EINVAL,
		  "local_relative_einval");
	CHECK_EQ(set_policy(MPOL_PREFERRED_MANY | MPOL_F_NUMA_BALANCING, &node0, 2), 0,
		 "numa_balancing_preferred_many");
	CHECK_EQ(policy_of(NULL, NULL), MPOL_PREFERRED_MANY | MPOL_F_NUMA_BALANCING,
		 "numa_balancing_reported");
	CHECK_ERR(set_policy(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, &node0, 2), EINVAL,
		  "numa_balancing_interleave_einval");
	CHECK_EQ(set_policy(MPOL_DEFAULT | MPOL_F_STATIC_NODES, NULL, 0), 0, "default_with_flag");
	CHECK_EQ(policy_of(NULL, NULL), MPOL_DEFAULT, "default_drops_flag");

	/* Bits past MAX_NUMNODES (1024) must be zero, checked a whole long at a time. */
	static unsigned long big[PG / 8];
	memset(big, 0, sizeof(big));
	big[0] = 1;
	CHECK_EQ(set_policy(MPOL_BIND, big, PG * 8 + 1), 0, "maxnode_page_of_bits");
	CHECK_ERR(set_policy(MPOL_BIND, big, PG * 8 + 2), EINVAL, "maxnode_past_page_einval");
	big[2000 / 64] = 1UL << (2000 % 64);
	CHECK_ERR(set_policy(MPOL_BIND, big, 2002), EINVAL, "node2000_einval");
	big[2000 / 64] = 0;
	big[1100 / 64] = 1UL << (1100 % 64);
	CHECK_ERR(set_policy(MPOL_BIND, big, 1090), EINVAL, "bit_past_maxnode_same_long_einval");
	big[1100 / 64] = 0;
	big[1] = 1UL << (70 % 64);
	CHECK_EQ(set_policy(MPOL_BIND, big, 66), 0, "bit_past_maxnode_ignored");
	CHECK_ERR(set_policy(MPOL_BIND, BAD_PTR, 2), EFAULT, "nodes_efault");
	CHECK_ERR(set_policy(MPOL_BIND, BAD_PTR, 1), EINVAL, "nodes_not_read");

	/* get_mempolicy's copy-out: ALIGN(maxnode - 1, 64) bits, nodes past the first long zeroed. */
	CHECK_EQ(set_policy(MPOL_BIND, &node0, 2), 0, "copyout_setup");
	m[0] = m[1] = m[2] = ~0UL;
	CHECK_EQ(get_policy(&mode, m, 128, NULL, 0), 0, "copyout_128");
	CHECK(m[0] == 1 && m[1] == 0 && m[2] == ~0UL, "copyout_128_two_longs");
	m[0] = ~0UL;
	CHECK_EQ(get_policy(&mode, m, 1, NULL, 0), 0, "copyout_maxnode1");
	CHECK_EQ(m[0], ~0UL, "copyout_maxnode1_writes_nothing");
	CHECK_ERR(get_policy(&mode, m, 0, NULL, 0), EINVAL, "copyout_maxnode0_einval");
	CHECK_EQ(get_policy(&mode, big, PG * 8 + 1, NULL, 0), 0, "copyout_page");
	CHECK_ERR(get_policy(&mode, big, PG * 8 + 2, NULL, 0), EINVAL, "copyout_past_page_einval");
	CHECK_ERR(get_policy(BAD_PTR, m, 64, NULL, 0), EFAULT, "mode_ptr_efault");
	CHECK_ERR(get_policy(&mode, BAD_PTR, 64, NULL, 0), EFAULT, "nodes_ptr_efault");
	CHECK_ERR(get_policy(&mode, m, 64, NULL, 8), EINVAL, "bad_flag_einval");
	CHECK_ERR(get_policy(&mode, m, 64, NULL, 1UL << 32), EINVAL, "high_flag_einval");
	CHECK_ERR(get_policy(&mode, m, 64, &mode, 0), EINVAL, "addr_without_flag_einval");

	/* Inherited across fork and by threads. */
	CHECK_EQ(set_policy(MPOL_INTERLEAVE, &node0, 2), 0, "inherit_setup_policy");
	pid_t c = fork();
	if (c == 0)
		_exit(policy_of(NULL, NULL) == MPOL_INTERLEAVE ? 0 : 1);
	check_child_ok(c, "fork_inherits_policy");
	int tmode = -1;
	pthread_t th;
	if (pthread_create(&th, NULL, thread_policy, &tmode) == 0)
		pthread_join(th, NULL);
	CHECK_EQ(tmode, MPOL_INTERLEAVE, "thread_inherits_policy");
	CHECK_EQ(set_policy(MPOL_DEFAULT, NULL, 0), 0, "policy_reset");
}

static void test_policy_ranges(void)
{
	unsigned long node0 = 1, node1 = 2, m;
	int mode;
	char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	SETUP(munmap(p + 3 * PG, PG));            /* a hole at page 3 */
	SETUP(mprotect(p + 6 * PG, PG, PROT_NONE));

	/* MPOL_F_ADDR reads the mapping's policy, not the task's. */
	CHECK_EQ(set_policy(MPOL_INTERLEAVE, &node0, 2), 0, "addr_setup");
	CHECK_EQ(policy_of(p, NULL), MPOL_DEFAULT, "addr_default");
	CHECK_EQ(policy_of(p + 6 * PG, NULL), MPOL_DEFAULT, "addr_prot_none");
	CHECK_ERR(get_policy(&mode, NULL, 0, p + 3 * PG, MPOL_F_ADDR), EFAULT, "addr_unmapped_efault");
	CHECK_ERR(get_policy(&mode, NULL, 0, BAD_PTR, MPOL_F_ADDR), EFAULT, "addr_bad_efault");
	mode = -1;
	CHECK_EQ(get_policy(&mode, NULL, 0, p + 5, MPOL_F_ADDR | MPOL_F_NODE), 0, "node_of_page");
	CHECK_EQ(mode, 0, "page_on_node0");
	CHECK_ERR(get_policy(&mode, NULL, 0, p + 6 * PG, MPOL_F_ADDR | MPOL_F_NODE), EFAULT,
		  "node_of_prot_none_efault");
	CHECK_EQ(set_policy(MPOL_DEFAULT, NULL, 0), 0, "addr_reset");

	/* mbind on pages 0..2. */
	CHECK_EQ(mbind_(p, PG, MPOL_BIND, &node0, 2, 0), 0, "mbind_bind");
	CHECK_EQ(policy_of(p, &m), MPOL_BIND, "mbind_bind_reported");
	CHECK_EQ(m, 1, "mbind_bind_nodes");
	CHECK_EQ(policy_of(p + PG, NULL), MPOL_DEFAULT, "mbind_next_page_default");
	CHECK_EQ(policy_of(NULL, NULL), MPOL_DEFAULT, "mbind_task_untouched");
	CHECK_EQ(mbind_(p + PG, 2 * PG - 100, MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, &node0, 2,
			MPOL_MF_STRICT | MPOL_MF_MOVE), 0, "mbind_interleave_len_rounded");
	CHECK_EQ(policy_of(p + 2 * PG + 10, &m), MPOL_INTERLEAVE | MPOL_F_STATIC_NODES,
		 "mbind_interleave_reported");
	CHECK_EQ(policy_of(p, NULL), MPOL_BIND, "mbind_first_page_kept");
	CHECK_EQ(mbind_(p + 4 * PG, PG, MPOL_PREFERRED, NULL, 0, 0), 0, "mbind_preferred_empty");
	CHECK_EQ(policy_of(p + 4 * PG, NULL), MPOL_LOCAL, "mbind_preferred_empty_local");
	/* The mode is an unsigned long used as an int, the flags an unsigned int. */
	CHECK_EQ(mbind_(p + 5 * PG, PG, (1UL << 32) | MPOL_PREFERRED_MANY, &node0, 2, 1UL << 32), 0,
		 "mbind_upper_bits_ignored");
	CHECK_EQ(policy_of(p + 5 * PG, NULL), MPOL_PREFERRED_MANY, "mbind_upper_bits_mode");
	CHECK_EQ(mbind_(p, PG, MPOL_BIND, &node0, 2, MPOL_MF_MOVE_ALL), 0, "mbind_move_all_root");

	CHECK_ERR(mbind_(p + 1, PG, MPOL_BIND, &node0, 2, 0), EINVAL, "mbind_unaligned_einval");
	CHECK_ERR(mbind_(p + 1, 0, MPOL_BIND, &node0, 2, 0), EINVAL, "mbind_unaligned_len0_einval");
	CHECK_EQ(mbind_(p, 0, MPOL_BIND, &node1, 3, 0), 0, "mbind_len0_before_nodes");
	CHECK_ERR(mbind_(p, 0, 9, &node0, 2, 0), EINVAL, "mbind_len0_bad_mode_einval");
	CHECK_ERR(mbind_(p, PG, MPOL_BIND, &node0, 2, 8), EINVAL, "mbind_bad_flag_einval");
	CHECK_ERR(mbind_(p, PG, MPOL_BIND, &node1, 3, 0), EINVAL, "mbind_node1_einval");
	CHECK_ERR(mbind_(p, PG, MPOL_BIND, BAD_PTR, 2, 0), EFAULT, "mbind_nodes_efault");
	CHECK_ERR(mbind_(p, -PG, MPOL_BIND, &node0, 2, 0), EINVAL, "mbind_wraps_einval");
	CHECK_EQ(mbind_(p, -1UL, MPOL_BIND, &node0, 2, 0), 0, "mbind_len_rounds_to_0");
	CHECK_ERR(mbind_(p + 3 * PG, PG, MPOL_BIND, &node0, 2, 0), EFAULT, "mbind_unmapped_efault");
	CHECK_ERR(mbind_(p + 2 * PG, 2 * PG, MPOL_BIND, &node0, 2, 0), EFAULT, "mbind_hole_efault");
	CHECK_ERR(mbind_(p + 3 * PG, PG, MPOL_BIND, &node1, 3, 0), EINVAL, "mbind_nodes_before_hole");
	CHECK_ERR(mbind_(p + 3 * PG, PG, MPOL_DEFAULT, NULL, 0, 0), EFAULT,
		  "mbind_default_all_hole_efault");

	/* set_mempolicy_home_node: only BIND and PREFERRED_MANY ranges take one. */
	CHECK_EQ(home_node(p, PG, 0, 0), 0, "home_node_bind");
	CHECK_EQ(home_node(p + 5 * PG, PG, 0, 0), 0, "home_node_preferred_many");
	CHECK_ERR(home_node(p + PG, PG, 0, 0), EOPNOTSUPP, "home_node_interleave_eopnotsupp");
	CHECK_ERR(home_node(p, 2 * PG, 0, 0), EOPNOTSUPP, "home_node_mixed_eopnotsupp");
	CHECK_ERR(home_node(p + 7 * PG, PG, 0, 0), ENOENT, "home_node_no_policy_enoent");
	CHECK_ERR(home_node(p + 3 * PG, PG, 0, 0), ENOENT, "home_node_hole_enoent");
	CHECK_ERR(home_node(p, PG, 1, 0), EINVAL, "home_node1_einval");
	CHECK_ERR(home_node(p, PG, 0, 1), EINVAL, "home_node_flags_einval");
	CHECK_ERR(home_node(p + 1, PG, 0, 0), EINVAL, "home_node_unaligned_einval");
	CHECK_ERR(home_node(p, -2 * PG, 0, 0), EINVAL, "home_node_wraps_einval");
	CHECK_EQ(home_node(p, 0, 0, 0), 0, "home_node_len0");

	/* Kept across fork and mprotect. */
	pid_t c = fork();
	if (c == 0)
		_exit(policy_of(p + PG, NULL) == (MPOL_INTERLEAVE | MPOL_F_STATIC_NODES) &&
		      policy_of(p, NULL) == MPOL_BIND ? 0 : 1);
	check_child_ok(c, "fork_keeps_mbind");
	CHECK_EQ(mprotect(p + PG, PG, PROT_READ), 0, "mprotect_setup");
	CHECK_EQ(policy_of(p + PG, NULL), MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, "mprotect_keeps_mbind");

	/* MPOL_DEFAULT clears, and may span holes if some of the range is mapped. */
	CHECK_EQ(mbind_(p, 8 * PG, MPOL_DEFAULT, NULL, 0, MPOL_MF_STRICT), 0, "mbind_default_over_hole");
	CHECK_EQ(policy_of(p, NULL), MPOL_DEFAULT, "mbind_default_cleared_0");
	CHECK_EQ(policy_of(p + 5 * PG, NULL), MPOL_DEFAULT, "mbind_default_cleared_5");
	CHECK_ERR(home_node(p, 8 * PG, 0, 0), ENOENT, "home_node_after_clear_enoent");
	munmap(p, 8 * PG);
}

int main(void)
{
	test_ioprio_self();
	test_ioprio_inherit();
	test_ioprio_groups();
	test_policy_modes();
	test_policy_ranges();
	return conf_exit();
}
