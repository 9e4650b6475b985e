/* getpid/getppid/gettid consistency (no specific values assumed). */
#include "conformance.h"

int main(void)
{
	pid_t pid = getpid();
	CHECK(pid > 0, "pid_positive");
	CHECK_EQ(syscall(SYS_getpid), pid, "raw_getpid_matches");
	CHECK_EQ(getpid(), pid, "pid_stable");
	CHECK_EQ(syscall(SYS_gettid), pid, "tid_equals_pid_single_thread");
	CHECK_EQ(gettid(), pid, "glibc_gettid");
	pid_t ppid = getppid();
	CHECK(ppid >= 0 && ppid != pid, "ppid_differs");
	CHECK_EQ(syscall(SYS_getppid), ppid, "raw_getppid_matches");
	CHECK_EQ(getpgid(0), getpgrp(), "getpgid_zero_is_getpgrp");
	CHECK(getpgrp() > 0, "pgrp_positive");
	CHECK_EQ(getpgid(pid), getpgrp(), "getpgid_self");
	/* 0 when the session leader lives in an ancestor pid namespace (CI
	 * runners start us that way). */
	CHECK(getsid(0) >= 0, "sid_not_negative");
	CHECK_EQ(getsid(pid), getsid(0), "getsid_self");
	CHECK_ERR(getpgid(-1), ESRCH, "getpgid_negative");
	CHECK_ERR(getsid(-1), ESRCH, "getsid_negative");
	return conf_exit();
}
