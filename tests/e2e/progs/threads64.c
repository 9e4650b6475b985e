/* 64 threads that each take a mutex once; prints how many ran. */
#include <pthread.h>
#include <stdio.h>
static int n; static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *run(void *a) { pthread_mutex_lock(&m); n++; pthread_mutex_unlock(&m); return a; }
int main() { pthread_t t[64]; for (int i = 0; i < 64; i++) if (pthread_create(&t[i], 0, run, 0)) { perror("create"); return 1; } for (int i = 0; i < 64; i++) pthread_join(t[i], 0); printf("%d threads done\n", n); return 0; }
