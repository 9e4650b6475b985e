/*
 * /proc files about the whole sandbox: uptime, meminfo, stat, loadavg,
 * cpuinfo, filesystems, version, swaps, vmstat and the /proc/sys tree.
 * They describe the sandbox (its memory limit, its processes, its
 * hostname), not the host, except for the CPU model and the clocks, which
 * the guest shares with the host anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fs/procfs/procfs_internal.h"
#include "net/net.h"
#include "sentry/ipc.h"
#include "sentry/memfile.h"

/* ---- text buffers ---- */

static bool sb_reserve(struct sbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->len + more + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = nc;
	return true;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sb_put_escaped(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			sb_printf(b, "\\%03o", (unsigned char)*s);
		else
			sb_put(b, s, 1);
	}
}

long sb_done(struct sbuf *b, char **out)
{
	if (b->oom || !sb_reserve(b, 0)) {
		free(b->p);
		return -ENOMEM;
	}
	b->p[b->len] = 0;
	*out = b->p;
	return (long)b->len;
}

int proc_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static uint64_t ticks(uint64_t ns)
{
	return ns / (1000000000ULL / PROC_HZ);
}

/* ---- /proc ---- */

static long gen_uptime(struct sbuf *b)
{
	uint64_t ns = kernel_uptime_ns(), idle = ns * (uint64_t)proc_ncpus();
	sb_printf(b, "%lu.%02lu %lu.%02lu\n", ns / 1000000000, (ns / 10000000) % 100,
		  idle / 1000000000, (idle / 10000000) % 100);
	return 0;
}

static long gen_meminfo(struct sbuf *b)
{
	/*
	 * The sandbox's memory: its limit, and the pages it uses (as sysinfo):
	 * address space merely reserved (a JVM's heap, a sanitizer's shadow)
	 * is not memory in use.
	 */
	uint64_t total = kernel.mem_limit >> 10;
	uint64_t used = mf_used() >> 10;
	uint64_t free_kb = total > used ? total - used : 0;
	uint64_t anon = mf_used() >> 10;
	const struct {
		const char *name;
		uint64_t kb;
	} rows[] = {
		{ "MemTotal", total }, { "MemFree", free_kb }, { "MemAvailable", free_kb },
		{ "Buffers", 0 }, { "Cached", 0 }, { "SwapCached", 0 },
		{ "Active", anon }, { "Inactive", 0 }, { "Active(anon)", anon },
		{ "Inactive(anon)", 0 }, { "Active(file)", 0 }, { "Inactive(file)", 0 },
		{ "Unevictable", 0 }, { "Mlocked", 0 }, { "SwapTotal", 0 }, { "SwapFree", 0 },
		{ "Zswap", 0 }, { "Zswapped", 0 }, { "Dirty", 0 }, { "Writeback", 0 },
		{ "AnonPages", anon }, { "Mapped", 0 }, { "Shmem", 0 }, { "KReclaimable", 0 },
		{ "Slab", 0 }, { "SReclaimable", 0 }, { "SUnreclaim", 0 }, { "KernelStack", 0 },
		{ "PageTables", 0 }, { "SecPageTables", 0 }, { "NFS_Unstable", 0 }, { "Bounce", 0 },
		{ "WritebackTmp", 0 }, { "CommitLimit", total }, { "Committed_AS", used },
		{ "VmallocTotal", 34359738367ULL }, { "VmallocUsed", 0 }, { "VmallocChunk", 0 },
		{ "Percpu", 0 }, { "HardwareCorrupted", 0 }, { "AnonHugePages", 0 },
		{ "ShmemHugePages", 0 }, { "ShmemPmdMapped", 0 }, { "FileHugePages", 0 },
		{ "FilePmdMapped", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s:", rows[i].name);
		sb_printf(b, "%-15s %8lu kB\n", name, rows[i].kb);
	}
	sb_printf(b, "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
		     "HugePages_Surp:        0\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n");
	return 0;
}

static long gen_cpuinfo(struct sbuf *b)
{
	/* The host's CPU description, read once (the guest runs on these CPUs). */
	static char *cache;
	static size_t cache_len;
	if (!cache) {
		struct sbuf c = { 0 };
		int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[8192];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				sb_put(&c, buf, (size_t)n);
			close(fd);
		}
		char *text;
		long len = sb_done(&c, &text);
		if (len < 0)
			return len;
		cache = text;
		cache_len = (size_t)len;
	}
	sb_put(b, cache, cache_len);
	return 0;
}

static uint64_t boot_time_s(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t up = kernel_uptime_ns() / 1000000000ULL;
	return (uint64_t)now.tv_sec > up ? (uint64_t)now.tv_sec - up : 0;
}

static long gen_stat(struct sbuf *b)
{
	/* CPU time is not accounted per task yet: every CPU has been idle since boot. */
	int n = proc_ncpus();
	uint64_t idle = ticks(kernel_uptime_ns());
	sb_printf(b, "cpu  0 0 0 %lu 0 0 0 0 0 0\n", idle * (uint64_t)n);
	for (int i = 0; i < n; i++)
		sb_printf(b, "cpu%d 0 0 0 %lu 0 0 0 0 0 0\n", i, idle);
	int running, total, created;
	kernel_task_counts(&running, &total, &created);
	sb_printf(b, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\nprocs_blocked 0\n"
		     "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  boot_time_s(), created, running ? running : 1);
	return 0;
}

static long gen_loadavg(struct sbuf *b)
{
	int running, total, created;
	kernel_task_counts(&running, &total, &created);
	sb_printf(b, "0.00 0.00 0.00 %d/%d %d\n", running ? running : 1, total, created);
	return 0;
}

static long gen_filesystems(struct sbuf *b)
{
	static const char *const fs[] = { "sysfs", "tmpfs", "proc", "devtmpfs", "overlay",
					  "mqueue" };
	for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
		sb_printf(b, "nodev\t%s\n", fs[i]);
	return 0;
}

static long gen_version(struct sbuf *b)
{
	sb_printf(b, "Linux version " PROC_UTS_RELEASE " (sandbox@sandbox) (gcc) " PROC_UTS_VERSION
		     "\n");
	return 0;
}

static long gen_swaps(struct sbuf *b)
{
	sb_printf(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	return 0;
}

static long gen_vmstat(struct sbuf *b)
{
	uint64_t total = kernel.mem_limit / PAGE_SIZE, used = mf_used() / PAGE_SIZE;
	sb_printf(b, "nr_free_pages %lu\nnr_anon_pages %lu\nnr_mapped 0\nnr_file_pages 0\n"
		     "nr_dirty 0\nnr_writeback 0\nnr_shmem 0\npgpgin 0\npgpgout 0\npswpin 0\n"
		     "pswpout 0\npgfault 0\npgmajfault 0\n",
		  total > used ? total - used : 0, mf_used() / PAGE_SIZE);
	return 0;
}

/* ---- /proc/sys ---- */

static long gen_line(struct sbuf *b, const char *s)
{
	sb_printf(b, "%s\n", s);
	return 0;
}

static long gen_uts(struct sbuf *b, const char *field)
{
	char v[65];
	pthread_mutex_lock(&kernel.lock);
	memcpy(v, field, sizeof(v));
	pthread_mutex_unlock(&kernel.lock);
	v[64] = 0;
	return gen_line(b, v);
}

/* proc_dostring for a UTS name: up to 64 bytes, stopping at a newline. */
static long write_uts(char *field, const char *buf, size_t len)
{
	size_t n = 0;
	while (n < len && n < 64 && buf[n] != '\n' && buf[n])
		n++;
	pthread_mutex_lock(&kernel.lock);
	memset(field, 0, 65);
	memcpy(field, buf, n);
	pthread_mutex_unlock(&kernel.lock);
	return (long)len;
}

static long gen_hostname(struct sbuf *b) { return gen_uts(b, kernel.hostname); }
static long gen_domainname(struct sbuf *b) { return gen_uts(b, kernel.domainname); }
static long write_hostname(const char *buf, size_t len) { return write_uts(kernel.hostname, buf, len); }
static long write_domainname(const char *buf, size_t len)
{
	return write_uts(kernel.domainname, buf, len);
}
static long gen_ostype(struct sbuf *b) { return gen_line(b, "Linux"); }
static long gen_osrelease(struct sbuf *b) { return gen_line(b, PROC_UTS_RELEASE); }
static long gen_kversion(struct sbuf *b) { return gen_line(b, PROC_UTS_VERSION); }

/* Integer sysctls the guest may set (root only, by the files' modes); under vfs_lock. */
struct int_sysctl {
	int64_t value, min, max;
};

static struct int_sysctl sc_pid_max = { 4194304, 301, 4194304 };
static struct int_sysctl sc_threads_max = { 126764, 20, 1073741823 };
static struct int_sysctl sc_overcommit = { 0, 0, 2 };
static struct int_sysctl sc_max_map_count = { 65530, 0, 2147483647 };
static struct int_sysctl sc_file_max = { 9223372036854775807LL, 0, 9223372036854775807LL };
static struct int_sysctl sc_nr_open = { 1048576, 64, 1073741816 };

static long gen_int(struct sbuf *b, const struct int_sysctl *s)
{
	sb_printf(b, "%ld\n", s->value);
	return 0;
}

/* proc_dointvec_minmax: one decimal number, surrounding blanks allowed. */
static long write_int(struct int_sysctl *s, const char *buf, size_t len)
{
	char tmp[32];
	size_t i = 0, n = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
		i++;
	if (i == len)
		return (long)len;                /* nothing but blanks: no change */
	while (i < len && n < sizeof(tmp) - 1 && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
		tmp[n++] = buf[i++];
	tmp[n] = 0;
	char *end;
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (!n || *end || errno || v < s->min || v > s->max)
		return -EINVAL;
	s->value = v;
	return (long)len;
}

#define INT_SYSCTL(name, var)                                                                  \
	static long gen_##name(struct sbuf *b) { return gen_int(b, &var); }                    \
	static long write_##name(const char *buf, size_t len) { return write_int(&var, buf, len); }

INT_SYSCTL(pid_max, sc_pid_max)
INT_SYSCTL(threads_max, sc_threads_max)
INT_SYSCTL(overcommit, sc_overcommit)
INT_SYSCTL(max_map_count, sc_max_map_count)
INT_SYSCTL(file_max, sc_file_max)
INT_SYSCTL(nr_open, sc_nr_open)

static long gen_ngroups_max(struct sbuf *b) { return gen_line(b, "65536"); }
static long gen_cap_last_cap(struct sbuf *b) { return gen_line(b, "40"); }
static long gen_overflowid(struct sbuf *b) { return gen_line(b, "65534"); }
static long gen_entropy_avail(struct sbuf *b) { return gen_line(b, "256"); }
static long gen_poolsize(struct sbuf *b) { return gen_line(b, "256"); }

static long gen_file_nr(struct sbuf *b)
{
	sb_printf(b, "0\t0\t%ld\n", sc_file_max.value);
	return 0;
}

static void format_uuid(char *out, size_t cap)
{
	unsigned char u[16];
	if (getentropy(u, sizeof(u)) < 0)
		memset(u, 0x5a, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;        /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;        /* RFC 4122 variant */
	snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static long gen_uuid(struct sbuf *b)
{
	char s[40];
	format_uuid(s, sizeof(s));
	return gen_line(b, s);
}

static long gen_boot_id(struct sbuf *b)
{
	static char id[40];                  /* one per sandbox; set under vfs_lock */
	if (!id[0])
		format_uuid(id, sizeof(id));
	return gen_line(b, id);
}

/* net.ipv4.ping_group_range lives in net/ (ping sockets read it). */
static long gen_ping_group_range(struct sbuf *b)
{
	char s[32];
	net_ping_group_range_show(s, sizeof(s));
	sb_printf(b, "%s", s);
	return 0;
}

static long write_ping_group_range(const char *buf, size_t len)
{
	return net_ping_group_range_write(buf, len);
}

/* ---- SysV IPC (sentry/ipc.c): its sysctls and /proc/sysvipc ---- */

static long gen_ipc_sysctl(struct sbuf *b, const char *name)
{
	char s[96];
	long n = ipc_sysctl_show(name, s, sizeof(s));
	if (n < 0)
		return n;
	sb_put(b, s, (size_t)n);
	return 0;
}

#define IPC_SYSCTL(name)                                                                       \
	static long gen_ipc_##name(struct sbuf *b) { return gen_ipc_sysctl(b, #name); }        \
	static long write_ipc_##name(const char *buf, size_t len)                              \
	{                                                                                      \
		return ipc_sysctl_write(#name, buf, len);                                      \
	}

IPC_SYSCTL(shmmax)
IPC_SYSCTL(shmall)
IPC_SYSCTL(shmmni)
IPC_SYSCTL(sem)
IPC_SYSCTL(msgmax)
IPC_SYSCTL(msgmnb)
IPC_SYSCTL(msgmni)

/* Put text another module made (n bytes it allocated, or -errno) into b. */
static long put_text(struct sbuf *b, long n, char *text)
{
	if (n < 0)
		return n;
	sb_put(b, text, (size_t)n);
	free(text);
	return 0;
}

static long gen_sysvipc(struct sbuf *b, enum ipc_kind kind)
{
	char *text;
	long n = ipc_proc_text(kind, &text);
	return put_text(b, n, text);
}

static long gen_sysvipc_shm(struct sbuf *b) { return gen_sysvipc(b, IPC_KIND_SHM); }
static long gen_sysvipc_sem(struct sbuf *b) { return gen_sysvipc(b, IPC_KIND_SEM); }
static long gen_sysvipc_msg(struct sbuf *b) { return gen_sysvipc(b, IPC_KIND_MSG); }

/* ---- /proc/net: the sandbox's interfaces and sockets, from net/ ---- */

static long gen_net(struct sbuf *b, enum net_proc_file which)
{
	char *text;
	long n = net_proc_text(which, &text);
	return put_text(b, n, text);
}

static long gen_net_dev(struct sbuf *b) { return gen_net(b, NET_PROC_DEV); }
static long gen_net_tcp(struct sbuf *b) { return gen_net(b, NET_PROC_TCP); }
static long gen_net_tcp6(struct sbuf *b) { return gen_net(b, NET_PROC_TCP6); }
static long gen_net_udp(struct sbuf *b) { return gen_net(b, NET_PROC_UDP); }
static long gen_net_udp6(struct sbuf *b) { return gen_net(b, NET_PROC_UDP6); }
static long gen_net_unix(struct sbuf *b) { return gen_net(b, NET_PROC_UNIX); }
static long gen_net_route(struct sbuf *b) { return gen_net(b, NET_PROC_ROUTE); }
static long gen_net_if_inet6(struct sbuf *b) { return gen_net(b, NET_PROC_IF_INET6); }

/* ---- the table ---- */

enum {
	G_SYS = 0, G_KERNEL, G_RANDOM, G_VM, G_FS, G_NET, G_IPV4, G_PROC_NET, G_SYSVIPC,
};

const int proc_global_net_dir = G_PROC_NET;

#define DIR(n, p) { .name = n, .parent = p, .mode = S_IFDIR | 0555 }
#define RO(n, p, g) { .name = n, .parent = p, .mode = S_IFREG | 0444, .gen = g }
#define RW(n, p, g, w) { .name = n, .parent = p, .mode = S_IFREG | 0644, .gen = g, .write = w }
#define LNK(n, p, l) { .name = n, .parent = p, .mode = S_IFLNK | 0777, .link = l }

const struct global_entry proc_global_entries[] = {
	/* The directories come first: their indices are the enum above. */
	[G_SYS] = DIR("sys", -1),
	[G_KERNEL] = DIR("kernel", G_SYS),
	[G_RANDOM] = DIR("random", G_KERNEL),
	[G_VM] = DIR("vm", G_SYS),
	[G_FS] = DIR("fs", G_SYS),
	[G_NET] = DIR("net", G_SYS),
	[G_IPV4] = DIR("ipv4", G_NET),
	[G_PROC_NET] = DIR("net", -2),     /* seen as /proc/PID/net */
	[G_SYSVIPC] = DIR("sysvipc", -1),
	RO("cpuinfo", -1, gen_cpuinfo),
	RO("filesystems", -1, gen_filesystems),
	RO("loadavg", -1, gen_loadavg),
	RO("meminfo", -1, gen_meminfo),
	LNK("mounts", -1, "self/mounts"),
	LNK("net", -1, "self/net"),
	RO("stat", -1, gen_stat),
	RO("swaps", -1, gen_swaps),
	RO("uptime", -1, gen_uptime),
	RO("version", -1, gen_version),
	RO("vmstat", -1, gen_vmstat),
	RO("cap_last_cap", G_KERNEL, gen_cap_last_cap),
	RW("domainname", G_KERNEL, gen_domainname, write_domainname),
	RW("hostname", G_KERNEL, gen_hostname, write_hostname),
	RW("msgmax", G_KERNEL, gen_ipc_msgmax, write_ipc_msgmax),
	RW("msgmnb", G_KERNEL, gen_ipc_msgmnb, write_ipc_msgmnb),
	RW("msgmni", G_KERNEL, gen_ipc_msgmni, write_ipc_msgmni),
	RO("ngroups_max", G_KERNEL, gen_ngroups_max),
	RO("osrelease", G_KERNEL, gen_osrelease),
	RO("ostype", G_KERNEL, gen_ostype),
	RO("overflowgid", G_KERNEL, gen_overflowid),
	RO("overflowuid", G_KERNEL, gen_overflowid),
	RW("pid_max", G_KERNEL, gen_pid_max, write_pid_max),
	RW("sem", G_KERNEL, gen_ipc_sem, write_ipc_sem),
	RW("shmall", G_KERNEL, gen_ipc_shmall, write_ipc_shmall),
	RW("shmmax", G_KERNEL, gen_ipc_shmmax, write_ipc_shmmax),
	RW("shmmni", G_KERNEL, gen_ipc_shmmni, write_ipc_shmmni),
	RW("threads-max", G_KERNEL, gen_threads_max, write_threads_max),
	RO("version", G_KERNEL, gen_kversion),
	RO("boot_id", G_RANDOM, gen_boot_id),
	RO("entropy_avail", G_RANDOM, gen_entropy_avail),
	RO("poolsize", G_RANDOM, gen_poolsize),
	RO("uuid", G_RANDOM, gen_uuid),
	RW("max_map_count", G_VM, gen_max_map_count, write_max_map_count),
	RW("overcommit_memory", G_VM, gen_overcommit, write_overcommit),
	RW("file-max", G_FS, gen_file_max, write_file_max),
	RO("file-nr", G_FS, gen_file_nr),
	RW("nr_open", G_FS, gen_nr_open, write_nr_open),
	RW("ping_group_range", G_IPV4, gen_ping_group_range, write_ping_group_range),
	RO("dev", G_PROC_NET, gen_net_dev),
	RO("if_inet6", G_PROC_NET, gen_net_if_inet6),
	RO("route", G_PROC_NET, gen_net_route),
	RO("tcp", G_PROC_NET, gen_net_tcp),
	RO("tcp6", G_PROC_NET, gen_net_tcp6),
	RO("udp", G_PROC_NET, gen_net_udp),
	RO("udp6", G_PROC_NET, gen_net_udp6),
	RO("unix", G_PROC_NET, gen_net_unix),
	RO("msg", G_SYSVIPC, gen_sysvipc_msg),
	RO("sem", G_SYSVIPC, gen_sysvipc_sem),
	RO("shm", G_SYSVIPC, gen_sysvipc_shm),
};

const size_t proc_global_nentries = ARRAY_SIZE(proc_global_entries);
