/* openat2(2): struct open_how checks (size, trailing bytes, unknown flags,
 * mode, O_PATH, scoping conflicts, RESOLVE_CACHED) and every RESOLVE_*
 * flag: NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV, BENEATH (absolute paths,
 * "..", absolute links, magic links) and IN_ROOT ("/" and ".." stop at
 * the directory, absolute links resolve inside it). */
#include <linux/openat2.h>
#include "conformance.h"

static long openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The file fd names, by its first bytes: "in", "out" or "?" */
static const char *which(long fd)
{
	static char buf[8];
	if (fd < 0)
		return "error";
	ssize_t n = pread((int)fd, buf, sizeof(buf) - 1, 0);
	close((int)fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

int main(void)
{
	const char *tmp = conf_tmpdir();
	char p[512];
	/* tmp/box/{in, sub/, abs -> /, up -> .., rel -> sub, link_in -> /in, esc -> ../out}, tmp/out */
	snprintf(p, sizeof p, "%s/box", tmp);
	SETUP(mkdir(p, 0755));
	int box = open(p, O_PATH | O_DIRECTORY);
	SETUP(box < 0 ? -1 : 0);
	int fd = openat(box, "in", O_CREAT | O_WRONLY, 0644);
	SETUP(fd < 0 ? -1 : (int)write(fd, "in", 2) - 2);
	close(fd);
	snprintf(p, sizeof p, "%s/out", tmp);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	SETUP(fd < 0 ? -1 : (int)write(fd, "out", 3) - 3);
	close(fd);
	SETUP(mkdirat(box, "sub", 0755));
	SETUP(symlinkat("/", box, "abs"));
	SETUP(symlinkat("..", box, "up"));
	SETUP(symlinkat("sub", box, "rel"));
	SETUP(symlinkat("/in", box, "link_in"));
	SETUP(symlinkat("../out", box, "esc"));
	SETUP(symlinkat("dangling_target", box, "dangle"));

	/* ---- struct open_how ---- */
	struct open_how how = { .flags = O_RDONLY };
	CHECK_ERR(syscall(SYS_openat2, box, "in", &how, 16), EINVAL, "size_too_small_einval");
	CHECK_ERR(syscall(SYS_openat2, box, "in", &how, 8192), E2BIG, "size_over_page_e2big");
	struct {
		struct open_how h;
		uint64_t extra;
	} big = { { .flags = O_RDONLY }, 0 };
	long r = syscall(SYS_openat2, box, "in", &big, sizeof(big));
	CHECK(r >= 0, "zero_trailing_bytes_ok");
	if (r >= 0)
		close((int)r);
	big.extra = 1;
	CHECK_ERR(syscall(SYS_openat2, box, "in", &big, sizeof(big)), E2BIG, "nonzero_trailing_e2big");
	CHECK_ERR(syscall(SYS_openat2, box, "in", conf_bad_ptr(), sizeof(how)), EFAULT, "bad_how_efault");
	CHECK_ERR(openat2(box, "in", 1ULL << 40, 0, 0), EINVAL, "unknown_flag_einval");
	CHECK_ERR(openat2(box, "in", O_RDONLY, 0, 1 << 10), EINVAL, "unknown_resolve_einval");
	CHECK_ERR(openat2(box, "in", O_RDONLY, 0644, 0), EINVAL, "mode_without_create_einval");
	CHECK_ERR(openat2(box, "new", O_CREAT | O_WRONLY, 010000, 0), EINVAL, "mode_type_bits_einval");
	CHECK_ERR(openat2(box, "in", O_PATH | O_RDWR, 0, 0), EINVAL, "o_path_with_rdwr_einval");
	CHECK_ERR(openat2(box, "in", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL,
		  "beneath_and_in_root_einval");
	CHECK_ERR(openat2(box, "in", O_RDONLY | O_TRUNC, 0, RESOLVE_CACHED), EAGAIN,
		  "cached_truncate_eagain");
	CHECK_ERR(openat2(box, "in", O_RDONLY, 0, 0) < 0 ? -1 : syscall(SYS_openat2, box, conf_bad_ptr(),
		  &how, sizeof(how)), EFAULT, "bad_path_efault");
	CHECK_STR(which(openat2(box, "in", O_RDONLY, 0, 0)), "in", "plain_open");
	CHECK_STR(which(openat2(box, "in", O_RDONLY | O_CLOEXEC, 0, RESOLVE_CACHED)), "in",
		  "cached_lookup_opens");
	r = openat2(box, "made", O_CREAT | O_EXCL | O_WRONLY, 0600, RESOLVE_BENEATH);
	CHECK(r >= 0, "create_beneath");
	if (r >= 0)
		close((int)r);
	struct stat st;
	CHECK(fstatat(box, "made", &st, 0) == 0 && (st.st_mode & 0777) == (0600 & ~umask(022)),
	      "created_with_mode");
	umask(022);

	/* ---- RESOLVE_NO_SYMLINKS / NO_MAGICLINKS ---- */
	CHECK_ERR(openat2(box, "rel/../in", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP,
		  "no_symlinks_in_the_middle_eloop");
	CHECK_ERR(openat2(box, "link_in", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP,
		  "no_symlinks_last_eloop");
	r = openat2(box, "link_in", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
	CHECK(r >= 0, "no_symlinks_o_path_nofollow_opens_link");
	if (r >= 0)
		close((int)r);
	char self_fd[64];
	int infd = openat(box, "in", O_RDONLY);
	snprintf(self_fd, sizeof self_fd, "/proc/self/fd/%d", infd);
	CHECK_STR(which(openat2(AT_FDCWD, self_fd, O_RDONLY, 0, 0)), "in", "magic_link_followed");
	CHECK_ERR(openat2(AT_FDCWD, self_fd, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP,
		  "no_magiclinks_eloop");
	r = openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS);
	CHECK(r >= 0, "no_magiclinks_proc_self_is_a_plain_symlink");
	if (r >= 0)
		close((int)r);
	CHECK_ERR(openat2(AT_FDCWD, self_fd, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP,
		  "no_symlinks_refuses_magic_links");
	close(infd);

	/* ---- RESOLVE_BENEATH ---- */
	CHECK_STR(which(openat2(box, "sub/../in", O_RDONLY, 0, RESOLVE_BENEATH)), "in",
		  "beneath_dotdot_inside");
	CHECK_STR(which(openat2(box, "rel/../in", O_RDONLY, 0, RESOLVE_BENEATH)), "in",
		  "beneath_relative_link_inside");
	CHECK_ERR(openat2(box, "../out", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "beneath_dotdot_exdev");
	CHECK_ERR(openat2(box, "up/out", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV,
		  "beneath_link_to_dotdot_exdev");
	CHECK_ERR(openat2(box, "esc", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "beneath_escaping_link_exdev");
	CHECK_ERR(openat2(box, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "beneath_absolute_link_exdev");
	CHECK_ERR(openat2(box, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV,
		  "beneath_absolute_path_exdev");
	CHECK_ERR(openat2(box, "../out", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH), EXDEV,
		  "beneath_create_outside_exdev");
	int procfd = open("/proc", O_PATH | O_DIRECTORY);
	snprintf(self_fd, sizeof self_fd, "self/fd/%d", box);
	CHECK_ERR(openat2(procfd, self_fd, O_PATH, 0, RESOLVE_BENEATH), EXDEV, "beneath_magic_link_exdev");

	/* ---- RESOLVE_IN_ROOT ---- */
	CHECK_STR(which(openat2(box, "/in", O_RDONLY, 0, RESOLVE_IN_ROOT)), "in", "in_root_slash_is_dirfd");
	CHECK_STR(which(openat2(box, "../../../in", O_RDONLY, 0, RESOLVE_IN_ROOT)), "in",
		  "in_root_dotdot_stops");
	CHECK_STR(which(openat2(box, "link_in", O_RDONLY, 0, RESOLVE_IN_ROOT)), "in",
		  "in_root_absolute_link_inside");
	CHECK_STR(which(openat2(box, "esc", O_RDONLY, 0, RESOLVE_IN_ROOT)), "error",
		  "in_root_escaping_link_stays_inside");
	CHECK_ERR(openat2(procfd, self_fd, O_PATH, 0, RESOLVE_IN_ROOT), EXDEV, "in_root_magic_link_exdev");
	CHECK_STR(which(openat2(AT_FDCWD, "/in", O_RDONLY, 0, 0)), "error", "without_in_root_slash_is_root");

	/* ---- RESOLVE_NO_XDEV ---- */
	CHECK_ERR(openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV,
		  "no_xdev_into_proc_exdev");
	CHECK_STR(which(openat2(box, "sub/../in", O_RDONLY, 0, RESOLVE_NO_XDEV)), "in",
		  "no_xdev_same_mount_ok");
	CHECK_ERR(openat2(procfd, "..", O_PATH, 0, RESOLVE_NO_XDEV), EXDEV, "no_xdev_dotdot_out_of_mount_exdev");
	close(procfd);
	close(box);
	return conf_exit();
}
