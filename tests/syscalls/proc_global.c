/* /proc files about the whole system: uptime, meminfo, stat, loadavg,
 * cpuinfo, filesystems, version, mounts, self, thread-self, /proc/sys;
 * and /dev/tty, /dev/shm, /sys/devices/system/cpu. Formats and mutual
 * consistency are checked, not the host's values. */
#include "conformance.h"
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <linux/magic.h>

static char buf[1 << 16];

static ssize_t slurp(const char *path)
{
	return read_file(path, buf, sizeof buf);
}

/* The number after "Name:" in a meminfo-style text, or -1. */
static long long num_field(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, name, n) == 0 && l[n] == ':')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

static const char *line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, n) == 0)
			return l;
	return NULL;
}

static int is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[36] == '\n' && s[37] == 0;
}

static void test_uptime_stat(void)
{
	unsigned long a, b, c, d;
	CHECK(slurp("/proc/uptime") > 0, "uptime_read");
	CHECK_EQ(sscanf(buf, "%lu.%2lu %lu.%2lu\n", &a, &b, &c, &d), 4, "uptime_format");
	struct sysinfo si;
	sysinfo(&si);
	CHECK(labs((long)a - si.uptime) <= 2, "uptime_matches_sysinfo");

	CHECK(slurp("/proc/stat") > 0, "stat_read");
	unsigned long long v[10];
	CHECK_EQ(sscanf(buf, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			&v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]), 10, "stat_cpu_line");
	CHECK(line_starting(buf, "cpu0 ") != NULL, "stat_cpu0_line");
	const char *bt = line_starting(buf, "btime ");
	long btime = bt ? atol(bt + 6) : 0;
	CHECK(labs(btime + (long)si.uptime - (long)time(NULL)) <= 3, "stat_btime_plus_uptime_is_now");
	const char *pr = line_starting(buf, "processes ");
	CHECK(pr && atol(pr + 10) >= 1, "stat_processes");
	const char *run = line_starting(buf, "procs_running ");
	CHECK(run && atol(run + 14) >= 1, "stat_procs_running");
	CHECK(line_starting(buf, "procs_blocked ") && line_starting(buf, "ctxt "), "stat_more_lines");

	CHECK(slurp("/proc/loadavg") > 0, "loadavg_read");
	double l1, l5, l15;
	int running, total, last;
	CHECK_EQ(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last), 6,
		 "loadavg_format");
	CHECK(running >= 1 && total >= running && last >= 1, "loadavg_counts");
}

static void test_meminfo(void)
{
	CHECK(slurp("/proc/meminfo") > 0, "meminfo_read");
	CHECK(strncmp(buf, "MemTotal:", 9) == 0 && strstr(buf, " kB\n"), "meminfo_format");
	long long total = num_field(buf, "MemTotal"), fr = num_field(buf, "MemFree");
	long long avail = num_field(buf, "MemAvailable");
	CHECK(total > 0 && fr >= 0 && fr <= total, "meminfo_free_le_total");
	CHECK(avail >= 0 && avail <= total, "meminfo_available");
	CHECK(num_field(buf, "SwapTotal") >= 0 && num_field(buf, "SwapFree") >= 0 &&
	      num_field(buf, "Buffers") >= 0 && num_field(buf, "Cached") >= 0 &&
	      num_field(buf, "Shmem") >= 0 && num_field(buf, "SReclaimable") >= 0,
	      "meminfo_fields_free_needs");
	struct sysinfo si;
	sysinfo(&si);
	CHECK_EQ(total, (long long)((unsigned long long)si.totalram * si.mem_unit / 1024),
		 "meminfo_total_as_sysinfo");
}

static void test_misc_files(void)
{
	CHECK(slurp("/proc/cpuinfo") > 0 && line_starting(buf, "processor"), "cpuinfo_processor");
	CHECK(slurp("/proc/filesystems") > 0 && strstr(buf, "\tproc\n") && strstr(buf, "\ttmpfs\n"),
	      "filesystems");
	CHECK(slurp("/proc/version") > 0 && strncmp(buf, "Linux version ", 14) == 0, "version");
	char l[64];
	ssize_t n = readlink("/proc/mounts", l, sizeof l - 1);
	l[n > 0 ? n : 0] = 0;
	CHECK_STR(l, "self/mounts", "mounts_is_self_link");
	static char self[1 << 16];
	read_file("/proc/self/mounts", self, sizeof self);
	slurp("/proc/mounts");
	CHECK_STR(buf, self, "mounts_same_as_self");
	n = readlink("/proc/self", l, sizeof l - 1);
	l[n > 0 ? n : 0] = 0;
	char want[64];
	snprintf(want, sizeof want, "%d", getpid());
	CHECK_STR(l, want, "self_link");
	n = readlink("/proc/thread-self", l, sizeof l - 1);
	l[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
	CHECK_STR(l, want, "thread_self_link");

	/* The listing: self, and our own pid among the numbers. */
	DIR *d = opendir("/proc");
	int saw_self = 0, saw_pid = 0, saw_meminfo = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		saw_self |= !strcmp(e->d_name, "self") && e->d_type == DT_LNK;
		saw_pid |= atoi(e->d_name) == getpid() && e->d_type == DT_DIR;
		saw_meminfo |= !strcmp(e->d_name, "meminfo") && e->d_type == DT_REG;
	}
	if (d)
		closedir(d);
	CHECK(saw_self && saw_pid && saw_meminfo, "proc_listing");
	CHECK_ERR(open("/proc/0/stat", O_RDONLY), ENOENT, "pid_0_enoent");
	CHECK_ERR(open("/proc/nonexistent", O_RDONLY), ENOENT, "name_enoent");
	CHECK_ERR(open("/proc/2147483647/stat", O_RDONLY), ENOENT, "huge_pid_enoent");

	/* Writing: global files give EIO, read-only sysctls refuse the open. */
	int fd = open("/proc/uptime", O_WRONLY);
	if (fd >= 0) {
		CHECK_ERR(write(fd, "1", 1), EIO, "uptime_write_eio");
		close(fd);
	}
	CHECK_ERR(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES, "ro_sysctl_open_eacces");
}

static void test_sys(void)
{
	struct utsname u;
	uname(&u);
	char want[128];
	snprintf(want, sizeof want, "%s\n", u.nodename);
	CHECK(slurp("/proc/sys/kernel/hostname") > 0, "hostname_read");
	CHECK_STR(buf, want, "hostname_is_uname");
	slurp("/proc/sys/kernel/ostype");
	CHECK_STR(buf, "Linux\n", "ostype");
	snprintf(want, sizeof want, "%s\n", u.release);
	slurp("/proc/sys/kernel/osrelease");
	CHECK_STR(buf, want, "osrelease_is_uname");
	CHECK(slurp("/proc/sys/kernel/pid_max") > 0 && atol(buf) >= 301, "pid_max");
	CHECK(slurp("/proc/sys/kernel/ngroups_max") > 0 && atol(buf) == 65536, "ngroups_max");
	CHECK(slurp("/proc/sys/kernel/cap_last_cap") > 0 && atol(buf) >= 40, "cap_last_cap");
	static char u1[64], u2[64];
	read_file("/proc/sys/kernel/random/uuid", u1, sizeof u1);
	read_file("/proc/sys/kernel/random/uuid", u2, sizeof u2);
	CHECK(is_uuid(u1) && is_uuid(u2) && strcmp(u1, u2) != 0, "random_uuid_fresh");
	read_file("/proc/sys/kernel/random/boot_id", u1, sizeof u1);
	read_file("/proc/sys/kernel/random/boot_id", u2, sizeof u2);
	CHECK(is_uuid(u1) && strcmp(u1, u2) == 0, "random_boot_id_stable");
	CHECK(slurp("/proc/sys/vm/overcommit_memory") > 0 && buf[0] >= '0' && buf[0] <= '2' &&
	      buf[1] == '\n', "overcommit_memory");
	CHECK(slurp("/proc/sys/fs/file-max") > 0 && atoll(buf) > 0, "file_max");
	CHECK(slurp("/proc/sys/fs/nr_open") > 0 && atol(buf) >= 1024, "nr_open");
	struct stat st;
	CHECK(stat("/proc/sys/kernel/hostname", &st) == 0 && (st.st_mode & 0777) == 0644,
	      "hostname_mode_0644");
}

static void test_dev_sys(void)
{
	/* A new session has no controlling terminal: /dev/tty is ENXIO. */
	pid_t c = fork();
	if (c == 0) {
		setsid();
		int fd = open("/dev/tty", O_RDWR);
		_exit(fd < 0 && errno == ENXIO ? 0 : 1);
	}
	int status;
	waitpid(c, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dev_tty_enxio_without_ctty");
	struct stat st;
	CHECK(stat("/dev/tty", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
	      minor(st.st_rdev) == 0, "dev_tty_is_5_0");
	char l[64];
	ssize_t n = readlink("/dev/fd", l, sizeof l - 1);
	l[n > 0 ? n : 0] = 0;
	CHECK_STR(l, "/proc/self/fd", "dev_fd_link");
	n = readlink("/dev/stdin", l, sizeof l - 1);
	l[n > 0 ? n : 0] = 0;
	CHECK_STR(l, "/proc/self/fd/0", "dev_stdin_link");
	CHECK(stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode), "dev_pts_dir");

	/* /dev/shm: a tmpfs of its own, where POSIX shared memory lives. */
	struct statfs sf;
	CHECK(statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC, "dev_shm_tmpfs");
	CHECK(stat("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777, "dev_shm_mode_1777");
	char name[64];
	snprintf(name, sizeof name, "/conf-shm-%d", getpid());
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK_OK(fd, "shm_open_create");
	CHECK_OK(ftruncate(fd, 4096), "shm_ftruncate");
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "shm_mmap");
	if (p != MAP_FAILED) {
		strcpy(p, "shared");
		int fd2 = shm_open(name, O_RDONLY, 0);
		char got[8] = { 0 };
		CHECK(fd2 >= 0 && pread(fd2, got, 6, 0) == 6 && strcmp(got, "shared") == 0,
		      "shm_data_visible");
		close(fd2);
		munmap(p, 4096);
	}
	close(fd);
	char path[128];
	snprintf(path, sizeof path, "/dev/shm%s", name);
	CHECK_EQ(access(path, F_OK), 0, "shm_file_in_dev_shm");
	CHECK_OK(shm_unlink(name), "shm_unlink");
	CHECK_ERR(access(path, F_OK), ENOENT, "shm_unlinked");

	/* /sys: CPUs as nproc reads them. */
	CHECK(read_file("/sys/devices/system/cpu/online", buf, sizeof buf) > 0 && buf[0] == '0',
	      "sys_cpu_online");
	CHECK(read_file("/sys/devices/system/cpu/possible", buf, sizeof buf) > 0, "sys_cpu_possible");
	CHECK(read_file("/sys/devices/system/cpu/present", buf, sizeof buf) > 0, "sys_cpu_present");
	CHECK(stat("/sys/devices/system/cpu/cpu0", &st) == 0 && S_ISDIR(st.st_mode), "sys_cpu0");
	CHECK(stat("/sys/fs/cgroup", &st) == 0 && S_ISDIR(st.st_mode), "sys_fs_cgroup");
}

int main(void)
{
	test_uptime_stat();
	test_meminfo();
	test_misc_files();
	test_sys();
	test_dev_sys();
	return conf_exit();
}
