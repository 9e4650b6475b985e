/*
 * Makes the syscalls named on its command line and prints each result, for
 * the OCI seccomp tests (tests/e2e/oci.sh), which run it in containers
 * under sandbox-runc and runc and compare:
 *
 *   personality:HEX   personality(HEX)
 *   unshare-user      unshare(CLONE_NEWUSER)
 *   mkdir:PATH        mkdir(PATH, 0755)
 *   mount-tmpfs:PATH  mount("none", PATH, "tmpfs", 0, NULL)
 *   keyctl            keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
 *   nr:N[:A0]         syscall N with A0 (default 0) and zeros
 *
 * One line each: "WHAT = VALUE" or "WHAT = -1 ENAME".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *colon = strchr(a, ':');
		const char *arg = colon ? colon + 1 : "";
		long r;
		errno = 0;
		if (!strncmp(a, "personality:", 12))
			r = syscall(SYS_personality, strtoul(arg, NULL, 16));
		else if (!strcmp(a, "unshare-user"))
			r = unshare(CLONE_NEWUSER);
		else if (!strncmp(a, "mkdir:", 6))
			r = mkdir(arg, 0755);
		else if (!strncmp(a, "mount-tmpfs:", 12))
			r = mount("none", arg, "tmpfs", 0, NULL);
		else if (!strcmp(a, "keyctl"))
			r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
		else if (!strncmp(a, "nr:", 3)) {
			char *end;
			long nr = strtol(arg, &end, 0);
			unsigned long a0 = *end == ':' ? strtoul(end + 1, NULL, 0) : 0;
			r = syscall(nr, a0, 0, 0, 0, 0, 0);
		}
		else {
			fprintf(stderr, "scmp_probe: unknown call %s\n", a);
			return 2;
		}
		show(a, r);
	}
	return 0;
}
