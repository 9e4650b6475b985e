/*
 * The runtime's log (--log FILE, --log-format text|json): runc's formats,
 * so containerd's shim can read our errors back from its log.json.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "oci/oci.h"

static void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

void oci_log(const struct oci_global *g, const char *level, const char *fmt, ...)
{
	if (!g->log || (!strcmp(level, "debug") && !g->debug))
		return;
	char msg[4096], when[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rfc3339_now(when, sizeof(when));
	char *line = NULL;
	if (g->log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
	} else {
		/* logrus's text format: time="..." level=error msg="..." */
		json_t *q = json_string(msg);
		char *quoted = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
		json_decref(q);
		if (quoted && asprintf(&line, "time=\"%s\" level=%s msg=%s\n", when, level, quoted) < 0)
			line = NULL;
		free(quoted);
	}
	if (!line)
		return;
	int fd = open(g->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t r = write(fd, line, strlen(line));
		(void)r;
		close(fd);
	}
	free(line);
}
