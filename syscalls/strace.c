/*
 * --strace: one line per finished guest syscall, in strace's format:
 *
 *   [pid 7] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid 7] read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1024
 *   [pid 7] openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * The line is printed after the call (the sentry sees both ends of it at
 * once), so output buffers show what the call wrote. Each line goes out in
 * one write(2) to kernel.strace_fd, so lines of concurrent tasks never mix.
 *
 * How arguments print comes from the table entry's `args`: a comma
 * separated list of kinds, one per argument, optionally followed by
 * "->KIND" for the return value. Argument kinds:
 *
 *   fd        int, decimal               atfd      AT_FDCWD or decimal
 *   int       int, decimal               uint      unsigned int, decimal
 *   size      unsigned long, decimal     off       long, decimal
 *   hex       0x...                      ptr       NULL or 0x...
 *   path      guest string, escaped, up to 4096 bytes
 *   str       guest string, escaped, first 32 bytes then "..."
 *   ibuf:N    input buffer whose length is argument N (0-based): first 32
 *             bytes, escaped
 *   obuf:ret  output buffer filled with `ret` bytes (address if ret < 0)
 *   ostr      output string (getcwd), address on failure
 *   iov:N     input iovec array, N = index of the count argument
 *   oiov:N    output iovec array filled with `ret` bytes
 *   argv      NULL-terminated array of strings (execve)
 *   fds       int[2] written by pipe/socketpair: [3, 4]
 *   ts        struct timespec pointer: {tv_sec=1, tv_nsec=0}
 *   ots       struct timespec filled by the call (address if it failed)
 *   sigset    8-byte signal set pointer: [INT TERM] or ~[...]
 *   osigset   signal set filled by the call (address if it failed)
 *   sigact    struct sigaction pointer: {sa_handler=..., sa_mask=[...], ...}
 *   osigact   struct sigaction filled by the call
 *   futexts   futex's 4th argument: a timeout, or val2 for the requeue ops;
 *             futex's trailing arguments are omitted when the op ignores them
 *   grnd      GRND_* (getrandom)
 *   oflags    O_* (open, dup3, pipe2, ...)     cmode:N   mode, printed only
 *   mode      octal                               when argument N has O_CREAT
 *   prot      PROT_*                 mmapflags MAP_*
 *   mremap    MREMAP_*               msync     MS_*
 *   madv      MADV_*                 atflags   AT_* (AT_REMOVEDIR for 0x200)
 *   accflags  AT_* (AT_EACCESS for 0x200)      access    F_OK or R_OK|W_OK|X_OK
 *   signo     SIGxxx                 how       SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
 *   clockid   CLOCK_*                whence    SEEK_*
 *   futexop   FUTEX_*[_PRIVATE]      archprctl ARCH_*
 *   ioctl     request name (TCGETS...)         fcntl     F_* command
 *   fcntlarg  fcntl's third argument, by the command (omitted when unused)
 *   clone     CLONE_* flags and exit signal    wait      W* options
 *   af        AF_*                   socktype  SOCK_* [|SOCK_CLOEXEC...]
 *   prctl     PR_*                   rlimit    RLIMIT_*
 * Structure pointers print as addresses ("ptr"). An unknown kind, a missing
 * spec, or any guest memory that cannot be read prints the value in hex.
 *
 * Return kinds: decimal by default, "-1 ENAME (text)" for -errno;
 * "->hex" (addresses: mmap, brk), "->oct" (umask), "->noret" ("?": exit).
 *
 * Guest memory is read only through mm_copy_in/mm_copy_string_in on t->mm;
 * with t->mm NULL (unit tests, an exiting task) pointers print in hex.
 * After a successful execve the old arguments are gone with the old address
 * space, so they print in hex too.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define STRACE_STRLEN 32      /* strace's default -s */
#define STRACE_PATHLEN 4096
#define STRACE_MAXARR 16      /* argv elements and iovecs shown */

/* ---- The line being built ---- */

struct line {
	size_t len;
	char buf[8192];
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(l->buf) - l->len;
	if (room <= 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += MIN((size_t)n, room - 1);
}

/* Escape bytes as strace does: C escapes, \NNN for other non-printables. */
static void put_escaped(struct line *l, const unsigned char *s, size_t n)
{
	put(l, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		switch (c) {
		case '"': put(l, "\\\""); break;
		case '\\': put(l, "\\\\"); break;
		case '\n': put(l, "\\n"); break;
		case '\t': put(l, "\\t"); break;
		case '\r': put(l, "\\r"); break;
		case '\f': put(l, "\\f"); break;
		case '\v': put(l, "\\v"); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				put(l, "%c", c);
			/* Octal needs 3 digits when a digit follows, as in strace. */
			else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
				put(l, "\\%03o", c);
			else
				put(l, "\\%o", c);
		}
	}
	put(l, "\"");
}

static void put_hex(struct line *l, uint64_t v)
{
	put(l, "%#lx", (unsigned long)v);
}

static void put_ptr(struct line *l, uint64_t v)
{
	if (v)
		put_hex(l, v);
	else
		put(l, "NULL");
}

/* ---- Guest memory ---- */

/* A guest string, at most max bytes shown. False if it cannot be read. */
static bool put_guest_string(struct line *l, struct mm *mm, uint64_t addr, size_t max)
{
	static __thread char s[STRACE_PATHLEN + 1];
	if (!mm || !addr)
		return false;
	long n = mm_copy_string_in(mm, gaddr(addr), s, max + 1);
	bool more = false;
	if (n == -ENAMETOOLONG) {
		/* Longer than max: the first max bytes were readable. */
		if (mm_copy_in(mm, s, gaddr(addr), max))
			return false;
		n = max;
		more = true;
	}
	if (n < 0)
		return false;
	put_escaped(l, (unsigned char *)s, n);
	if (more)
		put(l, "...");
	return true;
}

/* len bytes of guest buffer, the first STRACE_STRLEN shown. */
static bool put_guest_buf(struct line *l, struct mm *mm, uint64_t addr, uint64_t len)
{
	unsigned char b[STRACE_STRLEN] = { 0 };
	size_t n = MIN(len, (uint64_t)STRACE_STRLEN);
	if (!mm || (n && mm_copy_in(mm, b, gaddr(addr), n)))
		return false;
	put_escaped(l, b, n);
	if (len > n)
		put(l, "...");
	return true;
}

/* An iovec array; `data` bytes of content shown in total (UINT64_MAX: all). */
static bool put_guest_iov(struct line *l, struct mm *mm, uint64_t addr, uint64_t cnt,
			  uint64_t data)
{
	if (!mm || cnt > GUEST_UIO_MAXIOV)
		return false;
	put(l, "[");
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t iov[2];
		if (i == STRACE_MAXARR) {
			put(l, ", ...");
			break;
		}
		if (mm_copy_in(mm, iov, gaddr(addr + 16 * i), sizeof(iov))) {
			put(l, "%s%#lx", i ? ", " : "", (unsigned long)(addr + 16 * i));
			break;
		}
		put(l, "%s{iov_base=", i ? ", " : "");
		uint64_t shown = MIN(iov[1], data);
		if (!put_guest_buf(l, mm, iov[0], shown))
			put_ptr(l, iov[0]);
		data -= shown;
		put(l, ", iov_len=%lu}", (unsigned long)iov[1]);
	}
	put(l, "]");
	return true;
}

static bool put_guest_argv(struct line *l, struct mm *mm, uint64_t addr)
{
	if (!mm || !addr)
		return false;
	put(l, "[");
	for (int i = 0;; i++) {
		uint64_t p;
		if (mm_copy_in(mm, &p, gaddr(addr + 8 * i), 8)) {
			put(l, "%s%#lx", i ? ", " : "", (unsigned long)(addr + 8 * i));
			break;
		}
		if (!p)
			break;
		if (i == STRACE_MAXARR) {
			put(l, ", ...");
			break;
		}
		if (i)
			put(l, ", ");
		if (!put_guest_string(l, mm, p, STRACE_STRLEN))
			put_hex(l, p);
	}
	put(l, "]");
	return true;
}

/* ---- Names of constants ---- */

struct name {
	uint64_t v;
	const char *s;
};
#define N(x) { x, #x }

/* Print the value's name, or `fallback` formatting of it. */
static void put_enum(struct line *l, const struct name *t, size_t n, uint64_t v, bool hex)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v) {
			put(l, "%s", t[i].s);
			return;
		}
	if (hex)
		put_hex(l, v);
	else
		put(l, "%d", (int)v);
}

/*
 * Print flags as NAME|NAME|0x...; a multi-bit entry matches only when all
 * its bits are set, so list composite flags (O_SYNC) before their parts.
 * `zero` names the value 0, or NULL to print "0".
 */
static void put_flags(struct line *l, const struct name *t, size_t n, uint64_t v,
		      const char *zero, bool first)
{
	for (size_t i = 0; i < n && v; i++) {
		if (t[i].v && (v & t[i].v) == t[i].v) {
			put(l, "%s%s", first ? "" : "|", t[i].s);
			v &= ~t[i].v;
			first = false;
		}
	}
	if (v)
		put(l, "%s%#lx", first ? "" : "|", (unsigned long)v);
	else if (first)
		put(l, "%s", zero ? zero : "0");
}

#define ENUM(l, t, v, hex) put_enum(l, t, ARRAY_SIZE(t), v, hex)
#define FLAGS(l, t, v, zero, first) put_flags(l, t, ARRAY_SIZE(t), v, zero, first)

#ifndef O_LARGEFILE_RAW
#define O_LARGEFILE_RAW 0100000   /* glibc defines O_LARGEFILE as 0 on x86-64 */
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

static const struct name oflag_names[] = {
	{ __O_TMPFILE | O_DIRECTORY, "O_TMPFILE" },
	{ O_SYNC, "O_SYNC" },     /* O_SYNC contains O_DSYNC's bit */
	N(O_CREAT), N(O_EXCL), N(O_NOCTTY), N(O_TRUNC), N(O_APPEND), N(O_NONBLOCK),
	N(O_DSYNC), N(O_ASYNC), N(O_DIRECT), { O_LARGEFILE_RAW, "O_LARGEFILE" },
	N(O_DIRECTORY), N(O_NOFOLLOW), N(O_NOATIME), N(O_CLOEXEC), N(O_PATH),
};

static void put_oflags(struct line *l, uint64_t v)
{
	static const char *acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	/* O_PATH ignores the access mode; strace prints it alone. */
	if ((v & O_PATH) && !(v & O_ACCMODE)) {
		FLAGS(l, oflag_names, v, NULL, true);
		return;
	}
	put(l, "%s", acc[v & O_ACCMODE]);
	FLAGS(l, oflag_names, v & ~(uint64_t)O_ACCMODE, NULL, false);
}

static const struct name prot_names[] = {
	N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC), N(PROT_GROWSDOWN), N(PROT_GROWSUP),
};

static const struct name map_type_names[] = {
	N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_SHARED_VALIDATE),
};

static const struct name map_names[] = {
	N(MAP_FIXED_NOREPLACE), N(MAP_FIXED), N(MAP_ANONYMOUS), N(MAP_32BIT),
	N(MAP_GROWSDOWN), N(MAP_DENYWRITE), N(MAP_EXECUTABLE), N(MAP_LOCKED),
	N(MAP_NORESERVE), N(MAP_POPULATE), N(MAP_NONBLOCK), N(MAP_STACK),
	N(MAP_HUGETLB), N(MAP_SYNC),
};

static void put_mmapflags(struct line *l, uint64_t v)
{
	ENUM(l, map_type_names, v & 0xf, true);
	FLAGS(l, map_names, v & ~0xfUL, NULL, false);
}

static const struct name mremap_names[] = {
	N(MREMAP_MAYMOVE), N(MREMAP_FIXED), { 4, "MREMAP_DONTUNMAP" },
};

static const struct name msync_names[] = { N(MS_ASYNC), N(MS_INVALIDATE), N(MS_SYNC) };

static const struct name madv_names[] = {
	N(MADV_NORMAL), N(MADV_RANDOM), N(MADV_SEQUENTIAL), N(MADV_WILLNEED),
	N(MADV_DONTNEED), N(MADV_FREE), N(MADV_REMOVE), N(MADV_DONTFORK),
	N(MADV_DOFORK), N(MADV_MERGEABLE), N(MADV_UNMERGEABLE), N(MADV_HUGEPAGE),
	N(MADV_NOHUGEPAGE), N(MADV_DONTDUMP), N(MADV_DODUMP), N(MADV_WIPEONFORK),
	N(MADV_KEEPONFORK), { 20, "MADV_COLD" }, { 21, "MADV_PAGEOUT" },
	{ 22, "MADV_POPULATE_READ" }, { 23, "MADV_POPULATE_WRITE" },
	{ 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" }, N(MADV_HWPOISON),
};

static const struct name at_names[] = {
	N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR), N(AT_SYMLINK_FOLLOW), N(AT_NO_AUTOMOUNT),
	N(AT_EMPTY_PATH), N(AT_STATX_FORCE_SYNC), N(AT_STATX_DONT_SYNC),
	{ 0x8000, "AT_RECURSIVE" },
};

static const struct name acc_at_names[] = {
	N(AT_SYMLINK_NOFOLLOW), N(AT_EACCESS), N(AT_EMPTY_PATH),
};

static const struct name access_names[] = { N(R_OK), N(W_OK), N(X_OK) };

static const struct name how_names[] = { N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK) };

static const struct name clock_names[] = {
	N(CLOCK_REALTIME), N(CLOCK_MONOTONIC), N(CLOCK_PROCESS_CPUTIME_ID),
	N(CLOCK_THREAD_CPUTIME_ID), N(CLOCK_MONOTONIC_RAW), N(CLOCK_REALTIME_COARSE),
	N(CLOCK_MONOTONIC_COARSE), N(CLOCK_BOOTTIME), N(CLOCK_REALTIME_ALARM),
	N(CLOCK_BOOTTIME_ALARM), N(CLOCK_TAI),
};

static const struct name whence_names[] = {
	N(SEEK_SET), N(SEEK_CUR), N(SEEK_END), N(SEEK_DATA), N(SEEK_HOLE),
};

static const struct name futex_names[] = {
	N(FUTEX_WAIT), N(FUTEX_WAKE), N(FUTEX_FD), N(FUTEX_REQUEUE), N(FUTEX_CMP_REQUEUE),
	N(FUTEX_WAKE_OP), N(FUTEX_LOCK_PI), N(FUTEX_UNLOCK_PI), N(FUTEX_TRYLOCK_PI),
	N(FUTEX_WAIT_BITSET), N(FUTEX_WAKE_BITSET), N(FUTEX_WAIT_REQUEUE_PI),
	N(FUTEX_CMP_REQUEUE_PI), { 13, "FUTEX_LOCK_PI2" },
};

static void put_futexop(struct line *l, uint64_t v)
{
	ENUM(l, futex_names, v & FUTEX_CMD_MASK, false);
	if (v & FUTEX_PRIVATE_FLAG)
		put(l, "_PRIVATE");
	if (v & FUTEX_CLOCK_REALTIME)
		put(l, "|FUTEX_CLOCK_REALTIME");
	uint64_t rest = v & ~(uint64_t)(FUTEX_CMD_MASK | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	if (rest)
		put(l, "|%#lx", (unsigned long)rest);
}

static const struct name archprctl_names[] = {
	N(ARCH_SET_GS), N(ARCH_SET_FS), N(ARCH_GET_FS), N(ARCH_GET_GS),
	N(ARCH_GET_CPUID), N(ARCH_SET_CPUID), { 0x1021, "ARCH_GET_XCOMP_SUPP" },
	{ 0x1022, "ARCH_GET_XCOMP_PERM" }, { 0x1023, "ARCH_REQ_XCOMP_PERM" },
	{ 0x1024, "ARCH_GET_XCOMP_GUEST_PERM" }, { 0x1025, "ARCH_REQ_XCOMP_GUEST_PERM" },
	{ 0x2001, "ARCH_MAP_VDSO_X32" }, { 0x2002, "ARCH_MAP_VDSO_32" },
	{ 0x2003, "ARCH_MAP_VDSO_64" }, { 0x4001, "ARCH_GET_UNTAG_MASK" },
	{ 0x4002, "ARCH_ENABLE_TAGGED_ADDR" }, { 0x4003, "ARCH_GET_MAX_TAG_BITS" },
	{ 0x5001, "ARCH_SHSTK_ENABLE" }, { 0x5002, "ARCH_SHSTK_DISABLE" },
	{ 0x5003, "ARCH_SHSTK_LOCK" }, { 0x5005, "ARCH_SHSTK_STATUS" },
};

static const struct name ioctl_names[] = {
	N(TCGETS), N(TCSETS), N(TCSETSW), N(TCSETSF), N(TCGETA), N(TCSETA), N(TCSETAW),
	N(TCSETAF), N(TCSBRK), N(TCXONC), N(TCFLSH), N(TIOCEXCL), N(TIOCNXCL),
	N(TIOCSCTTY), N(TIOCGPGRP), N(TIOCSPGRP), N(TIOCOUTQ), N(TIOCSTI), N(TIOCGWINSZ),
	N(TIOCSWINSZ), N(TIOCMGET), N(TIOCMSET), N(FIONREAD), N(TIOCLINUX), N(TIOCCONS),
	N(FIONBIO), N(TIOCNOTTY), N(TIOCSETD), N(TIOCGETD), N(TIOCGPTN), N(TIOCSPTLCK),
	N(TIOCGDEV), N(TIOCSIG), N(TIOCVHANGUP), N(TIOCGPKT), N(TIOCGPTLCK),
	N(TIOCGEXCL), N(TIOCGPTPEER), N(TIOCGSID), { 0x802c542a, "TCGETS2" }, { 0x402c542b, "TCSETS2" },
	N(FIONCLEX), N(FIOCLEX), N(FIOASYNC), N(FIOQSIZE), N(TIOCPKT),
	{ 0x40086602, "FS_IOC_SETFLAGS" }, { 0x80086601, "FS_IOC_GETFLAGS" },
	{ 0xc020660b, "FS_IOC_FIEMAP" }, { 0x40049409, "BTRFS_IOC_CLONE" },
	{ 0x8913, "SIOCGIFFLAGS" }, { 0x8927, "SIOCGIFHWADDR" }, { 0x8915, "SIOCGIFADDR" },
	{ 0x8912, "SIOCGIFCONF" }, { 0x8933, "SIOCGIFINDEX" },
};

static const struct name fcntl_names[] = {
	N(F_DUPFD), N(F_GETFD), N(F_SETFD), N(F_GETFL), N(F_SETFL), N(F_GETLK), N(F_SETLK),
	N(F_SETLKW), N(F_SETOWN), N(F_GETOWN), N(F_SETSIG), N(F_GETSIG), N(F_SETOWN_EX),
	N(F_GETOWN_EX), N(F_OFD_GETLK), N(F_OFD_SETLK), N(F_OFD_SETLKW), N(F_SETLEASE),
	N(F_GETLEASE), N(F_NOTIFY), N(F_DUPFD_CLOEXEC), N(F_SETPIPE_SZ), N(F_GETPIPE_SZ),
	N(F_ADD_SEALS), N(F_GET_SEALS),
};

static const struct name seal_names[] = {
	N(F_SEAL_SEAL), N(F_SEAL_SHRINK), N(F_SEAL_GROW), N(F_SEAL_WRITE),
	N(F_SEAL_FUTURE_WRITE),
};

static const struct name clone_names[] = {
	N(CLONE_VM), N(CLONE_FS), N(CLONE_FILES), N(CLONE_SIGHAND), N(CLONE_PIDFD),
	N(CLONE_PTRACE), N(CLONE_VFORK), N(CLONE_PARENT), N(CLONE_THREAD),
	N(CLONE_NEWNS), N(CLONE_SYSVSEM), N(CLONE_SETTLS), N(CLONE_PARENT_SETTID),
	N(CLONE_CHILD_CLEARTID), N(CLONE_DETACHED), N(CLONE_UNTRACED),
	N(CLONE_CHILD_SETTID), N(CLONE_NEWCGROUP), N(CLONE_NEWUTS), N(CLONE_NEWIPC),
	N(CLONE_NEWUSER), N(CLONE_NEWPID), N(CLONE_NEWNET), N(CLONE_IO),
};

static const struct name wait_names[] = {
	N(WNOHANG), N(WUNTRACED), N(WEXITED), N(WCONTINUED), N(WNOWAIT),
	N(__WNOTHREAD), N(__WALL), N(__WCLONE),
};

static const struct name af_names[] = {
	N(AF_UNSPEC), N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK), N(AF_PACKET),
	N(AF_ALG), N(AF_VSOCK), N(AF_BLUETOOTH), N(AF_KEY),
};

static const struct name socktype_names[] = {
	N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_RDM), N(SOCK_SEQPACKET),
	N(SOCK_DCCP), N(SOCK_PACKET),
};

static const struct name sockflag_names[] = { N(SOCK_NONBLOCK), N(SOCK_CLOEXEC) };

static const struct name prctl_names[] = {
	N(PR_SET_PDEATHSIG), N(PR_GET_PDEATHSIG), N(PR_GET_DUMPABLE), N(PR_SET_DUMPABLE),
	N(PR_GET_KEEPCAPS), N(PR_SET_KEEPCAPS), N(PR_SET_NAME), N(PR_GET_NAME),
	N(PR_GET_SECCOMP), N(PR_SET_SECCOMP), N(PR_CAPBSET_READ), N(PR_CAPBSET_DROP),
	N(PR_GET_TIMERSLACK), N(PR_SET_TIMERSLACK), N(PR_SET_MM), N(PR_SET_PTRACER),
	N(PR_SET_CHILD_SUBREAPER), N(PR_GET_CHILD_SUBREAPER), N(PR_SET_NO_NEW_PRIVS),
	N(PR_GET_NO_NEW_PRIVS), N(PR_GET_TID_ADDRESS), N(PR_SET_THP_DISABLE),
	N(PR_GET_THP_DISABLE), N(PR_CAP_AMBIENT), N(PR_SET_VMA), N(PR_GET_SECUREBITS),
	N(PR_SET_SECUREBITS), N(PR_MCE_KILL), N(PR_SET_TIMING), N(PR_GET_TIMING),
};

static const struct name rlimit_names[] = {
	N(RLIMIT_CPU), N(RLIMIT_FSIZE), N(RLIMIT_DATA), N(RLIMIT_STACK), N(RLIMIT_CORE),
	N(RLIMIT_RSS), N(RLIMIT_NPROC), N(RLIMIT_NOFILE), N(RLIMIT_MEMLOCK), N(RLIMIT_AS),
	N(RLIMIT_LOCKS), N(RLIMIT_SIGPENDING), N(RLIMIT_MSGQUEUE), N(RLIMIT_NICE),
	N(RLIMIT_RTPRIO), N(RLIMIT_RTTIME),
};

static const struct name grnd_names[] = {
	{ 1, "GRND_NONBLOCK" }, { 2, "GRND_RANDOM" }, { 4, "GRND_INSECURE" },
};

static const struct name sa_flag_names[] = {
	N(SA_NOCLDSTOP), N(SA_NOCLDWAIT), N(SA_SIGINFO), { 0x04000000, "SA_RESTORER" },
	N(SA_ONSTACK), N(SA_RESTART), N(SA_NODEFER), N(SA_RESETHAND),
};

/* How many arguments futex(2) reads for op (strace prints only those). */
static int futex_nargs(uint64_t op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAKE: case FUTEX_FD:
		return 3;
	case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI:
		return 2;
	case FUTEX_WAIT: case FUTEX_LOCK_PI: case 13 /* FUTEX_LOCK_PI2 */:
		return 4;
	case FUTEX_REQUEUE: case FUTEX_WAIT_REQUEUE_PI:
		return 5;
	default:
		return 6;
	}
}

/* Signal n's name without "SIG", strace style: RTMIN, RT_1... for 32..64. */
static void put_signame(struct line *l, int n)
{
	const char *s = n > 0 && n < 32 ? sigabbrev_np(n) : NULL;
	if (s)
		put(l, "%s", s);
	else if (n == 32)
		put(l, "RTMIN");
	else if (n > 32 && n <= GUEST_NSIG)
		put(l, "RT_%d", n - 32);
	else
		put(l, "%d", n);
}

static void put_signo(struct line *l, int n)
{
	if (n > 0 && n <= GUEST_NSIG && (n >= 32 || sigabbrev_np(n)))
		put(l, "SIG");
	put_signame(l, n);
}

static void put_sigset(struct line *l, uint64_t set)
{
	/* Mostly-full sets print as the complement, as strace does. */
	bool inv = __builtin_popcountll(set) > 32;
	if (inv)
		set = ~set;
	put(l, "%s[", inv ? "~" : "");
	bool first = true;
	for (int n = 1; n <= GUEST_NSIG; n++) {
		if (!(set & (1ULL << (n - 1))))
			continue;
		if (!first)
			put(l, " ");
		put_signame(l, n);
		first = false;
	}
	put(l, "]");
}

static void put_sigaction(struct line *l, const struct guest_sigaction *sa)
{
	put(l, "{sa_handler=");
	if (sa->handler == (uint64_t)(uintptr_t)SIG_DFL)
		put(l, "SIG_DFL");
	else if (sa->handler == (uint64_t)(uintptr_t)SIG_IGN)
		put(l, "SIG_IGN");
	else
		put_hex(l, sa->handler);
	put(l, ", sa_mask=");
	put_sigset(l, sa->mask);
	put(l, ", sa_flags=");
	FLAGS(l, sa_flag_names, sa->flags, NULL, true);
	if (sa->flags & 0x04000000) {
		put(l, ", sa_restorer=");
		put_hex(l, sa->restorer);
	}
	put(l, "}");
}

/* ---- One argument ---- */

struct ctx {
	struct line *l;
	struct mm *mm;                 /* NULL: print pointers as hex */
	const struct syscall_args *a;
	long ret;
	bool failed;                   /* ret is -errno */
};

/* Print argument i as `kind` (with its ":param"); false to omit it. */
static bool put_arg(struct ctx *c, const char *kind, const char *param, int i)
{
	struct line *l = c->l;
	uint64_t v = c->a->arg[i];
	int p = param ? atoi(param) : 0;
	if (p < 0 || p > 5)
		p = 0;

#define IS(k) (strcmp(kind, k) == 0)
	if (IS("fd") || IS("int"))
		put(l, "%d", (int)v);
	else if (IS("atfd"))
		(int)v == AT_FDCWD ? put(l, "AT_FDCWD") : put(l, "%d", (int)v);
	else if (IS("uint"))
		put(l, "%u", (unsigned)v);
	else if (IS("size"))
		put(l, "%lu", (unsigned long)v);
	else if (IS("off"))
		put(l, "%ld", (long)v);
	else if (IS("ptr"))
		put_ptr(l, v);
	else if (IS("path") || IS("str")) {
		if (!put_guest_string(l, c->mm, v, IS("path") ? STRACE_PATHLEN : STRACE_STRLEN))
			put_ptr(l, v);
	} else if (IS("ibuf")) {
		if (!v || !put_guest_buf(l, c->mm, v, c->a->arg[p]))
			put_ptr(l, v);
	} else if (IS("obuf")) {
		if (c->failed || !v || !put_guest_buf(l, c->mm, v, c->ret))
			put_ptr(l, v);
	} else if (IS("ostr")) {
		if (c->failed || !put_guest_string(l, c->mm, v, STRACE_PATHLEN))
			put_ptr(l, v);
	} else if (IS("iov") || IS("oiov")) {
		uint64_t data = IS("iov") ? UINT64_MAX : (c->failed ? 0 : (uint64_t)c->ret);
		if (!v || !put_guest_iov(l, c->mm, v, c->a->arg[p], data))
			put_ptr(l, v);
	} else if (IS("argv")) {
		if (!put_guest_argv(l, c->mm, v))
			put_ptr(l, v);
	} else if (IS("fds")) {
		int fds[2];
		if (!c->failed && v && c->mm && !mm_copy_in(c->mm, fds, gaddr(v), sizeof(fds)))
			put(l, "[%d, %d]", fds[0], fds[1]);
		else
			put_ptr(l, v);
	} else if (IS("ts")) {
		int64_t ts[2];
		if (v && c->mm && !mm_copy_in(c->mm, ts, gaddr(v), sizeof(ts)))
			put(l, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts[0], (long)ts[1]);
		else
			put_ptr(l, v);
	} else if (IS("ots")) {
		int64_t ts[2];
		if (v && !c->failed && c->mm && !mm_copy_in(c->mm, ts, gaddr(v), sizeof(ts)))
			put(l, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts[0], (long)ts[1]);
		else
			put_ptr(l, v);
	} else if (IS("sigset") || IS("osigset")) {
		uint64_t set;
		if (v && c->mm && !(IS("osigset") && c->failed) &&
		    !mm_copy_in(c->mm, &set, gaddr(v), sizeof(set)))
			put_sigset(l, set);
		else
			put_ptr(l, v);
	} else if (IS("sigact") || IS("osigact")) {
		struct guest_sigaction sa;
		if (v && c->mm && !(IS("osigact") && c->failed) &&
		    !mm_copy_in(c->mm, &sa, gaddr(v), sizeof(sa)))
			put_sigaction(l, &sa);
		else
			put_ptr(l, v);
	} else if (IS("futexts")) {
		switch (c->a->arg[1] & FUTEX_CMD_MASK) {
		case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: case FUTEX_WAKE_OP:
		case FUTEX_CMP_REQUEUE_PI:
			put(l, "%u", (unsigned)v);   /* val2, not a pointer */
			break;
		default: {
			int64_t ts[2];
			if (v && c->mm && !mm_copy_in(c->mm, ts, gaddr(v), sizeof(ts)))
				put(l, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts[0], (long)ts[1]);
			else
				put_ptr(l, v);
		}
		}
	} else if (IS("grnd"))
		FLAGS(l, grnd_names, v, NULL, true); else if (IS("oflags"))
		put_oflags(l, v);
	else if (IS("cmode")) {
		/* open's mode means something only with O_CREAT or O_TMPFILE. */
		if (!(c->a->arg[p] & (O_CREAT | __O_TMPFILE)))
			return false;
		put(l, "%#o", (unsigned)v);
	} else if (IS("mode"))
		put(l, "%#o", (unsigned)v);
	else if (IS("prot"))
		FLAGS(l, prot_names, v, "PROT_NONE", true);
	else if (IS("mmapflags"))
		put_mmapflags(l, v);
	else if (IS("mremap"))
		FLAGS(l, mremap_names, v, NULL, true);
	else if (IS("msync"))
		FLAGS(l, msync_names, v, NULL, true);
	else if (IS("madv"))
		ENUM(l, madv_names, v, false);
	else if (IS("atflags"))
		FLAGS(l, at_names, v, NULL, true);
	else if (IS("accflags"))
		FLAGS(l, acc_at_names, v, NULL, true);
	else if (IS("access"))
		FLAGS(l, access_names, v, "F_OK", true);
	else if (IS("signo"))
		put_signo(l, (int)v);
	else if (IS("how"))
		ENUM(l, how_names, v, false);
	else if (IS("clockid"))
		ENUM(l, clock_names, (uint64_t)(int)v, false);
	else if (IS("whence"))
		ENUM(l, whence_names, v, false);
	else if (IS("futexop"))
		put_futexop(l, v);
	else if (IS("archprctl"))
		ENUM(l, archprctl_names, v, true);
	else if (IS("ioctl"))
		ENUM(l, ioctl_names, (uint32_t)v, true);
	else if (IS("fcntl"))
		ENUM(l, fcntl_names, (uint32_t)v, false);
	else if (IS("fcntlarg")) {
		switch ((int)c->a->arg[1]) {
		case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG: case F_GETLEASE:
		case F_GETPIPE_SZ: case F_GET_SEALS:
			return false;     /* no third argument */
		case F_SETFD:
			v == FD_CLOEXEC ? put(l, "FD_CLOEXEC") : put(l, "%d", (int)v);
			break;
		case F_SETFL:
			put_oflags(l, v);
			break;
		case F_ADD_SEALS:
			FLAGS(l, seal_names, v, NULL, true);
			break;
		case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETOWN: case F_SETSIG:
		case F_SETPIPE_SZ: case F_SETLEASE: case F_NOTIFY:
			put(l, "%d", (int)v);
			break;
		default:
			put_ptr(l, v);    /* struct flock and friends */
		}
	} else if (IS("clone")) {
		FLAGS(l, clone_names, v & ~(uint64_t)CSIGNAL, NULL, true);
		if (v & CSIGNAL) {
			if (v & ~(uint64_t)CSIGNAL)
				put(l, "|");
			put_signo(l, v & CSIGNAL);
		}
	} else if (IS("wait"))
		FLAGS(l, wait_names, (uint32_t)v, NULL, true);
	else if (IS("af"))
		ENUM(l, af_names, v, false);
	else if (IS("socktype")) {
		/* accept4 passes only the flags; socket() a type with flags. */
		uint64_t type = v & 0xf;
		if (type)
			ENUM(l, socktype_names, type, false);
		FLAGS(l, sockflag_names, v & ~0xfUL, NULL, type == 0);
	} else if (IS("prctl"))
		ENUM(l, prctl_names, v, false);
	else if (IS("rlimit"))
		ENUM(l, rlimit_names, v, false);
	else
		put_hex(l, v);   /* "hex" and kinds this file does not know */
#undef IS
	return true;
}

/* ---- The line ---- */

static void put_ret(struct line *l, const char *kind, long ret)
{
	if (kind && strcmp(kind, "noret") == 0) {
		put(l, " = ?");
		return;
	}
	if (ret < 0 && ret >= -4095) {
		int e = (int)-ret;
		const char *name = strerrorname_np(e);
		if (name)
			put(l, " = -1 %s (%s)", name, strerror(e));
		else
			put(l, " = -1 (errno %d)", e);
		return;
	}
	if (kind && strcmp(kind, "hex") == 0)
		put(l, " = %#lx", (unsigned long)ret);
	else if (kind && strcmp(kind, "oct") == 0)
		put(l, " = %#lo", (unsigned long)ret);
	else
		put(l, " = %ld", ret);
}

static bool is_exec(int nr)
{
	const char *n = syscall_name(nr);
	return strcmp(n, "execve") == 0 || strcmp(n, "execveat") == 0;
}

void strace_syscall(struct task *t, const struct syscall_args *a, long ret)
{
	if (kernel.strace_fd < 0)
		return;
	static __thread struct line line;   /* 8 KiB: off the sentry thread's stack */
	struct line *l = &line;
	l->len = 0;

	const struct syscall_entry *e =
		a->nr >= 0 && a->nr < SYSCALL_TABLE_SIZE ? &syscall_table[a->nr] : NULL;
	const char *spec = e && e->name ? e->args : NULL;
	struct ctx c = {
		.l = l,
		.mm = t ? t->mm : NULL,
		.a = a,
		.ret = ret,
		.failed = ret < 0 && ret >= -4095,
	};
	/* A successful exec replaced the address space the arguments lived in. */
	if (!c.failed && e && e->name && is_exec(a->nr))
		c.mm = NULL;

	put(l, "[pid %d] %s(", t ? t->tid : 0, syscall_name(a->nr));

	char kinds[128];
	const char *retkind = NULL;
	if (spec) {
		snprintf(kinds, sizeof(kinds), "%s", spec);
		char *arrow = strstr(kinds, "->");
		if (arrow) {
			*arrow = 0;
			retkind = arrow + 2;
		}
	} else {
		/* No entry: all six registers, as strace does for unknown calls. */
		snprintf(kinds, sizeof(kinds), "hex,hex,hex,hex,hex,hex");
	}

	int nargs = 6;
	if (e && e->name && strcmp(e->name, "futex") == 0)
		nargs = futex_nargs(a->arg[1]);

	bool first = true;
	char *save = NULL;
	int i = 0;
	for (char *k = strtok_r(kinds, ",", &save); k && i < nargs;
	     k = strtok_r(NULL, ",", &save), i++) {
		char *param = strchr(k, ':');
		if (param)
			*param++ = 0;
		size_t mark = l->len;
		if (!first)
			put(l, ", ");
		if (put_arg(&c, k, param, i))
			first = false;
		else
			l->len = mark;   /* omitted: take its separator back */
	}
	put(l, ")");
	put_ret(l, retkind, ret);

	/* Keep the newline even when the line was cut short. */
	if (l->len > sizeof(l->buf) - 2)
		l->len = sizeof(l->buf) - 2;
	l->buf[l->len++] = '\n';
	ssize_t n = write(kernel.strace_fd, l->buf, l->len);
	(void)n;   /* nowhere to report a failing trace output */
}
