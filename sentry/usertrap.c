/*
 * Syscall patching (after gVisor's usertrap): a syscall site that traps
 * often is rewritten to jump to the platform's fast entry, which reaches
 * the sentry without the host's signal delivery (SIGSYS and rt_sigreturn,
 * with the XSAVE state, are 1.6 us of the 1.9 us a trapped syscall costs
 * here).
 *
 * What is patched: the 7 bytes "mov $nr, %eax; syscall" (b8 imm32 0f 05),
 * glibc's form for almost every wrapper, in a private mapping, with imm32
 * the number the trap reported. They become "jmp *entry" (ff 24 25 abs32),
 * an indirect jump through the first quadword of the site's entry in the
 * trap table. The table is USERTRAP_SIZE bytes of private read+exec guest
 * memory at USERTRAP_ADDR (mapped when the first site is patched, if that
 * range is free); each USERTRAP_ENTRY-byte entry is
 *     .quad code; code: mov $nr, %eax; movabs $site+7, %rcx; jmp *table[0]
 * and the table's first quadword holds the fast entry's address. The
 * entry sets what the syscall instruction would have (rcx the return
 * address; r11, the flags, the fast entry takes itself) and nothing
 * touches the guest's stack, whose red zone may be live.
 *
 * The table's addresses are 0x06xxxx, so the jump's sixth byte, where the
 * syscall instruction began, is 0x06: an invalid instruction. The site is
 * written in three steps (that byte, then the five after the opcode, then
 * the opcode), so a thread that ran the mov before the patch, or code that
 * jumps to the syscall instruction itself (a restarted syscall goes back
 * there), faults on it with SIGILL, and usertrap_fault makes that the
 * syscall it was, with the number in rax. Other threads of the process see
 * the page change only when their stub maps the process's new copy of it,
 * between two of their instructions.
 *
 * Not patched: a traced task's sites (a tracer attaching undoes them all:
 * its breakpoints and single steps meet the original code), those of a
 * task under a seccomp filter (its SIGSYS handler may look at the syscall
 * instruction), sites across a page boundary, a "mov" that may carry a REX
 * prefix, and any but private read+exec pages no other address space
 * shares (shared mappings, writable or JIT code, pages copy-on-write with
 * a live fork). A single-step trap or any stop inside an entry moves the
 * thread back to its site (step_into_entry). A guest that maps, unmaps,
 * protects or advises anything in the table's range gets it: every site
 * is undone and the table unmapped first (usertrap_yield_range), and
 * nothing is patched in that address space again; code moved by mremap
 * has its sites undone first.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "platform/platform.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/mm_internal.h"
#include "sentry/task.h"
#include "sentry/usertrap.h"

#define USERTRAP_ADDR 0x60000ULL
#define USERTRAP_SIZE 0x10000ULL
#define USERTRAP_ENTRY 32
#define USERTRAP_MAX (USERTRAP_SIZE / USERTRAP_ENTRY)
/* Traps from a site before it is patched: a site used once is not worth a page copy. */
#define USERTRAP_HITS 2
#define USERTRAP_SLOTS 1024     /* sites counted per address space (open addressing) */

struct usertrap {
	pthread_mutex_t lock;
	bool mapped;             /* the table is at USERTRAP_ADDR */
	bool disabled;           /* no more patching: the range is the guest's, a tracer came, or
				    the table is full (set atomically: read without the lock) */
	unsigned next;           /* the next free entry (0 is the header) */
	struct { uint64_t site; uint32_t hits; } slot[USERTRAP_SLOTS];
	/*
	 * Each entry's site (0: none) and number, as the sentry wrote them;
	 * dead: the site was undone (still known, for a thread that ran its
	 * half-undone bytes).
	 */
	uint64_t site[USERTRAP_MAX];
	uint32_t nr[USERTRAP_MAX];
	uint8_t dead[USERTRAP_MAX];
};

static struct usertrap *usertrap_new(void)
{
	struct usertrap *u = calloc(1, sizeof(*u));
	if (u) {
		pthread_mutex_init(&u->lock, NULL);
		u->next = 1;
	}
	return u;
}

void usertrap_free(struct mm *mm)
{
	if (!mm->usertrap)
		return;
	pthread_mutex_destroy(&mm->usertrap->lock);
	free(mm->usertrap);
	mm->usertrap = NULL;
}

/* mm's state, made on first use (NULL: out of memory). */
static struct usertrap *usertrap_of(struct mm *mm)
{
	struct usertrap *u = __atomic_load_n(&mm->usertrap, __ATOMIC_ACQUIRE);
	if (u)
		return u;
	u = usertrap_new();
	if (!u)
		return NULL;
	struct usertrap *none = NULL;
	if (!__atomic_compare_exchange_n(&mm->usertrap, &none, u, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return none;
	}
	return u;
}

struct usertrap *usertrap_fork_begin(struct mm *parent)
{
	/* Made here if need be: a first patch must not be half copied either. */
	struct usertrap *p = plat_fast_entry() ? usertrap_of(parent) : NULL;
	if (p)
		pthread_mutex_lock(&p->lock);
	return p;
}

int usertrap_fork_end(struct mm *child, struct usertrap *p)
{
	if (!p)
		return 0;
	struct usertrap *u = usertrap_new();
	if (u) {
		u->mapped = p->mapped;
		u->disabled = p->disabled;
		u->next = p->next;
		memcpy(u->slot, p->slot, sizeof(u->slot));
		memcpy(u->site, p->site, sizeof(u->site));
		memcpy(u->nr, p->nr, sizeof(u->nr));
		memcpy(u->dead, p->dead, sizeof(u->dead));
		child->usertrap = u;
	}
	pthread_mutex_unlock(&p->lock);
	return u ? 0 : -ENOMEM;
}

/* The site's count after this trap (0 when no slot is left to count it in). */
static uint32_t count_hit(struct usertrap *u, uint64_t site)
{
	size_t h = (size_t)((site * 0x9e3779b97f4a7c15ULL) >> 54) % USERTRAP_SLOTS;
	for (size_t i = 0; i < 8; i++) {
		size_t k = (h + i) % USERTRAP_SLOTS;
		if (u->slot[k].site == site)
			return ++u->slot[k].hits;
		if (!u->slot[k].site) {
			u->slot[k].site = site;
			return u->slot[k].hits = 1;
		}
	}
	return 0;
}

static bool force_write(struct mm *mm, uint64_t addr, const void *buf, size_t len)
{
	return mm_access_force(mm, addr, (void *)buf, len, true) == (long)len;
}

/* Map the table with its header; false if the range is taken. */
static bool table_map(struct mm *mm, struct usertrap *u)
{
	uint64_t entry = plat_fast_entry();
	long a = mm_map(mm, USERTRAP_ADDR, USERTRAP_SIZE, PROT_READ | PROT_EXEC, 0, true, true,
			NULL, 0);
	if (a != (long)USERTRAP_ADDR)
		return false;
	if (!force_write(mm, USERTRAP_ADDR, &entry, sizeof(entry))) {
		mm_unmap(mm, USERTRAP_ADDR, USERTRAP_SIZE);
		return false;
	}
	u->mapped = true;
	return true;
}

/* Write entry i for the site ending at ret with number nr; its address, or 0. */
static uint64_t entry_write(struct mm *mm, unsigned i, uint32_t nr, uint64_t ret)
{
	uint64_t e = USERTRAP_ADDR + (uint64_t)i * USERTRAP_ENTRY;
	uint8_t code[USERTRAP_ENTRY];
	memset(code, 0xcc, sizeof(code));              /* int3 past the end */
	uint64_t start = e + 8;
	memcpy(code, &start, 8);
	code[8] = 0xb8;                                 /* mov $nr, %eax */
	memcpy(code + 9, &nr, 4);
	code[13] = 0x48;                                /* movabs $ret, %rcx */
	code[14] = 0xb9;
	memcpy(code + 15, &ret, 8);
	code[23] = 0xff;                                /* jmp *table[0](%rip) */
	code[24] = 0x25;
	int32_t rel = (int32_t)((int64_t)USERTRAP_ADDR - (int64_t)(e + 29));
	memcpy(code + 25, &rel, 4);
	return force_write(mm, e, code, sizeof(code)) ? e : 0;
}

/* The 7-byte jump through entry e. */
static void jump_to(uint64_t e, uint8_t jmp[7])
{
	uint32_t abs = (uint32_t)e;
	jmp[0] = 0xff;                                  /* jmp *abs32 */
	jmp[1] = 0x24;
	jmp[2] = 0x25;
	memcpy(jmp + 3, &abs, 4);
}

/* What eax holds after running a half-written jump through entry e as "mov $imm, %eax". */
static uint32_t torn_of(uint64_t e)
{
	uint8_t jmp[7];
	uint32_t v;
	jump_to(e, jmp);
	memcpy(&v, jmp + 1, 4);
	return v;
}

void usertrap_syscall(struct task *t)
{
	struct mm *mm = t->mm;
	uint64_t ret = t->regs.rip, site = ret - 7;
	if (!plat_fast_entry() || t->pt.tracer || t->seccomp_mode || ret < 7 ||
	    (site & PAGE_MASK) != ((ret - 1) & PAGE_MASK) || t->regs.orig_rax > 0xffffffffULL)
		return;
	struct usertrap *u = usertrap_of(mm);
	/* Once disabled, never enabled again: the trapped path takes no lock then. */
	if (!u || __atomic_load_n(&u->disabled, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&u->lock);
	if (u->disabled || count_hit(u, site) != USERTRAP_HITS)
		goto out;
	uint8_t old[7];
	uint32_t nr = (uint32_t)t->regs.orig_rax;
	uint8_t prefix = 0;
	if (mm_access_force(mm, site, old, sizeof(old), false) != (long)sizeof(old) ||
	    old[0] != 0xb8 || memcmp(old + 1, &nr, 4) || old[5] != 0x0f || old[6] != 0x05)
		goto out;
	if (!mm_patchable(mm, site, 7))
		goto out;
	/* Not "mov $imm, %r8d" (41 b8): a REX byte before, or what may be one, is left alone. */
	if (mm_access_force(mm, site - 1, &prefix, 1, false) != 1 || (prefix & 0xf0) == 0x40)
		goto out;
	if (!u->mapped && !table_map(mm, u)) {
		__atomic_store_n(&u->disabled, true, __ATOMIC_RELAXED);
		goto out;
	}
	if (u->next >= USERTRAP_MAX) {
		__atomic_store_n(&u->disabled, true, __ATOMIC_RELAXED);
		goto out;
	}
	unsigned i = u->next;
	uint64_t e = entry_write(mm, i, nr, ret);
	if (!e)
		goto out;
	u->next++;
	uint8_t jmp[7];
	jump_to(e, jmp);
	_Static_assert(((USERTRAP_ADDR >> 16) & 0xff) == 0x06 &&
		       ((USERTRAP_ADDR + USERTRAP_SIZE - 1) >> 16) == 0x06,
		       "the jump's sixth byte must be 0x06, its seventh 0");
	/* The syscall's first byte, then all but the opcode, then the opcode. */
	bool ok = force_write(mm, site + 5, jmp + 5, 1) && force_write(mm, site + 1, jmp + 1, 6) &&
		  force_write(mm, site, jmp, 1);
	if (ok) {
		u->site[i] = site;
		u->nr[i] = nr;
	} else {
		force_write(mm, site + 1, old + 1, 6);     /* undone (usertrap_fault waits for it) */
	}
	sdebug("pid %d: syscall %u at 0x%lx %s (entry 0x%lx)", t->tid, nr, (unsigned long)site,
	       ok ? "patched" : "not patched", (unsigned long)e);
out:
	pthread_mutex_unlock(&u->lock);
}

/* A syscall entry's registers: the instruction ending at ret, with number nr. */
static void enter_syscall(struct task *t, uint64_t nr, uint64_t ret)
{
	t->regs.orig_rax = nr;
	t->regs.rax = (uint64_t)-ENOSYS;
	t->regs.rip = ret;
	t->regs.rcx = ret;
	t->regs.r11 = t->regs.eflags;
}

/*
 * A thread stopped in an entry's code: a single-step trap (the trap flag:
 * a debugger's step, a program tracing itself) right after a patched
 * site's jump, or any event there. Its state becomes the one after the
 * unpatched site's "mov", at the old syscall instruction (whose 0x06 then
 * makes the syscall through usertrap_fault, or, undone, which is the
 * syscall again): for a trap, the one that instruction would have raised;
 * the table itself may be gone when it resumes.
 */
static bool step_into_entry(struct task *t, struct usertrap *u)
{
	uint64_t at = t->regs.rip;
	if (at < USERTRAP_ADDR + USERTRAP_ENTRY || at >= USERTRAP_ADDR + USERTRAP_SIZE ||
	    (at - USERTRAP_ADDR) % USERTRAP_ENTRY < 8 || (at - USERTRAP_ADDR) % USERTRAP_ENTRY >= 29)
		return false;
	unsigned i = (unsigned)((at - USERTRAP_ADDR) / USERTRAP_ENTRY);
	pthread_mutex_lock(&u->lock);
	bool known = u->mapped && i < u->next && u->site[i];
	uint64_t site = known ? u->site[i] : 0, nr = known ? u->nr[i] : 0;
	pthread_mutex_unlock(&u->lock);
	if (known) {
		t->regs.rax = nr;
		t->regs.rip = site + 5;
	}
	return known;
}

int usertrap_fault(struct task *t, int signo)
{
	struct usertrap *u = __atomic_load_n(&t->mm->usertrap, __ATOMIC_ACQUIRE);
	uint64_t at = t->regs.rip;
	uint8_t code[7];
	if (u && signo == SIGTRAP)
		return step_into_entry(t, u) ? USERTRAP_SIGNAL : 0;
	if (!u || signo != SIGILL || at < 5)
		return 0;
	/* Under the lock: a patch being written (or undone) is whole by then. */
	pthread_mutex_lock(&u->lock);
	bool read = mm_access_force(t->mm, at - 5, code, sizeof(code), false) == (long)sizeof(code);
	uint32_t e;
	memcpy(&e, code + 3, 4);
	bool patched = read && code[0] == 0xff && code[1] == 0x24 && code[2] == 0x25 &&
		       code[5] == 0x06 && !code[6] && e >= USERTRAP_ADDR + USERTRAP_ENTRY &&
		       e < USERTRAP_ADDR + USERTRAP_SIZE && !(e % USERTRAP_ENTRY);
	bool undone = read && code[5] == 0x0f && code[6] == 0x05;
	/* The site's entry: the jump's, or (undone) the one it had. */
	long i = patched ? (long)((e - USERTRAP_ADDR) / USERTRAP_ENTRY) : -1;
	for (unsigned k = 1; undone && i < 0 && k < u->next; k++)
		if (u->site[k] == at - 5)
			i = k;
	uint32_t nr = i >= 0 ? u->nr[i] : 0;
	bool known = i >= 0 && u->site[i] == at - 5;
	pthread_mutex_unlock(&u->lock);
	if (!patched && !undone)
		return 0;
	/*
	 * The syscall instruction that was (or is again) here, with the number
	 * the thread has; a thread that ran a half-written site's "mov" (its
	 * opcode not yet, or no longer, the jump's) got the jump's bytes as the
	 * number: the site's own is the entry's.
	 */
	if (known && t->regs.rax == torn_of(USERTRAP_ADDR + (uint64_t)i * USERTRAP_ENTRY))
		t->regs.rax = nr;
	enter_syscall(t, t->regs.rax, at + 2);
	return USERTRAP_SYSCALL;
}

/*
 * Entry i's site back to "mov $nr, %eax; syscall" (if it still holds the
 * jump): the opcode first, the number, then the syscall instruction, so
 * that a thread running the site meanwhile faults on 0x06 (usertrap_fault
 * waits for the lock) or runs the original. The entry stays known, dead.
 */
static void unpatch_locked(struct mm *mm, struct usertrap *u, unsigned i)
{
	uint8_t code[7], jmp[7], mov = 0xb8, sc[2] = { 0x0f, 0x05 };
	uint64_t site = u->site[i];
	if (!site || u->dead[i])
		return;
	jump_to(USERTRAP_ADDR + (uint64_t)i * USERTRAP_ENTRY, jmp);
	if (mm_access_force(mm, site, code, 7, false) == 7 && !memcmp(code, jmp, 7) &&
	    force_write(mm, site, &mov, 1) && force_write(mm, site + 1, &u->nr[i], 4))
		force_write(mm, site + 5, sc, 2);
	u->dead[i] = 1;
}

void usertrap_leave_entry(struct task *t)
{
	struct usertrap *u = __atomic_load_n(&t->mm->usertrap, __ATOMIC_ACQUIRE);
	if (u && t->regs.rip >= USERTRAP_ADDR && t->regs.rip < USERTRAP_ADDR + USERTRAP_SIZE)
		step_into_entry(t, u);
}

void usertrap_yield_range(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (addr >= USERTRAP_ADDR + USERTRAP_SIZE || addr + len <= USERTRAP_ADDR ||
	    addr + len < addr || !plat_fast_entry())
		return;
	/* Made if need be: no thread may map the table after this (disabled, under the lock). */
	struct usertrap *u = usertrap_of(mm);
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	if (u->mapped) {
		for (unsigned i = 1; i < u->next; i++)
			unpatch_locked(mm, u, i);
		mm_unmap(mm, USERTRAP_ADDR, USERTRAP_SIZE);
		u->mapped = false;
		sdebug("syscall patching: the guest takes 0x%llx: %u sites undone",
		       USERTRAP_ADDR, u->next - 1);
	}
	/* The guest uses the range now. */
	__atomic_store_n(&u->disabled, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->lock);
}

void usertrap_forget(struct mm *mm)
{
	struct usertrap *u = __atomic_load_n(&mm->usertrap, __ATOMIC_ACQUIRE);
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	for (unsigned i = 1; i < u->next; i++)
		unpatch_locked(mm, u, i);
	__atomic_store_n(&u->disabled, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->lock);
}

void usertrap_unpatch_range(struct mm *mm, uint64_t addr, uint64_t len)
{
	struct usertrap *u = __atomic_load_n(&mm->usertrap, __ATOMIC_ACQUIRE);
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	for (unsigned i = 1; i < u->next; i++)
		if (u->site[i] >= addr && u->site[i] - addr < len)
			unpatch_locked(mm, u, i);
	pthread_mutex_unlock(&u->lock);
}
