/* Page faults at the same guest address, again and again, each one a new
 * first touch: a MAP_SHARED file mapping made, touched and unmapped in a
 * loop lands at the same address every time (Python's
 * multiprocessing.shared_memory does this). Each fault is resolved and the
 * store lands; none is taken for a fault that never goes away (the sandbox
 * gives up on a fault that repeats with no syscall in between).
 */
#include "conformance.h"
#include <sys/mman.h>

#define PG 4096
#define ROUNDS 1100

/* Map a new file under dir ROUNDS times, store through the mapping, read it
 * back with pread, unmap; 1 if every round worked and reused one address. */
static int remap_loop(const char *dir, const char *name)
{
	void *first = NULL;
	int same = 1;
	for (int i = 0; i < ROUNDS; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/fault_repeat.%d.%d", dir, (int)getpid(), i);
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			conf_fail(name, "open %s (got -1/errno %s)", path, conf_errname(errno));
			return 0;
		}
		/* Not a whole page, as shared_memory's sizes are: the tail is in the file too. */
		if (ftruncate(fd, 266) != 0) {
			conf_fail(name, "ftruncate (errno %s)", conf_errname(errno));
			unlink(path);
			return 0;
		}
		volatile char *p = mmap(NULL, 266, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			conf_fail(name, "mmap (errno %s)", conf_errname(errno));
			unlink(path);
			return 0;
		}
		if (i == 0)
			first = (void *)p;
		same &= (void *)p == first;
		p[0] = (char)('a' + i % 26);
		p[265] = (char)('A' + i % 26);
		char b[2] = { 0, 0 };
		if (pread(fd, b, 1, 0) != 1 || pread(fd, b + 1, 1, 265) != 1 ||
		    b[0] != 'a' + i % 26 || b[1] != 'A' + i % 26) {
			conf_fail(name, "round %d: pread saw %02x %02x", i, b[0], b[1]);
			unlink(path);
			return 0;
		}
		munmap((void *)p, 266);
		close(fd);
		unlink(path);
	}
	if (!same)
		printf("# %s: the mappings did not reuse one address\n", name);
	return 1;
}

int main(void)
{
	conf_result(remap_loop(conf_tmpdir(), "remap_shared_tmp"), "remap_shared_tmp",
		    "a new shared file mapping at the same address, touched, 1100 times");

	/* /dev/shm: where shm_open and Python's shared_memory put their files. */
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		conf_result(remap_loop("/dev/shm", "remap_shared_devshm"), "remap_shared_devshm",
			    "the same in /dev/shm");
	else
		printf("ok %s:remap_shared_devshm # skip: no writable /dev/shm\n", CONF_FILE);

	/* Anonymous shared memory, mapped and unmapped at one address. */
	int ok = 1;
	for (int i = 0; i < ROUNDS && ok; i++) {
		volatile char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ok = p != MAP_FAILED;
		if (ok) {
			p[1] = 'x';
			ok = p[1] == 'x' && p[0] == 0;
			munmap((void *)p, PG);
		}
	}
	conf_result(ok, "remap_shared_anon", "MAP_SHARED|MAP_ANONYMOUS, 1100 times");

	return conf_exit();
}
