/* /proc/self/maps. */
#include "conformance.h"
#include <sys/mman.h>

static char maps[1 << 18];

static void load(void)
{
	read_file("/proc/self/maps", maps, sizeof maps);
}

/* The line whose range starts at ADDR, or NULL. */
static char *line_at(void *addr)
{
	char key[32];
	snprintf(key, sizeof key, "%lx-", (unsigned long)addr);
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, strlen(key)) == 0)
			return l;
	return NULL;
}

static int perms_at(void *addr, const char *perms)
{
	char *l = line_at(addr);
	if (!l)
		return 0;
	char *sp = strchr(l, ' ');
	return sp && strncmp(sp + 1, perms, 4) == 0;
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char exe[PATH_MAX];
	SETUP(realpath("/proc/self/exe", exe) ? 0 : -1);

	load();
	CHECK(strlen(maps) > 0, "nonempty");
	CHECK(strstr(maps, exe) != NULL, "contains_exe");
	CHECK(strstr(maps, "[stack]") != NULL, "contains_stack");

	/* Every line parses, ranges are ordered and do not overlap. */
	int good = 1, lines = 0;
	unsigned long prev_end = 0;
	for (char *l = maps; *l;) {
		unsigned long s, e, off, ino;
		char perms[5];
		unsigned maj, min;
		if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu", &s, &e, perms, &off, &maj, &min, &ino) != 7 ||
		    s >= e || s < prev_end || strlen(perms) != 4 || (perms[3] != 'p' && perms[3] != 's'))
			good = 0;
		prev_end = e;
		lines++;
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	CHECK(good && lines >= 3, "well_formed_sorted");

	/* The stack line covers a local variable. */
	int local;
	char *sl = strstr(maps, "[stack]");
	while (sl && sl > maps && sl[-1] != '\n')
		sl--;
	unsigned long ss = 0, se = 0;
	if (sl)
		sscanf(sl, "%lx-%lx", &ss, &se);
	CHECK((unsigned long)&local >= ss && (unsigned long)&local < se, "stack_covers_local");

	char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(a + pg, pg, PROT_NONE);
	mprotect(a + 2 * pg, pg, PROT_READ);
	load();
	CHECK(perms_at(a, "rw-p"), "anon_rw_line");
	CHECK(perms_at(a + pg, "---p"), "prot_none_line");
	CHECK(perms_at(a + 2 * pg, "r--p"), "read_only_line");
	munmap(a, 3 * pg);
	load();
	CHECK(line_at(a) == NULL && line_at(a + pg) == NULL, "unmapped_gone");

	SETUP(write_file(T("mapped"), "data"));
	char real[PATH_MAX];
	realpath(T("mapped"), real);
	int fd = open(T("mapped"), O_RDONLY);
	char *m = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	load();
	char *l = line_at(m);
	char *nl = l ? strchr(l, '\n') : NULL;
	if (nl)
		*nl = 0;
	CHECK(l && strstr(l, real) && perms_at(m, "r--p"), "file_mapping_line");
	munmap(m, pg);
	CHECK(strstr(exe, "proc_maps") != NULL, "exe_is_this_test");
	return conf_exit();
}
