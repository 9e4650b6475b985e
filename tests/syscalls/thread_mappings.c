/* A new thread sees the address space as it is when it starts: mappings
 * made just before the clone, and while it is being made by other threads
 * (a mapper thread maps, fills and publishes pages while threads are
 * created), protections, unmaps, and the memory of threads made by
 * threads. (In the sandbox a new thread's host process is a fork of its
 * creator's: these are the mappings that fork must not miss.) */
#include <pthread.h>
#include <sys/mman.h>
#include "conformance.h"

#define PAGE 4096
#define ROUNDS 200
#define SLOTS 8

/* ---- a mapping made right before the clone ---- */

static void *read_word(void *arg)
{
	return (void *)(uintptr_t)*(volatile uint64_t *)arg;
}

static void *probe_unmapped(void *arg)
{
	/* mincore on an unmapped page: ENOMEM, without touching it. */
	unsigned char v;
	return (void *)(intptr_t)(mincore(arg, PAGE, &v) == 0 ? 0 : errno);
}

static void *probe_prot(void *arg)
{
	/* The page is there (mapped, whatever its protection). */
	unsigned char v;
	return (void *)(intptr_t)mincore(arg, PAGE, &v);
}

static void case_before_clone(void)
{
	int bad = 0;
	for (int i = 0; i < 50; i++) {
		uint64_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		if (p == MAP_FAILED) {
			bad++;
			break;
		}
		*p = 0x5eed0000u + (uint64_t)i;
		pthread_t th;
		void *got = NULL;
		if (pthread_create(&th, NULL, read_word, p) || pthread_join(th, &got) ||
		    (uintptr_t)got != 0x5eed0000u + (uint64_t)i)
			bad++;
		munmap(p, PAGE);
	}
	CHECK_EQ(bad, 0, "mapped_before_clone_readable");

	/* An unmap just before the clone: the new thread finds nothing there. */
	void *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*(volatile char *)q = 1;
	munmap(q, PAGE);
	pthread_t th;
	void *got = NULL;
	pthread_create(&th, NULL, probe_unmapped, q);
	pthread_join(th, &got);
	CHECK_EQ((intptr_t)got, ENOMEM, "unmapped_before_clone_gone");

	/* A protection change just before the clone. */
	char *r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[0] = 7;
	mprotect(r, PAGE, PROT_READ);
	pthread_create(&th, NULL, read_word, r);
	pthread_join(th, &got);
	CHECK_EQ((uintptr_t)got & 0xff, 7, "protected_before_clone_readable");
	pthread_create(&th, NULL, probe_prot, r);
	pthread_join(th, &got);
	CHECK_EQ((intptr_t)got, 0, "protected_before_clone_mapped");
	munmap(r, PAGE);
}

/* ---- mappings made by another thread while threads are made ---- */

static uint64_t *volatile slots[SLOTS];   /* published pages, each holding its own address */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

static void *mapper(void *arg)
{
	unsigned n = 0;
	while (!stop) {
		uint64_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		if (p == MAP_FAILED)
			break;
		*p = (uint64_t)(uintptr_t)p;
		pthread_mutex_lock(&slot_lock);
		uint64_t *old = slots[n % SLOTS];
		slots[n % SLOTS] = p;
		if (old)
			munmap(old, PAGE);        /* under the lock: no reader holds it */
		pthread_mutex_unlock(&slot_lock);
		n++;
	}
	return arg;
}

static void *check_slots(void *arg)
{
	intptr_t bad = 0;
	pthread_mutex_lock(&slot_lock);
	for (int i = 0; i < SLOTS; i++) {
		uint64_t *p = slots[i];
		if (p && *p != (uint64_t)(uintptr_t)p)
			bad++;
	}
	pthread_mutex_unlock(&slot_lock);
	return (void *)bad;
}

/* A thread that makes a thread that checks. */
static void *nested(void *arg)
{
	pthread_t th;
	void *got = (void *)1;
	if (pthread_create(&th, NULL, check_slots, NULL) == 0)
		pthread_join(th, &got);
	return got;
}

static void case_while_mapping(void)
{
	pthread_t m;
	pthread_create(&m, NULL, mapper, NULL);
	int bad = 0, nbad = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_t th;
		void *got = (void *)1;
		if (pthread_create(&th, NULL, i % 4 == 3 ? nested : check_slots, NULL) == 0)
			pthread_join(th, &got);
		if (got) {
			if (i % 4 == 3)
				nbad++;
			else
				bad++;
		}
	}
	stop = 1;
	pthread_join(m, NULL);
	CHECK_EQ(bad, 0, "mapped_meanwhile_readable");
	CHECK_EQ(nbad, 0, "mapped_meanwhile_readable_by_grandchild");
	for (int i = 0; i < SLOTS; i++)
		if (slots[i])
			munmap(slots[i], PAGE);
}

/* ---- many threads alive at once, each with its own stack ---- */

static void *own_stack(void *arg)
{
	volatile uint64_t local[64];
	for (int i = 0; i < 64; i++)
		local[i] = (uint64_t)(uintptr_t)arg * 64 + (uint64_t)i;
	uint64_t sum = 0;
	for (int i = 0; i < 64; i++)
		sum += local[i];
	return (void *)(uintptr_t)sum;
}

static void case_many(void)
{
	enum { N = 32 };
	pthread_t th[N];
	int made = 0, bad = 0;
	for (int i = 0; i < N; i++)
		if (pthread_create(&th[made], NULL, own_stack, (void *)(uintptr_t)i) == 0)
			made++;
	for (int i = 0; i < made; i++) {
		void *got;
		pthread_join(th[i], &got);
		uint64_t want = 0;
		for (int k = 0; k < 64; k++)
			want += (uint64_t)i * 64 + (uint64_t)k;
		if ((uintptr_t)got != want)
			bad++;
	}
	CHECK_EQ(made, N, "many_threads_made");
	CHECK_EQ(bad, 0, "many_threads_own_stacks");
}

int main(void)
{
	case_before_clone();
	case_while_mapping();
	case_many();
	return conf_exit();
}
