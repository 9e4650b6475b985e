/*
 * /proc/PID/mem: a forked child's memory read and written at its own
 * addresses (pread/pwrite, read/write at the file position, task/TID/mem),
 * writes through protections as a debugger's (read-only text and private
 * file mappings get a private copy; a read-only shared file mapping
 * refuses: EIO), a read or write stopping at the first unmapped page
 * (the bytes before it, EIO if none), positions past 2^63 (lseek takes
 * them, pread refuses them, read there is EIO or EOVERFLOW), mmap ENODEV,
 * /proc/self/mem (even when not dumpable), the PTRACE_MODE_ATTACH check
 * at open (another uid, a non-dumpable target; a file opened before keeps
 * working), and the address space the file holds: after its process exits
 * or execs, reads give 0 bytes.
 */
#include "conformance.h"
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

static long pg;
static char tbuf[8192];         /* the same address in the child */
static char *region;            /* 3 pages, the middle one unmapped */
static char *shared_ro;         /* MAP_SHARED PROT_READ of a file open read-write */
static char *private_ro;        /* MAP_PRIVATE PROT_READ of the same file */
static char *shared_anon;       /* MAP_SHARED anonymous, read-write */
static char *pnone;             /* a page written, then PROT_NONE */
static char *reserved;          /* PROT_NONE never touched: 16 pages of nothing */
static int to_child[2], from_child[2];
static char self_path[PATH_MAX];

static const char rodata[] = "read-only data";

/* Text the parent rewrites in the child: returns 1 until then. */
static __attribute__((noinline)) int magic(void)
{
	__asm__ volatile("");
	return 1;
}
static int (*volatile magic_fn)(void) = magic;

/* mov $42, %eax; ret */
static const unsigned char ret42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

/* lseek's raw result (libc would take positions near 2^64 for errors). */
static long raw_lseek(int fd, long off, int whence)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_lseek), "D"((long)fd), "S"(off), "d"((long)whence)
			 : "rcx", "r11", "memory");
	return ret;
}

static int open_mem(pid_t pid, int flags)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	return open(path, flags | O_CLOEXEC);
}

/* Ask the child something; its one-byte answer. */
static char ask(char c)
{
	char r = 0;
	if (write(to_child[1], &c, 1) != 1 || read(from_child[0], &r, 1) != 1)
		return 0;
	return r;
}

/* After an exec of this program: report where tbuf is now, then wait. */
static int exec_target(int in, int out)
{
	strcpy(tbuf, "after exec");
	uintptr_t a = (uintptr_t)tbuf;
	char c;
	if (write(out, &a, sizeof a) != sizeof a || read(in, &c, 1) < 0)
		return 1;
	return 0;
}

/* The target: fills its memory, then answers commands until 'q'. */
static void target(void)
{
	strcpy(tbuf, "child data: 0123456789abcdefghijklmnopqrstuvwxyz");
	memset(region, 'A', pg);
	memset(region + 2 * pg, 'C', pg);
	if (write(from_child[1], "r", 1) != 1)
		_exit(1);
	for (;;) {
		char c, r = 'y';
		if (read(to_child[0], &c, 1) != 1 || c == 'q')
			_exit(0);
		if (c == 'w')           /* did the parent's write arrive? */
			r = strcmp(tbuf + 4096, "written by the parent") == 0 ? 'y' : 'n';
		else if (c == 'x')      /* run the rewritten text */
			r = (char)magic_fn();
		else if (c == 'p')      /* the private file mapping's copy */
			r = memcmp(private_ro, "PRIVATE", 7) == 0 ? 'y' : 'n';
		else if (c == 'e') {    /* exec this program, keeping the pipes */
			char in[16], out[16];
			snprintf(in, sizeof in, "%d", to_child[0]);
			snprintf(out, sizeof out, "%d", from_child[1]);
			execl(self_path, self_path, "exec-target", in, out, (char *)NULL);
			_exit(3);
		}
		if (write(from_child[1], &r, 1) != 1)
			_exit(1);
	}
}

static pid_t start_target(void)
{
	if (pipe(to_child) || pipe(from_child))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		target();
	}
	close(to_child[0]);
	close(from_child[1]);
	char c;
	if (pid > 0 && read(from_child[0], &c, 1) != 1)
		return -1;
	return pid;
}

static void stop_target(pid_t pid)
{
	ask('q');
	reap(pid);
	close(to_child[1]);
	close(from_child[0]);
}

static void reads_writes(pid_t pid)
{
	int fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "open_rdwr");
	char a[64] = "";
	CHECK_EQ(pread(fd, a, 11, (off_t)(uintptr_t)tbuf), 11, "pread");
	CHECK(memcmp(a, "child data:", 11) == 0, "pread_contents");

	/* The position is the address: read moves it. */
	CHECK_EQ(lseek(fd, (off_t)(uintptr_t)tbuf + 12, SEEK_SET), (off_t)(uintptr_t)tbuf + 12,
		 "lseek_to_address");
	memset(a, 0, sizeof a);
	CHECK_EQ(read(fd, a, 10), 10, "read_at_position");
	CHECK(memcmp(a, "0123456789", 10) == 0, "read_at_position_contents");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)(uintptr_t)tbuf + 22, "read_moves_position");
	struct iovec v[2] = { { a, 3 }, { a + 3, 4 } };
	CHECK_EQ(readv(fd, v, 2), 7, "readv");
	CHECK(memcmp(a, "abcdefg", 7) == 0, "readv_contents");

	const char *msg = "written by the parent";
	CHECK_EQ(pwrite(fd, msg, strlen(msg) + 1, (off_t)(uintptr_t)(tbuf + 4096)),
		 (long)strlen(msg) + 1, "pwrite");
	CHECK(ask('w') == 'y', "pwrite_seen_by_child");
	CHECK_EQ(lseek(fd, (off_t)(uintptr_t)(tbuf + 4096), SEEK_SET), (off_t)(uintptr_t)(tbuf + 4096),
		 "lseek_for_write");
	CHECK_EQ(write(fd, "W", 1), 1, "write_at_position");
	CHECK(ask('w') == 'n', "write_seen_by_child");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)(uintptr_t)(tbuf + 4097), "write_moves_position");

	/* Through task/TID/mem as well. */
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/mem", (int)pid, (int)pid);
	int tfd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK_OK(tfd, "task_mem_open");
	memset(a, 0, sizeof a);
	CHECK_EQ(pread(tfd, a, 5, (off_t)(uintptr_t)tbuf), 5, "task_mem_pread");
	CHECK(memcmp(a, "child", 5) == 0, "task_mem_contents");
	CHECK_ERR(write(tfd, "x", 1), EBADF, "rdonly_write_ebadf");
	close(tfd);

	/* Zero bytes anywhere: 0, even at an unmapped address. */
	CHECK_EQ(pread(fd, a, 0, (off_t)(uintptr_t)(region + pg)), 0, "zero_length_at_hole");
	CHECK_ERR(pread(fd, BAD_PTR, 8, (off_t)(uintptr_t)tbuf), EFAULT, "bad_buffer_efault");
	CHECK_ERR(pwrite(fd, BAD_PTR, 8, (off_t)(uintptr_t)(tbuf + 4096)), EFAULT,
		  "bad_source_efault");
	close(fd);
}

static void protections(pid_t pid)
{
	int fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "prot_open");
	unsigned char code[8] = { 0 };
	off_t text = (off_t)(uintptr_t)magic;
	CHECK_EQ(pwrite(fd, ret42, sizeof ret42, text), (long)sizeof ret42, "write_text");
	CHECK_EQ(pread(fd, code, sizeof ret42, text), (long)sizeof ret42, "read_text_back");
	CHECK(memcmp(code, ret42, sizeof ret42) == 0, "text_rewritten");
	CHECK_EQ(ask('x'), 42, "child_runs_new_text");
	CHECK_EQ(magic_fn(), 1, "parent_text_unchanged");

	/* rodata, and a read-only private file mapping: private copies too. */
	CHECK_EQ(pwrite(fd, "READ", 4, (off_t)(uintptr_t)rodata), 4, "write_rodata");
	char a[32] = "";
	CHECK_EQ(pread(fd, a, 14, (off_t)(uintptr_t)rodata), 14, "read_rodata");
	CHECK(memcmp(a, "READ-only data", 14) == 0, "rodata_rewritten");
	CHECK(memcmp((const char *)(uintptr_t)rodata, "read-only", 9) == 0, "parent_rodata_unchanged");
	CHECK_EQ(pwrite(fd, "PRIVATE", 7, (off_t)(uintptr_t)private_ro), 7, "write_private_ro");
	CHECK(ask('p') == 'y', "private_ro_seen_by_child");
	CHECK(memcmp(private_ro, "file con", 8) == 0, "private_ro_file_unchanged");

	/* A shared mapping that is not writable: no copy can be made. */
	memset(a, 0, sizeof a);
	CHECK_EQ(pread(fd, a, 8, (off_t)(uintptr_t)shared_ro), 8, "read_shared_ro");
	CHECK(memcmp(a, "file con", 8) == 0, "read_shared_ro_contents");
	CHECK_ERR(pwrite(fd, "X", 1, (off_t)(uintptr_t)shared_ro), EIO, "write_shared_ro_eio");
	/* A writable shared one: the parent shares it. */
	CHECK_EQ(pwrite(fd, "shared!", 8, (off_t)(uintptr_t)shared_anon), 8, "write_shared_anon");
	CHECK(strcmp(shared_anon, "shared!") == 0, "shared_anon_seen_by_parent");

	/* PROT_NONE: read and written as a debugger would. */
	memset(a, 0, sizeof a);
	CHECK_EQ(pread(fd, a, 4, (off_t)(uintptr_t)pnone), 4, "read_prot_none");
	CHECK(memcmp(a, "NNNN", 4) == 0, "read_prot_none_contents");
	CHECK_EQ(pwrite(fd, "nn", 2, (off_t)(uintptr_t)pnone), 2, "write_prot_none");
	CHECK_EQ(pread(fd, a, 4, (off_t)(uintptr_t)pnone), 4, "read_prot_none_again");
	CHECK(memcmp(a, "nnNN", 4) == 0, "write_prot_none_contents");
	/* Never touched: zeros, and a write gives the page memory. */
	memset(a, 1, sizeof a);
	off_t r = (off_t)(uintptr_t)(reserved + 5 * pg);
	CHECK_EQ(pread(fd, a, 8, r - 4), 8, "read_reserved");
	CHECK(memcmp(a, "\0\0\0\0\0\0\0\0", 8) == 0, "read_reserved_zeros");
	CHECK_EQ(pwrite(fd, "rsrv", 4, r - 2), 4, "write_reserved_across_pages");
	CHECK_EQ(pread(fd, a, 8, r - 4), 8, "read_reserved_again");
	CHECK(memcmp(a, "\0\0rsrv\0\0", 8) == 0, "write_reserved_contents");
	CHECK_EQ(pread(fd, a, 8, r + 8 * pg), 8, "read_reserved_beyond");
	CHECK(memcmp(a, "\0\0\0\0\0\0\0\0", 8) == 0, "read_reserved_beyond_zeros");
	close(fd);
}

static void holes(pid_t pid)
{
	int fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "hole_open");
	char a[64];
	off_t hole = (off_t)(uintptr_t)(region + pg);
	CHECK_ERR(pread(fd, a, 8, hole), EIO, "read_hole_eio");
	CHECK_ERR(pwrite(fd, "x", 1, hole), EIO, "write_hole_eio");
	CHECK_ERR(pread(fd, a, 8, 0), EIO, "read_null_eio");
	/* Running into the hole: the bytes before it. */
	CHECK_EQ(pread(fd, a, 32, hole - 16), 16, "read_into_hole_partial");
	CHECK(memcmp(a, "AAAAAAAAAAAAAAAA", 16) == 0, "read_into_hole_contents");
	CHECK_EQ(pwrite(fd, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", 32, hole - 16), 16,
		 "write_into_hole_partial");
	CHECK_EQ(lseek(fd, hole - 8, SEEK_SET), hole - 8, "hole_lseek");
	CHECK_EQ(read(fd, a, 32), 8, "read_position_into_hole");
	CHECK(memcmp(a, "BBBBBBBB", 8) == 0, "read_position_into_hole_contents");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), hole, "read_position_stops_at_hole");
	CHECK_ERR(read(fd, a, 8), EIO, "read_position_at_hole_eio");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), hole, "eio_keeps_position");
	/* A page past the hole reads again. */
	CHECK_EQ(pread(fd, a, 4, hole + pg), 4, "read_after_hole");
	CHECK(memcmp(a, "CCCC", 4) == 0, "read_after_hole_contents");
	close(fd);
}

static void positions(pid_t pid)
{
	int fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "pos_open");
	char a[32];
	const long high = (long)0x8000000000000000UL;
	/* lseek takes any 64-bit position (FMODE_UNSIGNED_OFFSET). */
	CHECK_EQ(raw_lseek(fd, high, SEEK_SET), high, "lseek_2_63");
	CHECK_EQ(raw_lseek(fd, 0x10, SEEK_CUR), high + 0x10, "lseek_cur_above_2_63");
	CHECK_EQ(raw_lseek(fd, -4096, SEEK_SET), -4096, "lseek_top_page");
	CHECK_EQ(raw_lseek(fd, 4096 + 16, SEEK_CUR), 16, "lseek_cur_wraps");
	CHECK_EQ(raw_lseek(fd, -1, SEEK_SET), -1, "lseek_all_ones");
	/* A position that reads like a restart code is a position. */
	CHECK_EQ(raw_lseek(fd, -512, SEEK_SET), -512, "lseek_erestartsys_value");
	CHECK_EQ(raw_lseek(fd, 0, SEEK_CUR), -512, "lseek_erestartsys_kept");
	CHECK_ERR(lseek(fd, 0, SEEK_END), EINVAL, "lseek_end_einval");
	CHECK_ERR(lseek(fd, 0, SEEK_DATA), EINVAL, "lseek_data_einval");
	CHECK_ERR(lseek(fd, 0, SEEK_HOLE), EINVAL, "lseek_hole_einval");
	CHECK_ERR(lseek(fd, 0, 7), EINVAL, "lseek_bad_whence");
	CHECK_EQ(raw_lseek(fd, 0, SEEK_CUR), -512, "lseek_error_keeps_position");

	/* Reads up there: nothing is mapped (EIO) unless the count reaches 2^64 (EOVERFLOW). */
	CHECK_EQ(raw_lseek(fd, high, SEEK_SET), high, "lseek_2_63_again");
	CHECK_ERR(read(fd, a, 16), EIO, "read_2_63_eio");
	CHECK_ERR(write(fd, "x", 1), EIO, "write_2_63_eio");
	CHECK_EQ(raw_lseek(fd, -16, SEEK_SET), -16, "lseek_last_bytes");
	CHECK_ERR(read(fd, a, 16), EOVERFLOW, "read_to_2_64_eoverflow");
	CHECK_ERR(read(fd, a, 8), EIO, "read_below_2_64_eio");
	CHECK_ERR(write(fd, a, 16), EOVERFLOW, "write_to_2_64_eoverflow");
	/* pread/pwrite refuse negative offsets whatever the file. */
	CHECK_ERR(pread(fd, a, 8, (off_t)high), EINVAL, "pread_2_63_einval");
	CHECK_ERR(pwrite(fd, "x", 1, (off_t)high), EINVAL, "pwrite_2_63_einval");
	struct iovec v = { a, 8 };
	CHECK_ERR(preadv(fd, &v, 1, (off_t)high), EINVAL, "preadv_2_63_einval");
	/* ...but may run past 2^63 from below it (unsigned offsets). */
	CHECK_ERR(pread(fd, a, 16, (off_t)0x7ffffffffffffff8L), EIO, "pread_across_2_63_eio");
	CHECK_ERR(pread(fd, a, 16, (off_t)0x800000000000L), EIO, "pread_above_user_eio");
	close(fd);
}

static void misc(pid_t pid)
{
	int fd = open_mem(pid, O_RDONLY);
	CHECK_OK(fd, "misc_open");
	struct stat st;
	CHECK_OK(fstat(fd, &st), "fstat");
	CHECK_EQ(st.st_mode, S_IFREG | 0600, "fstat_mode");
	CHECK_EQ(st.st_size, 0, "fstat_size");
	CHECK(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == ENODEV,
	      "mmap_private_enodev");
	CHECK(mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENODEV,
	      "mmap_shared_enodev");
	close(fd);
	CHECK_ERR(open_mem(pid, O_RDONLY | O_DIRECTORY), ENOTDIR, "open_directory_enotdir");
	CHECK_ERR(open_mem(999999, O_RDONLY), ENOENT, "open_no_process_enoent");
}

/* /proc/self/mem of a forked child: its own memory, dumpable or not. */
static void self_cases(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		static char local[32] = "my own bytes";
		int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		CHECK_OK(fd, "self_open");
		char a[32] = "";
		CHECK_EQ(pread(fd, a, 12, (off_t)(uintptr_t)local), 12, "self_pread");
		CHECK(memcmp(a, "my own bytes", 12) == 0, "self_pread_contents");
		CHECK_EQ(pwrite(fd, "MY", 2, (off_t)(uintptr_t)local), 2, "self_pwrite");
		CHECK(memcmp(local, "MY own", 6) == 0, "self_pwrite_seen");
		/* Its own read-only data, as a debugger writes it. */
		CHECK_EQ(pwrite(fd, "R", 1, (off_t)(uintptr_t)rodata), 1, "self_write_rodata");
		CHECK(*(volatile const char *)rodata == 'R', "self_write_rodata_seen");
		/* The buffer may be the very memory read. */
		CHECK_EQ(pread(fd, local + 3, 6, (off_t)(uintptr_t)local), 6, "self_overlapping_read");
		CHECK(memcmp(local, "MY MY own", 9) == 0, "self_overlapping_contents");
		/* The vDSO reads; its [vvar] data does not (Linux: VM_PFNMAP, EIO). */
		uintptr_t vdso = 0, vvar = 0, vvar_end = 0;
		FILE *maps = fopen("/proc/self/maps", "r");
		char line[512];
		while (maps && fgets(line, sizeof line, maps)) {
			if (strstr(line, "[vdso]"))
				sscanf(line, "%lx", &vdso);
			else if (strstr(line, "[vvar]") && !vvar)
				sscanf(line, "%lx-%lx", &vvar, &vvar_end);
		}
		if (maps)
			fclose(maps);
		/* A syscall reading the guest's own [vvar] pages: the bytes or EFAULT, page by page. */
		int p[2];
		bool copied = pipe(p) == 0;
		for (uintptr_t pa = vvar; copied && pa < vvar_end; pa += pg) {
			char c;
			long w = write(p[1], (const void *)pa, 1);
			copied = (w == 1 && read(p[0], &c, 1) == 1) || (w == -1 && errno == EFAULT);
		}
		CHECK(copied, "self_vvar_copy_bytes_or_efault");
		close(p[0]);
		close(p[1]);
		if (vdso) {
			CHECK_EQ(pread(fd, a, 4, (off_t)vdso), 4, "self_read_vdso");
			CHECK(memcmp(a, "\177ELF", 4) == 0, "self_read_vdso_elf");
		}
		if (vvar)
			CHECK_ERR(pread(fd, a, 4, (off_t)vvar), EIO, "self_read_vvar_eio");
		close(fd);
		CHECK_OK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "self_nondumpable");
		fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
		CHECK_OK(fd, "self_open_nondumpable");
		CHECK_EQ(pread(fd, a, 2, (off_t)(uintptr_t)local), 2, "self_read_nondumpable");
		close(fd);
		char path[64];
		snprintf(path, sizeof path, "/proc/self/task/%d/mem", (int)getpid());
		fd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK_OK(fd, "self_task_open_nondumpable");
		close(fd);
		CHILD_DONE();
	}
	check_child_ok(pid, "self_child");
}

/*
 * A process that switches to uid/gid 1234, sets its dumpability, and then
 * answers: 'd' makes it not dumpable, 'q' ends it.
 */
static pid_t id_target(int dumpable, int *in, int *out)
{
	int p1[2], p2[2];
	if (pipe(p1) || pipe(p2))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p1[0]);
		close(p2[1]);
		strcpy(tbuf, "secret");
		char c = setgid(1234) == 0 && setuid(1234) == 0 ? 'y' : 'n';
		if (prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) != 0)
			c = 'n';
		for (;;) {
			if (write(p1[1], &c, 1) != 1 || read(p2[0], &c, 1) != 1 || c == 'q')
				_exit(0);
			c = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 'y' : 'n';
		}
	}
	close(p1[1]);
	close(p2[0]);
	*in = p1[0];
	*out = p2[1];
	return pid;
}

/* In a child with ids uid/gid: open target's mem and read "secret"; 0 or the errno. */
static int read_as(pid_t target_pid, uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(100);
		int fd = open_mem(target_pid, O_RDONLY);
		if (fd < 0)
			_exit(errno);
		char a[8];
		_exit(pread(fd, a, 6, (off_t)(uintptr_t)tbuf) == 6 && !memcmp(a, "secret", 6) ? 0 : 101);
	}
	int st = reap(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 102;
}

/*
 * A debugger's writes to a private read-only page keep working after a
 * fork whose child has exited (the page stops being copy-on-write after
 * the first one): every write lands, as on Linux.
 */
static void writes_after_fork(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *ro = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ro == MAP_FAILED)
			_exit(2);
		memset(ro, 'a', pg);
		if (mprotect(ro, pg, PROT_READ))
			_exit(2);
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		waitpid(c, NULL, 0);
		int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		CHECK_OK(fd, "after_fork_open");
		for (int i = 0; i < 3; i++)
			CHECK_EQ(pwrite(fd, "xyz" + i, 1, (off_t)(uintptr_t)(ro + i)), 1,
				 "after_fork_forced_write");
		CHECK(memcmp(ro, "xyz", 3) == 0, "after_fork_forced_writes_seen");
		close(fd);
		_exit(conf_failures ? 1 : 0);
	}
	int st = 0;
	CHECK_OK(pid, "after_fork_fork");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "after_fork_child_ok");
}

static void permissions(void)
{
	if (geteuid() != 0)
		return;                  /* the cases need setuid to other users */
	int in, out;
	char c = 0;
	pid_t t = id_target(1, &in, &out);
	SETUP(t);
	CHECK(read(in, &c, 1) == 1 && c == 'y', "perm_target_setuid");
	CHECK_EQ(read_as(t, 0, 0), 0, "perm_root_reads");
	CHECK_EQ(read_as(t, 1234, 1234), 0, "perm_same_ids_reads");
	CHECK_EQ(read_as(t, 4321, 4321), EACCES, "perm_other_uid_eacces");
	struct stat st;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)t);
	CHECK(stat(path, &st) == 0 && st.st_uid == 1234 && st.st_gid == 1234, "perm_owner_dumpable");
	/* Checked at open only: a file opened before still reads. */
	pid_t r = fork();
	if (r == 0) {
		if (setresgid(1234, 1234, 1234) || setresuid(1234, 1234, 1234))
			_exit(100);
		int fd = open_mem(t, O_RDONLY);
		if (fd < 0 || write(out, "d", 1) != 1 || read(in, &c, 1) != 1 || c != 'y')
			_exit(101);
		char a[8];
		if (open_mem(t, O_RDONLY) != -1 || errno != EACCES)
			_exit(102);
		_exit(pread(fd, a, 6, (off_t)(uintptr_t)tbuf) == 6 && !memcmp(a, "secret", 6) ? 0 : 103);
	}
	int status = reap(r);
	CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 200, 0,
		 "perm_opened_before_nondumpable_reads");
	CHECK_EQ(read_as(t, 1234, 1234), EACCES, "perm_nondumpable_eacces");
	CHECK_EQ(read_as(t, 0, 0), 0, "perm_nondumpable_root_reads");
	CHECK(write(out, "q", 1) == 1, "perm_quit");
	reap(t);
	close(in);
	close(out);

	t = id_target(0, &in, &out);
	SETUP(t);
	CHECK(read(in, &c, 1) == 1 && c == 'y', "perm_target_nondumpable");
	CHECK_EQ(read_as(t, 1234, 1234), EACCES, "perm_nondumpable_from_start_eacces");
	CHECK(write(out, "q", 1) == 1, "perm_quit2");
	reap(t);
	close(in);
	close(out);
}

/* The file holds the address space it opened: gone with its process, or replaced by exec. */
static void lifetime(void)
{
	pid_t pid = start_target();
	SETUP(pid);
	int fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "exit_open");
	char a[16];
	CHECK_EQ(pread(fd, a, 5, (off_t)(uintptr_t)tbuf), 5, "exit_read_before");
	CHECK(write(to_child[1], "q", 1) == 1, "exit_quit");
	siginfo_t si;
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), "exit_zombie");
	CHECK_EQ(pread(fd, a, 5, (off_t)(uintptr_t)tbuf), 0, "zombie_read_zero");
	CHECK_EQ(pwrite(fd, "x", 1, (off_t)(uintptr_t)tbuf), 0, "zombie_write_zero");
	/* A zombie has no address space to open (Linux 6.14 on; before, one that read 0). */
	CHECK_ERR(open_mem(pid, O_RDONLY), ESRCH, "zombie_open_esrch");
	reap(pid);
	CHECK_EQ(pread(fd, a, 5, (off_t)(uintptr_t)tbuf), 0, "reaped_read_zero");
	CHECK_EQ(lseek(fd, (off_t)(uintptr_t)tbuf, SEEK_SET), (off_t)(uintptr_t)tbuf,
		 "reaped_lseek");
	CHECK_EQ(read(fd, a, 5), 0, "reaped_read_position_zero");
	close(fd);
	CHECK_ERR(open_mem(pid, O_RDONLY), ENOENT, "reaped_open_enoent");
	close(to_child[1]);
	close(from_child[0]);

	pid = start_target();
	SETUP(pid);
	fd = open_mem(pid, O_RDWR);
	CHECK_OK(fd, "exec_open");
	CHECK_EQ(pread(fd, a, 5, (off_t)(uintptr_t)tbuf), 5, "exec_read_before");
	uintptr_t addr = 0;
	CHECK(write(to_child[1], "e", 1) == 1 && read(from_child[0], &addr, sizeof addr) == sizeof addr,
	      "exec_done");
	CHECK_EQ(pread(fd, a, 5, (off_t)(uintptr_t)tbuf), 0, "exec_old_mm_read_zero");
	CHECK_EQ(pwrite(fd, "x", 1, (off_t)(uintptr_t)tbuf), 0, "exec_old_mm_write_zero");
	int nfd = open_mem(pid, O_RDONLY);
	CHECK_OK(nfd, "exec_open_new");
	memset(a, 0, sizeof a);
	CHECK_EQ(pread(nfd, a, 10, (off_t)addr), 10, "exec_new_mm_read");
	CHECK(memcmp(a, "after exec", 10) == 0, "exec_new_mm_contents");
	close(nfd);
	close(fd);
	stop_target(pid);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "exec-target") == 0)
		return exec_target(atoi(argv[2]), atoi(argv[3]));
	pg = sysconf(_SC_PAGESIZE);
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	SETUP(n);
	self_path[n] = 0;
	SETUP(write_file(T("file"), "file contents"));
	int ffd = open(T("file"), O_RDWR | O_CLOEXEC);
	SETUP(ffd);
	shared_ro = mmap(NULL, pg, PROT_READ, MAP_SHARED, ffd, 0);
	SETUP(shared_ro == MAP_FAILED ? -1 : 0);
	private_ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, ffd, 0);
	SETUP(private_ro == MAP_FAILED ? -1 : 0);
	close(ffd);
	shared_anon = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(shared_anon == MAP_FAILED ? -1 : 0);
	pnone = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(pnone == MAP_FAILED ? -1 : 0);
	memset(pnone, 'N', pg);
	SETUP(mprotect(pnone, pg, PROT_NONE));
	reserved = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(reserved == MAP_FAILED ? -1 : 0);
	/* Last: no later mapping of the parent's may fill the hole before the fork. */
	region = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(region == MAP_FAILED ? -1 : 0);
	SETUP(munmap(region + pg, pg));

	pid_t pid = start_target();
	SETUP(pid);
	reads_writes(pid);
	protections(pid);
	holes(pid);
	positions(pid);
	misc(pid);
	stop_target(pid);
	self_cases();
	writes_after_fork();
	permissions();
	lifetime();
	return conf_exit();
}
