/* uname. */
#include "conformance.h"
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	CHECK_EQ(uname(&u), 0, "uname");
	CHECK_STR(u.sysname, "Linux", "sysname");
	CHECK_STR(u.machine, "x86_64", "machine");
	CHECK(u.release[0] >= '0' && u.release[0] <= '9', "release_numeric");
	int major = atoi(u.release);
	CHECK(major >= 3, "release_major_at_least_3");
	CHECK(u.version[0] != 0, "version_nonempty");
	CHECK(u.nodename[0] != 0, "nodename_nonempty");
	char host[256] = { 0 };
	gethostname(host, sizeof host);
	CHECK_STR(host, u.nodename, "gethostname_matches");
	CHECK_ERR(syscall(SYS_uname, BAD_PTR), EFAULT, "efault");
	struct utsname u2;
	uname(&u2);
	CHECK(memcmp(&u, &u2, sizeof u) == 0, "stable");
	return conf_exit();
}
