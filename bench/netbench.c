/*
 * Socket benchmarks for bench/run.sh. Each mode forks its peer (so one
 * program measures both ends under the same runtime) and prints one line
 * "KEY VALUE":
 *
 *   netbench tcp-stream MIB          loopback TCP, MIB MiB one way: tcp_stream_gbps
 *   netbench tcp-connect N           N connect+close to a loopback listener: tcp_connect_per_s
 *   netbench unix-pingpong N         1-byte ping-pong over a unix socketpair: unix_pingpong_ns
 *   netbench udp-pps N               N 64-byte loopback datagrams, acked every 64: udp_pps
 *   netbench tcp-send ADDR PORT MIB  MIB MiB to a tcp-sink elsewhere: tcp_send_gbps
 *   netbench tcp-sink PORT           (no fork) listen on 127.0.0.1:PORT (0: any), print
 *                                    "listening PORT", accept one connection, read it to
 *                                    EOF, answer one byte, exit
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define UDP_WINDOW 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = read(fd, (char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read");
		done += (size_t)r;
	}
}

static void write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("write");
		done += (size_t)r;
	}
}

/* A socket of type bound to 127.0.0.1:port (0: any), its address in *sa. */
static int bound(int type, uint16_t port, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("bind");
	socklen_t len = sizeof(*sa);
	if (getsockname(fd, (struct sockaddr *)sa, &len) < 0)
		die("getsockname");
	if (type == SOCK_STREAM && listen(fd, 128) < 0)
		die("listen");
	return fd;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect");
	return fd;
}

/* Read a connection to EOF, then answer one byte. */
static void sink_one(int lfd)
{
	int c = accept(lfd, NULL, NULL);
	if (c < 0)
		die("accept");
	static char buf[CHUNK];
	for (;;) {
		ssize_t r = read(c, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			break;
	}
	write_full(c, "k", 1);
	close(c);
}

/* Send mib MiB on fd, half-close, wait for the sink's byte; seconds taken. */
static double send_stream(int fd, long mib)
{
	static char buf[CHUNK];
	memset(buf, 'x', sizeof(buf));
	double t0 = now_s();
	for (long i = 0; i < mib * (1024 * 1024 / CHUNK); i++)
		write_full(fd, buf, sizeof(buf));
	shutdown(fd, SHUT_WR);
	char k;
	read_full(fd, &k, 1);
	return now_s() - t0;
}

static void reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "netbench: peer failed\n");
		exit(1);
	}
}

/* A loopback listener served by a forked child running serve(lfd, n); its pid. */
static pid_t tcp_server(void (*serve)(int lfd, long n), long n, struct sockaddr_in *sa)
{
	int lfd = bound(SOCK_STREAM, 0, sa);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		serve(lfd, n);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static void serve_sink(int lfd, long n)
{
	(void)n;
	sink_one(lfd);
}

static void serve_accept_close(int lfd, long n)
{
	for (long i = 0; i < n; i++) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			die("accept");
		close(c);
	}
}

static void tcp_stream(long mib)
{
	struct sockaddr_in sa;
	pid_t pid = tcp_server(serve_sink, 0, &sa);
	int fd = connect_to(&sa);
	double s = send_stream(fd, mib);
	close(fd);
	reap(pid);
	printf("tcp_stream_gbps %.3f\n", (double)mib * 8 * 1024 * 1024 / s / 1e9);
}

static void tcp_connect(long n)
{
	struct sockaddr_in sa;
	pid_t pid = tcp_server(serve_accept_close, n, &sa);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		int fd = connect_to(&sa);
		char b;
		/* The server's close: EOF (or a reset) ends the exchange. */
		while (read(fd, &b, 1) < 0 && errno == EINTR)
			;
		close(fd);
	}
	double s = now_s() - t0;
	reap(pid);
	printf("tcp_connect_per_s %.0f\n", (double)n / s);
}

static void unix_pingpong(long n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	char b = 'p';
	if (pid == 0) {
		close(sv[0]);
		for (long i = 0; i < n; i++) {
			read_full(sv[1], &b, 1);
			write_full(sv[1], &b, 1);
		}
		_exit(0);
	}
	close(sv[1]);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		write_full(sv[0], &b, 1);
		read_full(sv[0], &b, 1);
	}
	double s = now_s() - t0;
	reap(pid);
	printf("unix_pingpong_ns %.0f\n", s * 1e9 / (double)n);
}

static void udp_pps(long n)
{
	struct sockaddr_in rx_sa, tx_sa;
	int rx = bound(SOCK_DGRAM, 0, &rx_sa);
	int tx = bound(SOCK_DGRAM, 0, &tx_sa);
	n -= n % UDP_WINDOW;
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	char buf[64] = { 0 };
	if (pid == 0) {
		/* Receiver: count datagrams, ack every window (no loss, no overrun). */
		close(tx);
		for (long i = 1; i <= n; i++) {
			if (recv(rx, buf, sizeof(buf), 0) < 0)
				die("recv");
			if (i % UDP_WINDOW == 0 &&
			    sendto(rx, "a", 1, 0, (struct sockaddr *)&tx_sa, sizeof(tx_sa)) < 0)
				die("sendto ack");
		}
		_exit(0);
	}
	close(rx);
	double t0 = now_s();
	for (long i = 1; i <= n; i++) {
		if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&rx_sa, sizeof(rx_sa)) < 0)
			die("sendto");
		if (i % UDP_WINDOW == 0 && recv(tx, buf, sizeof(buf), 0) < 0)
			die("recv ack");
	}
	double s = now_s() - t0;
	reap(pid);
	printf("udp_pps %.0f\n", (double)n / s);
}

static void tcp_send(const char *addr, long port, long mib)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "netbench: bad address %s\n", addr);
		exit(2);
	}
	int fd = connect_to(&sa);
	double s = send_stream(fd, mib);
	close(fd);
	printf("tcp_send_gbps %.3f\n", (double)mib * 8 * 1024 * 1024 / s / 1e9);
}

static void tcp_sink(long port)
{
	struct sockaddr_in sa;
	int lfd = bound(SOCK_STREAM, (uint16_t)port, &sa);
	printf("listening %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	sink_one(lfd);
}

static long num_min(const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < min) {
		fprintf(stderr, "netbench: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static long num(const char *s)
{
	return num_min(s, 1);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "tcp-stream"))
		tcp_stream(num(argv[2]));
	else if (argc == 3 && !strcmp(argv[1], "tcp-connect"))
		tcp_connect(num(argv[2]));
	else if (argc == 3 && !strcmp(argv[1], "unix-pingpong"))
		unix_pingpong(num(argv[2]));
	else if (argc == 3 && !strcmp(argv[1], "udp-pps"))
		udp_pps(num(argv[2]));
	else if (argc == 5 && !strcmp(argv[1], "tcp-send"))
		tcp_send(argv[2], num(argv[3]), num(argv[4]));
	else if (argc == 3 && !strcmp(argv[1], "tcp-sink"))
		tcp_sink(num_min(argv[2], 0));
	else {
		fprintf(stderr, "usage: netbench tcp-stream MIB | tcp-connect N | unix-pingpong N |"
				" udp-pps N | tcp-send ADDR PORT MIB | tcp-sink PORT\n");
		return 2;
	}
	return 0;
}
