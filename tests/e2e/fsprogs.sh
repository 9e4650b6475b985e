#!/bin/bash
# File-system programs, natively and in the sandbox, output and status
# compared byte for byte: tar (symlinks, hard links, modes), cp -a, mv,
# rm -rf, find -exec, git (init, add, commit, log, status), python3 -m venv
# and pip list, sqlite3 in WAL mode with two processes at once, and threads
# walking paths while another changes them (walk_race). Each case
# runs in a fresh directory under /tmp and prints only what does not
# depend on where or when it ran. Sourced by tests/e2e/run.sh (fsprogs_tests;
# E2E_FSPROGS=0 skips it).
# shellcheck disable=SC2016 # the scripts are single-quoted on purpose

# fs_case NAME SCRIPT: runs `bash -c SCRIPT` natively and in the sandbox, each in
# its own new directory under /tmp (removed afterwards), and compares.
fs_case() {
	local name=$1 script=$2 side dir
	for side in native sandbox; do
		dir=$(mktemp -d /tmp/e2e-fs.XXXXXX)
		if [ "$side" = native ]; then
			run_to "$WORK/fs_$name.native" /bin/bash -c "cd $dir && $script"
		else
			run_to "$WORK/fs_$name.sandbox" "$SB" run --cwd "$dir" -- /bin/bash -c "$script"
		fi
		rm -rf "$dir"
	done
	compare "fs_$name"
}

# A tree with modes, a symlink, a hard link, an empty directory, a dot file.
FS_TREE='mkdir -p src/a/b src/empty && printf one >src/a/one.txt && printf two >src/a/b/two.txt &&
	printf x >src/.hidden && chmod 600 src/a/one.txt && chmod 750 src/a/b && chmod 1777 src/empty &&
	ln -s a/one.txt src/link && ln src/a/b/two.txt src/hard.txt && printf "#!/bin/sh\necho run\n" >src/run.sh &&
	chmod 755 src/run.sh'
# What a listing shows of a tree: type, mode, link count, name; link target and size
# for non-directories (a directory's size is the file system's business).
FS_LIST='find "$1" \( -type d -printf "%y %m %n %P\n" \) -o -printf "%y %m %n %P %l %s\n" | sort'

fsprogs_tests() {
	local list="fs_list() { $FS_LIST; }"
	fs_case tar "$FS_TREE && $list &&
		tar cf t.tar -C src . && mkdir out && tar xpf t.tar -C out && fs_list out &&
		tar tf t.tar | sort && tar cz -C src . | tar tz | wc -l && ./out/run.sh"
	fs_case cp_mv_rm "$FS_TREE && $list &&
		cp -a src copy && fs_list copy && [ copy/a/b/two.txt -ef copy/hard.txt ] && echo hardlink-kept &&
		mv copy moved && [ ! -e copy ] && fs_list moved | wc -l &&
		mv moved/a/one.txt moved/one-renamed && readlink moved/link && cat moved/link 2>&1;
		rm -rf moved && [ ! -e moved ] && echo removed"
	fs_case find_exec "$FS_TREE &&
		find src -name \"*.txt\" -exec wc -c {} \\; | sort &&
		find src -type f -newer src/a/one.txt -o -type l -print | sort &&
		find src -perm -u+x -type f -exec sh -c \"echo exec:\\\$1\" _ {} + | sort &&
		find src -depth -type d | sort"
	if command -v git >/dev/null; then
		fs_case git "export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@x GIT_COMMITTER_NAME=e2e \
			GIT_COMMITTER_EMAIL=e2e@x GIT_AUTHOR_DATE=2020-01-01T00:00:00Z \
			GIT_COMMITTER_DATE=2020-01-01T00:00:00Z HOME=\$PWD GIT_CONFIG_NOSYSTEM=1 &&
			git init -q -b main repo && cd repo && printf a >a && mkdir d && printf b >d/b &&
			git add . && git commit -q -m first && printf c >>a && git status --short &&
			git commit -qam second && git log --format=%s && git rev-parse HEAD &&
			git mv a renamed && git status --short && git diff --cached --stat | tail -n 1 &&
			git gc -q && git fsck -q && git count-objects | cut -d, -f1 | wc -l"
	fi
	if /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
		fs_case venv_pip '/usr/bin/python3 -m venv v && v/bin/python -c "import sys; print(sys.prefix != sys.base_prefix)" &&
			v/bin/pip list --disable-pip-version-check 2>/dev/null | awk "{print \$1}" | sort'
	fi
	if command -v sqlite3 >/dev/null; then
		# Two processes on one WAL database: a writer inserts in batches while a
		# reader counts; the -shm index is a MAP_SHARED mapping in both.
		fs_case sqlite_wal "/usr/bin/python3 '$E2E_DIR/py/sqlite_wal_2proc.py' w.db 20 500
sqlite3 w.db 'select count(*) from t;' && ls -1 w.db*"
	fi
	fs_walk_race
}

# Threads walking cold paths of a tree the host made (the overlay's lower
# layer, looked up without the sentry's VFS lock) while another thread
# unlinks, renames and creates names there and replaces a directory: the
# final state is the same as natively (tests/e2e/progs/walk_race.c).
fs_walk_race() {
	local side
	for side in native sandbox; do
		rm -rf "$WORK/walk_race.$side.tree"
		"$BIN/walk_race" setup "$WORK/walk_race.$side.tree" || fail fs_walk_race "setup failed"
	done
	run_to "$WORK/fs_walk_race.native" "$BIN/walk_race" run "$WORK/walk_race.native.tree"
	run_to "$WORK/fs_walk_race.sandbox" "$SB" run -- "$BIN/walk_race" run "$WORK/walk_race.sandbox.tree"
	compare fs_walk_race
	if [ "$(find "$WORK/walk_race.sandbox.tree" -type f | wc -l)" = $((16 * 200)) ]; then
		pass fs_walk_race_host_unchanged
	else
		fail fs_walk_race_host_unchanged "the guest's changes reached the host tree"
	fi
	rm -rf "$WORK/walk_race.native.tree" "$WORK/walk_race.sandbox.tree"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	BUILD=${1:-build}
	SB=$(cd "$BUILD" && pwd)/sandbox
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
	. "$E2E_DIR/lib.sh"
	fsprogs_tests
	summary
fi
