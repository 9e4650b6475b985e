/*
 * Writes, overwrites, appends to, chmods, renames and deletes files under
 * PREFIX/etc, PREFIX/usr/bin, PREFIX/tmp and PREFIX/, and appends a line to
 * PREFIX/etc/passwd, printing what it reads back so a caller can check that
 * the guest saw its own writes:
 *
 *   overlay_writes PREFIX TAG
 *
 * Each directory D must already hold D/sandbox-e2e-TAG (the "host" file).
 * The security test runs it in the sandbox with PREFIX "" (the real host
 * directories, which must stay unchanged) and natively with PREFIX set to a
 * scratch copy, and compares the two transcripts. Paths are printed without
 * PREFIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prefix;

static const char *full(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s%s", prefix, path);
	return buf;
}

static void show(const char *path)
{
	char p[4096], data[256];
	int fd = open(full(p, sizeof(p), path), O_RDONLY);
	if (fd < 0) {
		printf("%s: open: %s\n", path, strerror(errno));
		return;
	}
	ssize_t n = read(fd, data, sizeof(data) - 1);
	close(fd);
	data[n < 0 ? 0 : n] = 0;
	struct stat st;
	stat(p, &st);
	printf("%s: mode=%04o size=%lld data=", path, st.st_mode & 07777,
	       (long long)st.st_size);
	for (char *c = data; *c; c++)
		putchar(*c == '\n' ? '|' : *c);
	putchar('\n');
}

static void put(const char *path, const char *data, int flags)
{
	char p[4096];
	int fd = open(full(p, sizeof(p), path), O_WRONLY | flags, 0644);
	if (fd < 0) {
		printf("%s: open for write: %s\n", path, strerror(errno));
		return;
	}
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		printf("%s: write: %s\n", path, strerror(errno));
	close(fd);
}

static void exists(const char *path)
{
	char p[4096];
	struct stat st;
	int r = lstat(full(p, sizeof(p), path), &st);
	printf("%s: %s\n", path, r == 0 ? "exists" : strerror(errno));
}

static void one_dir(const char *dir, const char *tag)
{
	char host[256], created[512], renamed[512], sub[512], p[4096], q[4096];
	const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
	snprintf(host, sizeof(host), "%s%ssandbox-e2e-%s", dir, sep, tag);
	snprintf(created, sizeof(created), "%s-new", host);
	snprintf(renamed, sizeof(renamed), "%s-renamed", host);
	snprintf(sub, sizeof(sub), "%s-dir", host);

	show(host);
	put(created, "guest created this\n", O_CREAT | O_EXCL);
	show(created);
	put(host, "guest overwrote this\n", O_TRUNC);
	show(host);
	put(host, "and appended\n", O_APPEND);
	show(host);
	if (chmod(full(p, sizeof(p), host), 0600) != 0)
		printf("%s: chmod: %s\n", host, strerror(errno));
	show(host);
	if (rename(full(p, sizeof(p), created), full(q, sizeof(q), renamed)) != 0)
		printf("%s: rename: %s\n", created, strerror(errno));
	exists(created);
	show(renamed);
	if (mkdir(full(p, sizeof(p), sub), 0700) != 0)
		printf("%s: mkdir: %s\n", sub, strerror(errno));
	exists(sub);
	if (unlink(full(p, sizeof(p), host)) != 0)
		printf("%s: unlink: %s\n", host, strerror(errno));
	exists(host);
	if (unlink(full(p, sizeof(p), renamed)) != 0)
		printf("%s: unlink: %s\n", renamed, strerror(errno));
	exists(renamed);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: overlay_writes PREFIX TAG\n");
		return 2;
	}
	prefix = argv[1];
	umask(022);
	const char *dirs[] = {"/etc", "/usr/bin", "/tmp", "/"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		one_dir(dirs[i], argv[2]);

	char p[4096], line[4096];
	put("/etc/passwd", "sandbox-e2e-probe-line\n", O_APPEND);
	FILE *f = fopen(full(p, sizeof(p), "/etc/passwd"), "r");
	const char *last = "(none)";
	while (f && fgets(line, sizeof(line), f))
		last = line;
	printf("/etc/passwd last line: %s", last);
	if (f)
		fclose(f);
	return 0;
}
