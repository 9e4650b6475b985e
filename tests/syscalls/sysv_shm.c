/* SysV shared memory: shmget/shmat/shmdt/shmctl with Linux's errors, data
 * shared with a forked child and with an unrelated (exec'd) process using
 * the same key, shm_nattch through fork, exec, exit and VMA splits, the
 * shmdt fragment rules, SHM_RDONLY/SHM_RND/SHM_REMAP, IPC_RMID while
 * attached (SHM_DEST), permissions for a non-root user, IPC_INFO/SHM_INFO,
 * SHM_LOCK, /proc/sysvipc/shm and /proc/self/maps.
 */
#include "conformance.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>

#define PG 4096

static struct shmid_ds st(int id)
{
	struct shmid_ds ds;
	memset(&ds, 0xff, sizeof(ds));
	if (shmctl(id, IPC_STAT, &ds) != 0)
		memset(&ds, 0xff, sizeof(ds));
	return ds;
}

static int child_status(pid_t pid)
{
	int s;
	if (waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

/* A key no other process on the host uses (the native run shares its namespace). */
static key_t unique_key(int n)
{
	return (key_t)(0x5e000000 | ((getpid() & 0xffff) << 8) | n);
}

int main(int argc, char **argv)
{
	/* Exec'd helpers: an unrelated process that finds the segment by key. */
	if (argc == 3 && !strcmp(argv[1], "bykey")) {
		int id = shmget((key_t)strtol(argv[2], NULL, 0), 0, 0);
		char *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
		if (p == (void *)-1)
			return 2;
		if (strcmp(p, "from parent"))
			return 3;
		strcpy(p, "from stranger");
		return shmdt(p) ? 4 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "nattch")) {
		/* After exec: the attachment made before it is gone. */
		return st(atoi(argv[2])).shm_nattch == 0 ? 0 : 5;
	}

	/* ---- create, stat, attach ---- */
	int id;
	SETUP(id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600));
	struct shmid_ds ds = st(id);
	CHECK_EQ(ds.shm_segsz, 2 * PG, "stat_segsz");
	CHECK_EQ(ds.shm_nattch, 0, "stat_nattch0");
	CHECK_EQ(ds.shm_cpid, getpid(), "stat_cpid");
	CHECK_EQ(ds.shm_lpid, 0, "stat_lpid0");
	CHECK_EQ(ds.shm_perm.mode, 0600, "stat_mode");
	CHECK_EQ(ds.shm_perm.uid, geteuid(), "stat_uid");
	CHECK_EQ(ds.shm_perm.cuid, geteuid(), "stat_cuid");
	CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE, "stat_key");
	CHECK_EQ(ds.shm_atime, 0, "stat_atime0");
	CHECK(ds.shm_ctime > 0, "stat_ctime");

	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1 && ((uintptr_t)p & (PG - 1)) == 0, "shmat_null");
	CHECK_EQ(p[0] + p[2 * PG - 1], 0, "shmat_zeroed");
	strcpy(p, "hello");
	ds = st(id);
	CHECK_EQ(ds.shm_nattch, 1, "nattch1");
	CHECK_EQ(ds.shm_lpid, getpid(), "lpid_attach");
	CHECK(ds.shm_atime > 0, "atime_set");

	/* ---- fork: the child inherits the attachment, data is shared ---- */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = !strcmp(p, "hello") && st(id).shm_nattch == 2;
		strcpy(p, "from child");
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(child_status(pid), 0, "fork_child_sees_data_nattch2");
	CHECK_STR(p, "from child", "fork_parent_sees_child_write");
	CHECK_EQ(st(id).shm_nattch, 1, "nattch_after_child_exit");

	/* ---- exec detaches ---- */
	SETUP(shmdt(p));
	pid = fork();
	if (pid == 0) {
		char ids[16];
		snprintf(ids, sizeof(ids), "%d", id);
		if (shmat(id, NULL, 0) == (void *)-1)
			_exit(6);
		execl("/proc/self/exe", argv[0], "nattch", ids, (char *)NULL);
		_exit(7);
	}
	CHECK_EQ(child_status(pid), 0, "exec_detaches");

	/* ---- an unrelated process finds it by key ---- */
	key_t key = unique_key(1);
	int kid;
	SETUP(kid = shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	char *k = shmat(kid, NULL, 0);
	SETUP(k == (void *)-1 ? -1 : 0);
	strcpy(k, "from parent");
	pid = fork();
	if (pid == 0) {
		char ks[32];
		snprintf(ks, sizeof(ks), "%#x", (unsigned)key);
		execl("/proc/self/exe", argv[0], "bykey", ks, (char *)NULL);
		_exit(7);
	}
	CHECK_EQ(child_status(pid), 0, "stranger_by_key");
	CHECK_STR(k, "from stranger", "stranger_wrote");
	CHECK_EQ(shmget(key, PG, 0), kid, "get_existing");
	CHECK_EQ(shmget(key, PG / 2, IPC_CREAT), kid, "get_existing_smaller");
	CHECK_ERR(shmget(key, 2 * PG, 0), EINVAL, "get_existing_bigger");
	CHECK_ERR(shmget(key, PG, IPC_CREAT | IPC_EXCL), EEXIST, "get_excl");
	CHECK_ERR(shmget(unique_key(2), PG, 0), ENOENT, "get_missing");
	CHECK_ERR(shmget(IPC_PRIVATE, 0, IPC_CREAT), EINVAL, "get_size0");
	CHECK_ERR(shmget(unique_key(3), (size_t)-1 / 2, IPC_CREAT), ENOMEM, "get_more_than_memory");
	CHECK_ERR(shmget(unique_key(3), (size_t)-1, IPC_CREAT), EINVAL, "get_over_shmmax");

	/* ---- /proc/sysvipc/shm and /proc/self/maps ---- */
	char buf[65536], line[64];
	CHECK(read_file("/proc/sysvipc/shm", buf, sizeof(buf)) > 0 &&
		      !strncmp(buf, "       key      shmid perms                  size  cpid  lpid nattch", 66),
	      "proc_sysvipc_header");
	snprintf(line, sizeof(line), "%10d %10d  %4o %21d", (int)key, kid, 0600, PG);
	CHECK(strstr(buf, line) != NULL, "proc_sysvipc_line");
	snprintf(line, sizeof(line), "/SYSV%08x (deleted)", (unsigned)key);
	CHECK(read_file("/proc/self/maps", buf, sizeof(buf)) > 0 && strstr(buf, line), "proc_maps_sysv");
	/* Its inode number is the segment's id, as Linux shows it. */
	char *ml = strstr(buf, line);
	while (ml && ml > buf && ml[-1] != '\n')
		ml--;
	unsigned long ino = 0;
	CHECK(ml && sscanf(ml, "%*s %*s %*s %*s %lu", &ino) == 1 && ino == (unsigned long)kid,
	      "proc_maps_sysv_inode_is_id");

	/* ---- IPC_RMID while attached: SHM_DEST, key gone, data still there ---- */
	CHECK_OK(shmctl(kid, IPC_RMID, NULL), "rmid_attached");
	ds = st(kid);
	CHECK_EQ(ds.shm_perm.mode & (SHM_DEST | 0777), SHM_DEST | 0600, "rmid_shm_dest");
	CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE, "rmid_key_private");
	CHECK_ERR(shmget(key, PG, 0), ENOENT, "rmid_key_not_found");
	CHECK_STR(k, "from stranger", "rmid_data_kept");
	char *k2 = shmat(kid, NULL, 0);
	CHECK(k2 != (void *)-1 && !strcmp(k2, "from stranger"), "rmid_still_attachable");
	CHECK_EQ(st(kid).shm_nattch, 2, "rmid_nattch2");
	CHECK_OK(shmdt(k2), "rmid_dt1");
	CHECK_OK(shmdt(k), "rmid_dt_last");
	CHECK_ERR(shmctl(kid, IPC_STAT, &ds), EINVAL, "rmid_destroyed");

	/* ---- shmdt rules ---- */
	CHECK_ERR(shmdt(p), EINVAL, "dt_not_attached");
	CHECK_ERR(shmdt(p + 1), EINVAL, "dt_unaligned");
	void *anon = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_ERR(shmdt(anon), EINVAL, "dt_plain_mapping");
	munmap(anon, PG);
	ds = st(id);
	CHECK_EQ(ds.shm_nattch, 0, "dt_nattch0");
	CHECK(ds.shm_dtime > 0, "dt_dtime");

	/* A split attachment counts twice; shmdt unmaps every fragment. */
	int id3;
	SETUP(id3 = shmget(IPC_PRIVATE, 3 * PG, 0600));
	char *q = shmat(id3, NULL, 0);
	SETUP(q == (void *)-1 ? -1 : 0);
	CHECK_OK(mprotect(q, PG, PROT_READ), "split_mprotect");
	CHECK_EQ(st(id3).shm_nattch, 2, "split_nattch2");
	CHECK_OK(munmap(q, PG), "split_munmap_head");
	CHECK_EQ(st(id3).shm_nattch, 1, "split_nattch1");
	CHECK_OK(shmdt(q), "dt_fragment_after_head_unmapped");
	CHECK_EQ(st(id3).shm_nattch, 0, "dt_fragment_nattch0");
	CHECK_EQ(msync(q + PG, PG, 0), -1, "dt_fragment_gone");

	/* ---- SHM_RND, SHM_REMAP, SHM_RDONLY ---- */
	char *hole = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(hole == MAP_FAILED ? -1 : 0);
	CHECK_ERR((long)shmat(id3, hole + 4 * PG + 123, 0), EINVAL, "at_unaligned");
	CHECK_ERR((long)shmat(id3, hole + 4 * PG, 0), EINVAL, "at_over_mapping");
	CHECK_ERR((long)shmat(id3, NULL, SHM_REMAP), EINVAL, "at_remap_null");
	CHECK_EQ((long)shmat(id3, hole + 4 * PG + 123, SHM_RND | SHM_REMAP), (long)(hole + 4 * PG),
		 "at_rnd_remap");
	CHECK_OK(shmdt(hole + 4 * PG), "at_rnd_dt");
	munmap(hole, 8 * PG);
	CHECK_EQ((long)shmat(id3, hole + 4 * PG + 5, SHM_RND), (long)(hole + 4 * PG), "at_rnd_free");
	CHECK_OK(shmdt(hole + 4 * PG), "at_rnd_free_dt");
	CHECK_ERR((long)shmat(id3, (void *)(PG - 1), SHM_RND | SHM_REMAP), EINVAL, "at_rnd_to_zero_remap");

	char *r = shmat(id, NULL, SHM_RDONLY);
	CHECK(r != (void *)-1 && !strcmp(r, "from child"), "rdonly_reads");
	CHECK_ERR(mprotect(r, PG, PROT_READ | PROT_WRITE), EACCES, "rdonly_mprotect_write");
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		r[0] = 'x';
		_exit(0);
	}
	CHECK_EQ(child_status(pid), 128 + SIGSEGV, "rdonly_write_segv");
	CHECK_OK(shmdt(r), "rdonly_dt");

	/* ---- errors ---- */
	CHECK_ERR((long)shmat(-1, NULL, 0), EINVAL, "at_negative_id");
	CHECK_ERR((long)shmat(id + (1 << 15), NULL, 0), EINVAL, "at_stale_seq");
	CHECK_ERR(shmctl(id, IPC_STAT, conf_bad_ptr()), EFAULT, "stat_efault");
	CHECK_ERR(shmctl(id, IPC_SET, conf_bad_ptr()), EFAULT, "set_efault");
	CHECK_ERR(shmctl(-1, IPC_STAT, &ds), EINVAL, "ctl_negative_id");
	CHECK_ERR(shmctl(id, 99, &ds), EINVAL, "ctl_bad_cmd");
	CHECK_ERR(shmctl(id, IPC_STAT | 0x100, &ds), EINVAL, "ctl_ipc64_flag");

	/* ---- IPC_SET, SHM_STAT, IPC_INFO, SHM_INFO, SHM_LOCK ---- */
	ds = st(id);
	ds.shm_perm.mode = 0640;
	time_t before = st(id).shm_ctime;
	CHECK_OK(shmctl(id, IPC_SET, &ds), "set_mode");
	CHECK_EQ(st(id).shm_perm.mode, 0640, "set_mode_applied");
	CHECK(st(id).shm_ctime >= before, "set_ctime");
	ds.shm_perm.uid = (uid_t)-1;
	CHECK_ERR(shmctl(id, IPC_SET, &ds), EINVAL, "set_invalid_uid");
	CHECK_EQ(shmctl(id & 0x7fff, SHM_STAT, &ds), id, "shm_stat_by_index");
	CHECK_EQ(shmctl(id & 0x7fff, SHM_STAT_ANY, &ds), id, "shm_stat_any");
	struct shminfo si;
	CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0, "ipc_info");
	CHECK(read_file("/proc/sys/kernel/shmmni", buf, sizeof(buf)) > 0 &&
		      si.shmmni == strtoul(buf, NULL, 10) && si.shmmin == 1,
	      "ipc_info_matches_proc");
	CHECK(read_file("/proc/sys/kernel/shmmax", buf, sizeof(buf)) > 0 &&
		      si.shmmax == strtoul(buf, NULL, 10),
	      "ipc_info_shmmax");
	struct shm_info sinfo;
	CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo) >= 0 && sinfo.used_ids >= 2, "shm_info");
	CHECK_ERR(shmctl(0, SHM_INFO, conf_bad_ptr()), EFAULT, "shm_info_efault");
	CHECK_OK(shmctl(id, SHM_LOCK, NULL), "shm_lock");
	CHECK_EQ(st(id).shm_perm.mode & SHM_LOCKED, SHM_LOCKED, "shm_locked_flag");
	CHECK_OK(shmctl(id, SHM_UNLOCK, NULL), "shm_unlock");
	CHECK_EQ(st(id).shm_perm.mode & SHM_LOCKED, 0, "shm_unlocked_flag");

	/* ---- a non-root user ---- */
	int failed = conf_failures;
	pid = fork();
	if (pid == 0) {
		SETUP(setresgid(65534, 65534, 65534));
		SETUP(setresuid(65534, 65534, 65534));
		CHECK_ERR((long)shmat(id, NULL, 0), EACCES, "user_at_eacces");
		CHECK_ERR(shmctl(id, IPC_STAT, &ds), EACCES, "user_stat_eacces");
		CHECK_EQ(shmctl(id & 0x7fff, SHM_STAT_ANY, &ds), id, "user_stat_any");
		CHECK_ERR(shmctl(id, IPC_RMID, NULL), EPERM, "user_rmid_eperm");
		CHECK_ERR(shmctl(id, SHM_LOCK, NULL), EPERM, "user_lock_eperm");
		int uid_seg = shmget(IPC_PRIVATE, PG, 0600);
		CHECK(uid_seg >= 0 && st(uid_seg).shm_perm.uid == 65534, "user_creates");
		CHECK_OK(shmctl(uid_seg, IPC_RMID, NULL), "user_rmid_own");
		_exit(conf_failures > failed ? 1 : 0);
	}
	CHECK_EQ(child_status(pid), 0, "user_child");
	ds = st(id);
	ds.shm_perm.mode = 0604;
	SETUP(shmctl(id, IPC_SET, &ds));
	failed = conf_failures;
	pid = fork();
	if (pid == 0) {
		SETUP(setresgid(65534, 65534, 65534));
		SETUP(setresuid(65534, 65534, 65534));
		char *u = shmat(id, NULL, SHM_RDONLY);
		CHECK(u != (void *)-1 && !strcmp(u, "from child"), "user_other_read");
		CHECK_ERR((long)shmat(id, NULL, 0), EACCES, "user_other_no_write");
		_exit(conf_failures > failed ? 1 : 0);
	}
	CHECK_EQ(child_status(pid), 0, "user_child2");

	CHECK_OK(shmctl(id, IPC_RMID, NULL), "rmid");
	CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL, "rmid_gone");
	CHECK_OK(shmctl(id3, IPC_RMID, NULL), "rmid3");
	return conf_exit();
}
