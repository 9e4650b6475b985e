/*
 * MemoryFile: a sparse memfd holding all guest memory, mapped once into the
 * sentry. Offset space is handed out first-fit from a sorted free list
 * (coalesced on free); freed ranges are punched out so their pages return
 * to the host at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sentry/memfile.h"

/*
 * Offset space, not memory: pages cost nothing until touched. 1 TiB, or
 * less when the host caps the sentry's address space (RLIMIT_AS): the
 * largest power of two that maps, down to MF_MIN_SIZE.
 */
#define MF_MAX_SIZE (1ULL << 40)
#define MF_MIN_SIZE (1ULL << 30)
static uint64_t MF_SIZE = MF_MAX_SIZE;

struct mf_range {
	uint64_t off, len;
	struct mf_range *next;
};

static struct {
	int fd;
	uint8_t *base;
	pthread_mutex_t lock;          /* free list and reserved; a leaf lock */
	struct mf_range *free_list;    /* sorted by offset, coalesced */
	uint64_t reserved;
	bool shutting_down;            /* the sandbox is exiting: freeing is pointless */
} mf = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

int mf_init(void)
{
	if (mf.fd >= 0)
		return 0;
	int fd = memfd_create("sandbox-memory", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	void *p = MAP_FAILED;
	for (MF_SIZE = MF_MAX_SIZE; MF_SIZE >= MF_MIN_SIZE; MF_SIZE /= 2) {
		if (ftruncate(fd, MF_SIZE) < 0)
			break;
		p = mmap(NULL, MF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (p != MAP_FAILED || errno != ENOMEM)
			break;
	}
	if (p == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct mf_range *r = malloc(sizeof(*r));
	if (!r) {
		munmap(p, MF_SIZE);
		close(fd);
		return -ENOMEM;
	}
	r->off = 0;
	r->len = MF_SIZE;
	r->next = NULL;
	mf.free_list = r;
	mf.base = p;
	mf.fd = fd;
	return 0;
}

int mf_fd(void)
{
	return mf.fd;
}

int mf_write(uint64_t off, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = pwrite(mf.fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

int mf_read(uint64_t off, void *buf, size_t len)
{
	while (len) {
		ssize_t n = pread(mf.fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

void *mf_ptr(uint64_t off)
{
	return mf.base + off;
}

uint64_t mf_reserved(void)
{
	pthread_mutex_lock(&mf.lock);
	uint64_t r = mf.reserved;
	pthread_mutex_unlock(&mf.lock);
	return r;
}

uint64_t mf_resident(uint64_t off, uint64_t len)
{
	uint64_t end = off + len, total = 0;
	if (mf.fd < 0 || end < off)
		return 0;
	while (off < end) {
		off_t data = lseek(mf.fd, (off_t)off, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= end)
			break;
		off_t hole = lseek(mf.fd, data, SEEK_HOLE);
		uint64_t stop = hole < 0 || (uint64_t)hole > end ? end : (uint64_t)hole;
		total += stop - (uint64_t)data;
		off = stop;
	}
	return total;
}

uint64_t mf_used(void)
{
	struct stat st;
	if (mf.fd < 0 || fstat(mf.fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

int mf_alloc(uint64_t len, uint64_t *off)
{
	len = PAGE_ALIGN_UP(len);
	if (len == 0 || len > MF_SIZE)
		return -ENOMEM;
	pthread_mutex_lock(&mf.lock);
	struct mf_range **pp = &mf.free_list;
	for (; *pp; pp = &(*pp)->next) {
		struct mf_range *r = *pp;
		if (r->len < len)
			continue;
		*off = r->off;
		r->off += len;
		r->len -= len;
		if (r->len == 0) {
			*pp = r->next;
			free(r);
		}
		mf.reserved += len;
		pthread_mutex_unlock(&mf.lock);
		return 0;
	}
	pthread_mutex_unlock(&mf.lock);
	return -ENOMEM;
}

void mf_zero(uint64_t off, uint64_t len)
{
	if (len)
		fallocate(mf.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
}

void mf_free(uint64_t off, uint64_t len)
{
	len = PAGE_ALIGN_UP(len);
	if (!len || __atomic_load_n(&mf.shutting_down, __ATOMIC_RELAXED))
		return;
	mf_zero(off, len);
	pthread_mutex_lock(&mf.lock);
	mf.reserved -= len;
	struct mf_range **pp = &mf.free_list;
	while (*pp && (*pp)->off < off)
		pp = &(*pp)->next;
	/* Merge with the successor, then with the predecessor if adjacent. */
	struct mf_range *next = *pp;
	struct mf_range *prev = (pp == &mf.free_list) ? NULL
		: (struct mf_range *)((char *)pp - offsetof(struct mf_range, next));
	if (prev && prev->off + prev->len == off) {
		prev->len += len;
		if (next && prev->off + prev->len == next->off) {
			prev->len += next->len;
			prev->next = next->next;
			free(next);
		}
	} else if (next && off + len == next->off) {
		next->off = off;
		next->len += len;
	} else {
		struct mf_range *r = malloc(sizeof(*r));
		if (r) {    /* on -ENOMEM the range is leaked, never reused twice */
			r->off = off;
			r->len = len;
			r->next = next;
			*pp = r;
		}
	}
	pthread_mutex_unlock(&mf.lock);
}

void mf_copy(uint64_t dst, uint64_t src, uint64_t len)
{
	/* Copy only populated extents: holes stay holes (and cost nothing). */
	uint64_t end = src + len;
	uint64_t pos = src;
	while (pos < end) {
		off_t data = lseek(mf.fd, pos, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= end)
			break;
		off_t hole = lseek(mf.fd, data, SEEK_HOLE);
		uint64_t stop = (hole < 0 || (uint64_t)hole > end) ? end : (uint64_t)hole;
		memcpy(mf.base + dst + (data - src), mf.base + data, stop - data);
		pos = stop;
	}
}

void mf_shutdown(void)
{
	__atomic_store_n(&mf.shutting_down, true, __ATOMIC_RELAXED);
}
