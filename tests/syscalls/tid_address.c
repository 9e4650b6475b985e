/* set_tid_address returns the caller's tid. */
#include "conformance.h"

int main(void)
{
	static int word = 7;
	pid_t tid = syscall(SYS_gettid);
	CHECK_EQ(syscall(SYS_set_tid_address, &word), tid, "returns_tid");
	CHECK_EQ(word, 7, "word_untouched");
	CHECK_EQ(syscall(SYS_set_tid_address, NULL), tid, "null_ok");
	CHECK_EQ(syscall(SYS_set_tid_address, BAD_PTR), tid, "bad_pointer_not_checked");
	CHECK_EQ(syscall(SYS_set_tid_address, &word), getpid(), "tid_is_pid");
	return conf_exit();
}
