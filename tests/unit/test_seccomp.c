/* The seccomp classic-BPF checker, interpreter and filter chains (sentry/seccomp.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/seccomp.h"

#define LD_ABS(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define LD_NR LD_ABS(offsetof(struct seccomp_data, nr))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define RET_A BPF_STMT(BPF_RET | BPF_A, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct seccomp_data data(int nr)
{
	struct seccomp_data d = { .nr = nr, .arch = 0xc000003e, .instruction_pointer = 0x401000 };
	for (int i = 0; i < 6; i++)
		d.args[i] = 0x1111111100000000ULL * (i + 1) + i;
	return d;
}

static uint32_t run(const struct sock_filter *p, unsigned len, int nr)
{
	cr_assert_eq(seccomp_check(p, len), 0, "program must pass the checker");
	struct seccomp_data d = data(nr);
	return seccomp_run(p, len, &d);
}

Test(seccomp, accepts_a_plain_filter)
{
	struct sock_filter p[] = {
		LD_ABS(offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
		RET(SECCOMP_RET_ERRNO | 1),
		RET(SECCOMP_RET_ALLOW),
	};
	cr_expect_eq(run(p, N(p), 39), SECCOMP_RET_ERRNO | 1);
	cr_expect_eq(run(p, N(p), 40), SECCOMP_RET_ALLOW);
}

Test(seccomp, rejects_what_linux_rejects)
{
	struct { struct sock_filter p[3]; unsigned len; const char *what; } bad[] = {
		{ { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET(0) }, 2, "byte load" },
		{ { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET(0) }, 2, "half load" },
		{ { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET(0) }, 2, "indirect load" },
		{ { BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), RET(0) }, 2, "msh" },
		{ { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(0) }, 2, "mod (not in seccomp's list)" },
		{ { BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0), RET(0) }, 2, "mod x" },
		{ { BPF_STMT(BPF_RET | BPF_X, 0) }, 1, "ret x" },
		{ { BPF_STMT(0xffff, 0), RET(0) }, 2, "garbage opcode" },
		{ { BPF_STMT(0x106, 0) }, 1, "ret with high bits" },
		{ { LD_ABS(64), RET(0) }, 2, "load past seccomp_data" },
		{ { LD_ABS(0xfffff000), RET(0) }, 2, "ancillary load" },
		{ { LD_ABS(6), RET(0) }, 2, "unaligned load" },
		{ { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(0) }, 2, "div by 0" },
		{ { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET(0) }, 2, "lsh 32" },
		{ { BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 40), RET(0) }, 2, "rsh 40" },
		{ { BPF_STMT(BPF_ST, 16), RET(0) }, 2, "st 16" },
		{ { BPF_STMT(BPF_LDX | BPF_MEM, 0), RET(0) }, 2, "scratch read first" },
		{ { BPF_STMT(BPF_JMP | BPF_JA, 1), RET(0) }, 2, "ja past the end" },
		{ { BPF_STMT(BPF_JMP | BPF_JA, 0xffffffff), RET(0) }, 2, "ja backwards" },
		{ { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), RET(0) }, 2, "jf past the end" },
		{ { BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0), RET(0) }, 2, "jt past the end" },
		{ { RET(0), LD_NR }, 2, "no ret at the end" },
		{ { RET(0) }, 0, "empty" },
	};
	for (size_t i = 0; i < N(bad); i++)
		cr_expect_eq(seccomp_check(bad[i].p, bad[i].len), -EINVAL, "%s", bad[i].what);
}

Test(seccomp, length_limits)
{
	static struct sock_filter p[BPF_MAXINSNS + 1];
	for (int i = 0; i < BPF_MAXINSNS + 1; i++)
		p[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW);
	p[BPF_MAXINSNS - 1] = (struct sock_filter)RET_A;
	cr_expect_eq(seccomp_check(p, BPF_MAXINSNS), 0);
	p[BPF_MAXINSNS] = (struct sock_filter)RET_A;
	cr_expect_eq(seccomp_check(p, BPF_MAXINSNS + 1), -EINVAL);
}

Test(seccomp, scratch_paths)
{
	/* Written on one branch only, read where they meet: rejected. */
	struct sock_filter one[] = {
		LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT(BPF_ST, 2),
		BPF_STMT(BPF_LD | BPF_MEM, 2), RET_A,
	};
	cr_expect_eq(seccomp_check(one, N(one)), -EINVAL);
	/* Written before the branch: fine, and the value survives. */
	struct sock_filter both[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 77), BPF_STMT(BPF_ST, 2), LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT(BPF_LD | BPF_IMM, 5),
		BPF_STMT(BPF_LDX | BPF_MEM, 2), BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A,
	};
	cr_expect_eq(run(both, N(both), 1), 77);
	cr_expect_eq(run(both, N(both), 2), 77);
	/* STX then LD MEM through a jump that skips nothing. */
	struct sock_filter stx[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 9), BPF_STMT(BPF_STX, 15), BPF_STMT(BPF_JMP | BPF_JA, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 15), RET_A,
	};
	cr_expect_eq(run(stx, N(stx), 0), 9);
}

Test(seccomp, loads_read_native_words)
{
	struct sock_filter lo[] = { LD_ABS(offsetof(struct seccomp_data, args[2])), RET_A };
	struct sock_filter hi[] = { LD_ABS(offsetof(struct seccomp_data, args[2]) + 4), RET_A };
	struct sock_filter ip[] = { LD_ABS(offsetof(struct seccomp_data, instruction_pointer)), RET_A };
	struct sock_filter len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), RET_A };
	struct sock_filter lenx[] = { BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
				      BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
	cr_expect_eq(run(lo, N(lo), 0), 2);
	cr_expect_eq(run(hi, N(hi), 0), 0x33333333);
	cr_expect_eq(run(ip, N(ip), 0), 0x401000);
	cr_expect_eq(run(len, N(len), 0), 64);
	cr_expect_eq(run(lenx, N(lenx), 0), 64);
}

/* A = a; A op= v (K form) and A op= X (X form): both must give want. */
static void alu_case(uint16_t op, uint32_t a, uint32_t v, uint32_t want)
{
	struct sock_filter k[] = { BPF_STMT(BPF_LD | BPF_IMM, a), BPF_STMT(BPF_ALU | op | BPF_K, v), RET_A };
	struct sock_filter x[] = { BPF_STMT(BPF_LD | BPF_IMM, a), BPF_STMT(BPF_LDX | BPF_IMM, v),
				   BPF_STMT(BPF_ALU | op | BPF_X, 0), RET_A };
	if (!((op == BPF_LSH || op == BPF_RSH) && v >= 32) && !(op == BPF_DIV && v == 0))
		cr_expect_eq(run(k, N(k), 0), want, "op %#x %u %u (K)", op, a, v);
	cr_expect_eq(run(x, N(x), 0), want, "op %#x %u %u (X)", op, a, v);
}

Test(seccomp, alu)
{
	alu_case(BPF_ADD, 0xffffffff, 2, 1);
	alu_case(BPF_SUB, 1, 2, 0xffffffff);
	alu_case(BPF_MUL, 0x10000, 0x10001, 0x10000);
	alu_case(BPF_DIV, 100, 7, 14);
	alu_case(BPF_DIV, 100, 0, 0);          /* A / X with X == 0: the program returns 0 */
	alu_case(BPF_AND, 0xf0f0, 0xff00, 0xf000);
	alu_case(BPF_OR, 0xf0f0, 0x0f00, 0xfff0);
	alu_case(BPF_XOR, 0xff, 0x0f, 0xf0);
	alu_case(BPF_LSH, 1, 31, 0x80000000);
	alu_case(BPF_RSH, 0x80000000, 31, 1);
	alu_case(BPF_LSH, 1, 33, 2);           /* X shifts use their low 5 bits */
	struct sock_filter neg[] = { BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_STMT(BPF_ALU | BPF_NEG, 0), RET_A };
	cr_expect_eq(run(neg, N(neg), 0), (uint32_t)-5);
}

/* Jump op against A = a and K/X = v: the branch taken (1) or not (0). */
static int jump_case(uint16_t op, uint16_t src, uint32_t a, uint32_t v)
{
	struct sock_filter p[] = {
		BPF_STMT(BPF_LD | BPF_IMM, a), BPF_STMT(BPF_LDX | BPF_IMM, v),
		BPF_JUMP(BPF_JMP | op | src, v, 1, 0), RET(0), RET(1),
	};
	return (int)run(p, N(p), 0);
}

Test(seccomp, jumps)
{
	for (int s = 0; s < 2; s++) {
		uint16_t src = s ? BPF_X : BPF_K;
		cr_expect_eq(jump_case(BPF_JEQ, src, 5, 5), 1);
		cr_expect_eq(jump_case(BPF_JEQ, src, 5, 6), 0);
		cr_expect_eq(jump_case(BPF_JGT, src, 6, 5), 1);
		cr_expect_eq(jump_case(BPF_JGT, src, 5, 5), 0);
		cr_expect_eq(jump_case(BPF_JGT, src, 0x80000000, 1), 1);   /* unsigned */
		cr_expect_eq(jump_case(BPF_JGE, src, 5, 5), 1);
		cr_expect_eq(jump_case(BPF_JGE, src, 4, 5), 0);
		cr_expect_eq(jump_case(BPF_JSET, src, 6, 2), 1);
		cr_expect_eq(jump_case(BPF_JSET, src, 6, 1), 0);
	}
	struct sock_filter ja[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), RET(0), RET(7) };
	cr_expect_eq(run(ja, N(ja), 0), 7);
	struct sock_filter tax[] = { BPF_STMT(BPF_LD | BPF_IMM, 3), BPF_STMT(BPF_MISC | BPF_TAX, 0),
				     BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
	cr_expect_eq(run(tax, N(tax), 0), 3);
}

/* Any program the checker accepts runs to a RET: random programs from every opcode. */
Test(seccomp, random_checked_programs_terminate)
{
	static const uint16_t codes[] = {
		BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
		BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
		BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K,
		BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_LSH | BPF_X,
		BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_NEG, BPF_ALU | BPF_AND | BPF_X,
		BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
		BPF_JMP | BPF_JSET | BPF_K, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
		BPF_RET | BPF_K, BPF_RET | BPF_A,
	};
	srand(1234);
	int accepted = 0;
	struct sock_filter p[24];
	for (int iter = 0; iter < 50000; iter++) {
		unsigned len = 1 + rand() % 24;
		for (unsigned i = 0; i < len; i++) {
			p[i].code = codes[rand() % N(codes)];
			p[i].jt = rand() % 4;
			p[i].jf = rand() % 4;
			p[i].k = rand() % 3 ? (uint32_t)(rand() % 20) * 4 % 68 : (uint32_t)rand();
		}
		p[len - 1].code = BPF_RET | BPF_A;
		if (seccomp_check(p, len))
			continue;
		accepted++;
		struct seccomp_data d = data(iter);
		seccomp_run(p, len, &d);
	}
	cr_expect_gt(accepted, 100, "only %d accepted", accepted);
}

Test(seccomp, chain_precedence_and_count)
{
	struct sock_filter errno1[] = { RET(SECCOMP_RET_ERRNO | 1) };
	struct sock_filter errno13[] = { RET(SECCOMP_RET_ERRNO | 13) };
	struct sock_filter allow[] = { RET(SECCOMP_RET_ALLOW) };
	struct sock_filter log[] = { RET(SECCOMP_RET_LOG) };
	struct sock_filter trap[] = { RET(SECCOMP_RET_TRAP | 4) };
	struct sock_filter kill_thread[] = { RET(SECCOMP_RET_KILL_THREAD) };
	struct sock_filter kill_process[] = { RET(SECCOMP_RET_KILL_PROCESS) };
	struct seccomp_data d = data(0);

	cr_expect_eq(seccomp_filter_count(NULL), 0);
	cr_expect_eq(seccomp_filter_run(NULL, &d), SECCOMP_RET_ALLOW);
	struct seccomp_filter *a = seccomp_filter_new(log, 1, NULL, false);
	cr_expect_eq(seccomp_filter_run(a, &d), SECCOMP_RET_LOG);
	struct seccomp_filter *b = seccomp_filter_new(errno1, 1, a, false);
	struct seccomp_filter *c = seccomp_filter_new(allow, 1, b, false);
	cr_expect_eq(seccomp_filter_run(c, &d), SECCOMP_RET_ERRNO | 1);
	struct seccomp_filter *e = seccomp_filter_new(errno13, 1, c, false);
	cr_expect_eq(seccomp_filter_run(e, &d), SECCOMP_RET_ERRNO | 13, "newest wins a tie");
	struct seccomp_filter *f = seccomp_filter_new(trap, 1, e, false);
	cr_expect_eq(seccomp_filter_run(f, &d), SECCOMP_RET_TRAP | 4);
	struct seccomp_filter *g = seccomp_filter_new(kill_thread, 1, f, false);
	cr_expect_eq(seccomp_filter_run(g, &d), SECCOMP_RET_KILL_THREAD);
	struct seccomp_filter *h = seccomp_filter_new(kill_process, 1, g, false);
	cr_expect_eq(seccomp_filter_run(h, &d), SECCOMP_RET_KILL_PROCESS, "0x80000000 is the lowest");
	cr_expect_eq(seccomp_filter_count(h), 7);
	/* A branch off the middle shares the older filters. */
	struct seccomp_filter *side = seccomp_filter_new(allow, 1, b, false);
	cr_expect_eq(seccomp_filter_count(side), 3);
	cr_expect_eq(seccomp_filter_run(side, &d), SECCOMP_RET_ERRNO | 1);
	seccomp_filter_put(a);
	seccomp_filter_put(b);
	seccomp_filter_put(c);
	seccomp_filter_put(e);
	seccomp_filter_put(f);
	seccomp_filter_put(g);
	seccomp_filter_put(h);
	cr_expect_eq(seccomp_filter_run(side, &d), SECCOMP_RET_ERRNO | 1, "side keeps its chain");
	seccomp_filter_put(side);
}
