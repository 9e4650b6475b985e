/*
 * Cold path walks racing with changes to the same directories.
 *
 *   walk_race setup DIR   makes DIR/d0..d15, each with f0..f199
 *   walk_race run DIR     races, then checks and prints the final state
 *
 * Run on a tree the host made before the sandbox started, every walk of
 * the race is a cold lookup of the overlay's lower layer, which the
 * sentry makes without its VFS lock (fs/overlay/overlay.c): four threads
 * stat every file while a fifth unlinks, renames and creates names in
 * each directory and replaces the last one with a new, empty directory
 * (an opaque one in the overlay). A lookup that raced a change must not
 * bring back what the change removed, so the final state printed is the
 * same as natively.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NDIRS 16
#define NFILES 200
#define WALKERS 4

static const char *root;
static int errors;          /* a stat failing but with ENOENT of a changed name (atomic) */

static void name_of(char *buf, size_t cap, int d, const char *prefix, int f)
{
	snprintf(buf, cap, "%s/d%d/%s%d", root, d, prefix, f);
}

static int touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int setup(void)
{
	char p[4096];
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return 1;
	for (int d = 0; d < NDIRS; d++) {
		snprintf(p, sizeof(p), "%s/d%d", root, d);
		if (mkdir(p, 0755) < 0)
			return 1;
		for (int f = 0; f < NFILES; f++) {
			name_of(p, sizeof(p), d, "f", f);
			if (touch(p) < 0)
				return 1;
		}
	}
	return 0;
}

static pthread_barrier_t dir_start;   /* all five threads start each directory together */

static void *walker(void *arg)
{
	long id = (long)arg;
	char p[4096];
	struct stat st;
	for (int d = 0; d < NDIRS; d++) {
		pthread_barrier_wait(&dir_start);
		/* Two forwards, two backwards: each crosses the changer's way through d. */
		for (int i = 0; i < NFILES; i++) {
			int f = id & 1 ? NFILES - 1 - i : i;
			name_of(p, sizeof(p), d, "f", f);
			/* f150 on are never changed (but in the last directory): always there. */
			bool kept = d < NDIRS - 1 && f >= 150;
			if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
			    (errno != ENOENT || kept))
				__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* In each directory but the last: unlink f0..f99, rename f100..f149 to g, create h0..h9. */
static int change_dir(int d)
{
	char a[4096], b[4096];
	for (int f = 0; f < 100; f++) {
		name_of(a, sizeof(a), d, "f", f);
		if (unlink(a) < 0)
			return -1;
	}
	for (int f = 100; f < 150; f++) {
		name_of(a, sizeof(a), d, "f", f);
		name_of(b, sizeof(b), d, "g", f);
		if (rename(a, b) < 0)
			return -1;
	}
	for (int f = 0; f < 10; f++) {
		name_of(a, sizeof(a), d, "h", f);
		if (touch(a) < 0)
			return -1;
	}
	return 0;
}

/* The last directory: emptied, removed and made again with one new file. */
static int replace_dir(int d)
{
	char a[4096];
	for (int f = 0; f < NFILES; f++) {
		name_of(a, sizeof(a), d, "f", f);
		if (unlink(a) < 0)
			return -1;
	}
	snprintf(a, sizeof(a), "%s/d%d", root, d);
	if (rmdir(a) < 0 || mkdir(a, 0755) < 0)
		return -1;
	name_of(a, sizeof(a), d, "new", 0);
	return touch(a);
}

static void *changer(void *arg)
{
	int rc = 0;
	for (int d = 0; d < NDIRS; d++) {
		pthread_barrier_wait(&dir_start);
		if (!rc)
			rc = d < NDIRS - 1 ? change_dir(d) : replace_dir(d);
	}
	*(int *)arg = rc;
	return NULL;
}

/* 1 if the path exists, 0 if not, -1 on another error. */
static int exists(const char *p)
{
	struct stat st;
	if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static int entries(int d)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/d%d", root, d);
	DIR *dir = opendir(p);
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dir);
	return n;
}

static int run(void)
{
	pthread_t w[WALKERS], c;
	int changed = 0;
	pthread_barrier_init(&dir_start, NULL, WALKERS + 1);
	for (long i = 0; i < WALKERS; i++)
		if (pthread_create(&w[i], NULL, walker, (void *)i))
			return 1;
	if (pthread_create(&c, NULL, changer, &changed))
		return 1;
	for (int i = 0; i < WALKERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(c, NULL);
	printf("changes %s, walk errors %d\n", changed == 0 ? "made" : "FAILED", errors);
	/* What each directory holds now, by kind of name. */
	char p[4096];
	for (int d = 0; d < NDIRS; d++) {
		int f_left = 0, g = 0, h = 0, other = 0;
		for (int f = 0; f < NFILES; f++) {
			name_of(p, sizeof(p), d, "f", f);
			int x = exists(p);
			f_left += x == 1;
			other += x < 0;
			name_of(p, sizeof(p), d, "g", f);
			x = exists(p);
			g += x == 1;
			other += x < 0;
			name_of(p, sizeof(p), d, "h", f);
			x = exists(p);
			h += x == 1;
			other += x < 0;
		}
		name_of(p, sizeof(p), d, "new", 0);
		printf("d%d: f %d, g %d, h %d, new %d, errors %d, listed %d\n", d, f_left, g, h,
		       exists(p), other, entries(d));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: walk_race setup|run DIR\n");
		return 2;
	}
	root = argv[2];
	if (!strcmp(argv[1], "setup"))
		return setup();
	return run();
}
