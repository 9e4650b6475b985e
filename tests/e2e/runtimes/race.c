/* A data race that ThreadSanitizer reports (it reserves about 100 TiB of
 * PROT_NONE address space around its shadow). */
#include <pthread.h>
#include <stdio.h>

static int counter;

static void *bump(void *arg)
{
	(void)arg;
	counter++;
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, bump, NULL);
	counter++;
	pthread_join(t, NULL);
	printf("counter %d\n", counter);
	return 0;
}
