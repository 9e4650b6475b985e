/* /proc/self/status. */
#include "conformance.h"

static char status[16384];

static const char *field(const char *name)
{
	static char val[256];
	size_t n = strlen(name);
	for (char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t k = strcspn(v, "\n");
			if (k >= sizeof val)
				k = sizeof val - 1;
			memcpy(val, v, k);
			val[k] = 0;
			return val;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	(void)argc;
	CHECK(read_file("/proc/self/status", status, sizeof status) > 0, "read");

	char name[16];
	const char *base = strrchr(argv[0], '/');
	snprintf(name, sizeof name, "%s", base ? base + 1 : argv[0]);
	CHECK_STR(field("Name"), name, "name");
	char num[64];
	snprintf(num, sizeof num, "%d", getpid());
	CHECK_STR(field("Pid"), num, "pid");
	CHECK_STR(field("Tgid"), num, "tgid");
	snprintf(num, sizeof num, "%d", getppid());
	CHECK_STR(field("PPid"), num, "ppid");
	char ids[128];
	snprintf(ids, sizeof ids, "%d\t%d\t%d\t%d", getuid(), geteuid(), geteuid(), geteuid());
	CHECK_STR(field("Uid"), ids, "uid");
	snprintf(ids, sizeof ids, "%d\t%d\t%d\t%d", getgid(), getegid(), getegid(), getegid());
	CHECK_STR(field("Gid"), ids, "gid");

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", getpid());
	static char other[16384];
	CHECK(read_file(path, other, sizeof other) > 0 && strncmp(other, status, 32) == 0, "proc_pid_status");
	return conf_exit();
}
