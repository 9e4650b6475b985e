/*
 * Container state under --root: ROOT/ID/state.json (written by `create`),
 * ROOT/ID/control.sock (the sentry daemon's), ROOT/ID/sentry.log. The
 * status comes from the daemon when it answers, else from /proc: a daemon
 * that is gone (or a zombie, or a new process with its pid) is "stopped".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/oci.h"

bool oci_valid_id(const char *id)
{
	if (!id || !id[0] || strlen(id) > 200 || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

uint64_t oci_pid_start(int pid)
{
	if (pid <= 0)
		return 0;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* After the command name in parentheses: state, then field 4 on; starttime is 22. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	if (state == 'Z' || state == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

const char *oci_status_name(enum oci_status s)
{
	switch (s) {
	case OCI_CREATING: return "creating";
	case OCI_CREATED: return "created";
	case OCI_RUNNING: return "running";
	default: return "stopped";
	}
}

static void state_dir(const struct oci_global *g, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", g->root, id);
}

/* The live status: the daemon's answer, or stopped. */
static enum oci_status probe_status(struct oci_state *st)
{
	uint64_t start = oci_pid_start(st->pid);
	if (!start || (st->pid_start && start != st->pid_start))
		return OCI_STOPPED;
	struct oci_error err;
	json_t *req = json_pack("{s:s}", "op", "state");
	json_t *rep = req ? oci_control_call(st->dir, req, &err) : NULL;
	json_decref(req);
	enum oci_status s = OCI_STOPPED;
	if (rep) {
		const char *name = json_string_value(json_object_get(rep, "status"));
		if (name && !strcmp(name, "created"))
			s = OCI_CREATED;
		else if (name && !strcmp(name, "running"))
			s = OCI_RUNNING;
		json_decref(rep);
	} else if (oci_pid_start(st->pid) == start) {
		/* Alive but not answering: still booting, or wedged. */
		s = OCI_CREATING;
	}
	return s;
}

int oci_state_load(const struct oci_global *g, const char *id, struct oci_state *st,
		   struct oci_error *err)
{
	memset(st, 0, sizeof(*st));
	if (!oci_valid_id(id))
		return oci_fail(err, "invalid container id \"%s\"", id ? id : "");
	snprintf(st->id, sizeof(st->id), "%s", id);
	state_dir(g, id, st->dir, sizeof(st->dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		if (errno == ENOENT || access(path, F_OK) != 0)
			return oci_fail(err, "container \"%s\" does not exist", id);
		return oci_fail(err, "%s: %s", path, je.text);
	}
	st->pid = (int)json_integer_value(json_object_get(j, "pid"));
	st->pid_start = (uint64_t)json_integer_value(json_object_get(j, "pid_start"));
	snprintf(st->bundle, sizeof(st->bundle), "%s",
		 json_string_value(json_object_get(j, "bundle")) ?: "");
	snprintf(st->created, sizeof(st->created), "%s",
		 json_string_value(json_object_get(j, "created")) ?: "");
	json_t *a = json_object_get(j, "annotations");
	st->annotations = json_is_object(a) ? json_incref(a) : NULL;
	json_t *h = json_object_get(j, "hooks");
	st->hooks = json_is_object(h) ? json_incref(h) : NULL;
	json_decref(j);
	st->status = probe_status(st);
	return 0;
}

void oci_state_free(struct oci_state *st)
{
	json_decref(st->annotations);
	json_decref(st->hooks);
	st->annotations = st->hooks = NULL;
}

int oci_state_save(const struct oci_state *st, struct oci_error *err)
{
	json_t *j = json_pack("{s:s, s:i, s:I, s:s, s:s}", "id", st->id, "pid", st->pid,
			      "pid_start", (json_int_t)st->pid_start, "bundle", st->bundle,
			      "created", st->created);
	if (!j)
		return oci_fail(err, "out of memory");
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	if (st->hooks)
		json_object_set(j, "hooks", st->hooks);
	char path[PATH_MAX], tmp[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.json.tmp", st->dir);
	int rc = json_dump_file(j, tmp, JSON_COMPACT);
	json_decref(j);
	if (rc || rename(tmp, path))
		return oci_fail(err, "%s: %s", path, strerror(errno));
	return 0;
}

json_t *oci_state_json(const struct oci_state *st)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "ociVersion", OCI_SPEC_VERSION,
			      "id", st->id, "status", oci_status_name(st->status), "pid",
			      st->status == OCI_STOPPED ? 0 : st->pid, "bundle", st->bundle,
			      "created", st->created);
	if (j)
		json_object_set_new(j, "annotations",
				    st->annotations ? json_copy(st->annotations) : json_object());
	return j;
}

void oci_state_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}
