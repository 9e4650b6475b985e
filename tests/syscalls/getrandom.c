/* getrandom. */
#include "conformance.h"
#include <sys/random.h>

static int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int main(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	CHECK_EQ(getrandom(a, sizeof a, 0), 64, "fills");
	CHECK(!all_zero(a, sizeof a), "not_all_zero");
	CHECK_EQ(getrandom(b, sizeof b, 0), 64, "second_call");
	CHECK(memcmp(a, b, sizeof a) != 0, "calls_differ");
	CHECK_EQ(getrandom(a, sizeof a, GRND_NONBLOCK), 64, "nonblock");
	CHECK_EQ(getrandom(a, sizeof a, GRND_RANDOM), 64, "grnd_random");
	CHECK_EQ(getrandom(a, 0, 0), 0, "len_zero");
	static unsigned char big[1 << 16];
	CHECK_EQ(getrandom(big, sizeof big, 0), sizeof big, "large_64k");
	/* Byte histogram sanity: every value appears in 64 KiB. */
	int seen[256] = { 0 }, all = 1;
	for (size_t i = 0; i < sizeof big; i++)
		seen[big[i]] = 1;
	for (int i = 0; i < 256; i++)
		all &= seen[i];
	CHECK(all, "large_covers_all_bytes");

	CHECK_ERR(getrandom(a, sizeof a, 0x100), EINVAL, "bad_flags");
	CHECK_ERR(getrandom(a, sizeof a, GRND_RANDOM | GRND_INSECURE), EINVAL, "random_and_insecure");
	CHECK_ERR(syscall(SYS_getrandom, BAD_PTR, 16, 0), EFAULT, "efault");
	return conf_exit();
}
