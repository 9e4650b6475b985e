/* prctl options beyond names: PR_SET/GET_KEEPCAPS (and its effect across a
 * uid change), PR_SET/GET_NO_NEW_PRIVS (one way, inherited), PR_SET/GET_
 * DUMPABLE, PR_CAPBSET_READ/DROP, PR_SET/GET_TIMERSLACK, and their errors.
 */
#include "conformance.h"
#include <sys/prctl.h>
#include <linux/capability.h>

static int capget_permitted(uint32_t *perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	*perm = d[0].permitted;
	return 0;
}

int main(void)
{
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0, "keepcaps_default_off");
	CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL, "keepcaps_2_einval");
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1, "dumpable_default");
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 3, 0, 0, 0), EINVAL, "dumpable_3_einval");
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0, "set_not_dumpable");
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "not_dumpable");
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0, "set_dumpable_again");
	CHECK_EQ(prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0), 0, "set_timerslack");
	CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 123456, "get_timerslack");
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0), 1, "capbset_has_net_raw");
	CHECK_ERR(prctl(PR_CAPBSET_READ, 200, 0, 0, 0), EINVAL, "capbset_read_bad_einval");

	pid_t pid = fork();
	if (pid == 0) {
		/* Keep-caps: a uid change from root keeps the permitted set, not the effective one. */
		uint32_t perm = 0;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 1)
			_exit(2);
		if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) ||
		    prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 0)
			_exit(3);
		if (setresuid(1000, 1000, 1000) || capget_permitted(&perm) || !(perm & (1u << CAP_CHOWN)))
			_exit(4);
		if (prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0) != -1 || errno != EPERM)
			_exit(5);
		_exit(0);
	}
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "keepcaps_and_capbset_drop");

	pid = fork();
	if (pid == 0) {
		uint32_t perm = 1;
		if (setresuid(1000, 1000, 1000) || capget_permitted(&perm) || perm != 0)
			_exit(2);
		_exit(0);
	}
	SETUP(waitpid(pid, &st, 0));
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "without_keepcaps_permitted_cleared");

	pid = fork();
	if (pid == 0) {
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
			_exit(2);
		if (prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0) != -1 || errno != EINVAL)
			_exit(3);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(4);
		pid_t g = fork();
		if (g == 0)
			_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
		int gs;
		waitpid(g, &gs, 0);
		_exit(WIFEXITED(gs) && WEXITSTATUS(gs) == 0 ? 0 : 5);
	}
	SETUP(waitpid(pid, &st, 0));
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "no_new_privs_set_and_inherited");
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0, "parent_unaffected");
	return conf_exit();
}
