/*
 * Makes a 32-bit system call with `int $0x80` from a 64-bit process:
 *   int80 mkdir PATH   eax=39 (i386 mkdir), ebx=PATH, ecx=0755
 *   int80 open PATH    eax=5 (i386 open), ebx=PATH, ecx=O_CREAT|O_WRONLY, edx=0644
 *   int80 mkdir-thread PATH   the mkdir from a second thread (a thread's host
 *                      thread runs under more than one seccomp filter)
 * PATH is copied into a static buffer, which lies below 4 GiB because the
 * program is linked -static -no-pie, so a real i386 call would reach it.
 * On x86-64 the same numbers mean getpid (39) and fstat (5): a sandbox that
 * read the call as a 64-bit one would return the guest pid for "mkdir".
 * Prints the raw result and whether PATH exists afterwards (guest's view).
 *
 * NEVER RUN THIS NATIVELY: on a host with IA32 emulation it creates PATH.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[256];
static long nr, a1, a2, ret;

static void *call(void *arg)
{
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"((long)(uintptr_t)path), "c"(a1), "d"(a2)
			 : "memory");
	return arg;
}

int main(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[3], "--i-am-sandboxed") != 0 || getpid() != 1) {
		fprintf(stderr, "int80: usage: int80 mkdir|open|mkdir-thread PATH --i-am-sandboxed (pid 1 only)\n");
		return 2;
	}
	if ((uintptr_t)path >= (1ull << 32)) {
		fprintf(stderr, "int80: buffer above 4 GiB; link with -static -no-pie\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s", argv[2]);
	bool thread = strcmp(argv[1], "mkdir-thread") == 0;
	if (strcmp(argv[1], "mkdir") == 0 || thread) {
		nr = 39;
		a1 = 0755;
		a2 = 0;
	} else {
		nr = 5;
		a1 = 0101; /* i386 O_CREAT|O_WRONLY */
		a2 = 0644;
	}
	printf("calling int $0x80 eax=%ld\n", nr);
	fflush(stdout);
	pthread_t th;
	if (!thread)
		call(NULL);
	else if (pthread_create(&th, NULL, call, NULL) || pthread_join(th, NULL))
		return 2;
	struct stat st;
	printf("int80 %s ret=%ld getpid=%d exists=%d\n", argv[1], ret, (int)getpid(),
	       stat(path, &st) == 0);
	return 0;
}
