#!/bin/bash
# Shell tests: `busybox sh -c`, `/bin/sh -c` (dash) and `bash -c` scripts run
# natively and as `sandbox run -- SHELL -c SCRIPT`, stdout and exit status
# compared byte for byte (cmp_case). Sourced by tests/e2e/run.sh
# (shell_tests; E2E_SHELL=0 skips it), or standalone:
#
#   tests/e2e/shell.sh BUILD_DIR
#
# Two groups, named by what the sandbox needs for them:
#   shell_fork_*   fork/vfork/clone, execve, wait4, exit statuses, signals
#                  with default actions; no pipes (no $(...), no here-docs,
#                  no `|`, no python subprocess).
#   shell_pipe_*   additionally pipes: pipelines, $(...), here-docs, xargs,
#                  python subprocess with captured output.
#   shell_sighandler_*  background jobs and `wait` in dash and busybox sh,
#                  which sleep in rt_sigsuspend until their SIGCHLD handler
#                  runs: these also need signal delivery to handlers.
# E2E_SHELL_GROUP=fork|pipe|sighandler runs one group only. Each command is
# bounded by E2E_SHELL_TIMEOUT seconds (default 10).
# Commands are named by absolute path where it matters, so that they are
# external programs (fork + exec), not shell builtins.
# shellcheck disable=SC2016 # the scripts are single-quoted on purpose

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

# The shells: label and argv prefix (the script follows `-c`).
SHELL_NAMES=(busybox dash bash)
shell_argv() {
	case $1 in
	busybox) echo /bin/busybox sh ;;
	dash) echo /bin/sh ;;
	bash) echo /bin/bash ;;
	esac
}

# sh_case GROUP NAME SCRIPT [SHELL...]: SCRIPT under each SHELL (default:
# all three), as case shell_GROUP_SHELL_NAME. $WORK/shell-SHELL-NAME is a
# scratch path the script may use (as $1); it is removed between the native
# and the sandbox run.
sh_case() {
	local group=$1 name=$2 script=$3
	shift 3
	local shells=("$@") sh
	# shellcheck disable=SC2034 # read by run_to (dynamic scope)
	local E2E_TIMEOUT=${E2E_SHELL_TIMEOUT:-10}
	[ ${#shells[@]} -gt 0 ] || shells=("${SHELL_NAMES[@]}")
	for sh in "${shells[@]}"; do
		local id="shell_${group}_${sh}_${name}" scratch="$WORK/shell-$sh-$name"
		local argv
		read -r -a argv <<<"$(shell_argv "$sh")"
		rm -rf "$scratch"
		run_to "$WORK/$id.native" "${argv[@]}" -c "$script" "$sh" "$scratch"
		rm -rf "$scratch"
		run_to "$WORK/$id.sandbox" "$SB" run -- "${argv[@]}" -c "$script" "$sh" "$scratch"
		rm -rf "$scratch"
		compare "$id"
	done
}

# --- fork/exec/wait only ---------------------------------------------------

shell_fork_tests() {
	sh_case fork sequence '/bin/echo one; /bin/echo two; /bin/true && /bin/echo three
/bin/false || /bin/echo four; /bin/false && /bin/echo never; /bin/echo "five $?"'

	sh_case fork status_of_external '/bin/false; echo "false=$?"; /bin/true; echo "true=$?"
/bin/sh -c "exit 42"; echo "sh=$?"; /nonexistent/prog 2>/dev/null; echo "missing=$?"'

	sh_case fork exit_code '/bin/echo bye; exit 7'
	sh_case fork exit_255 '/bin/true; exit 255'
	sh_case fork exit_from_external '/bin/sh -c "exit 3"'
	sh_case fork exit_status_of_last '/bin/echo a; /bin/false'

	sh_case fork subshell '(cd /usr && /bin/pwd); /bin/pwd >/dev/null; (exit 3); echo "sub=$?"
(x=inner; /bin/echo "$x"); echo "x=${x:-unset}"; ( (/bin/echo nested) ); (/bin/false) || echo failed'

	sh_case fork set_e 'set -e; /bin/echo before; /bin/false; /bin/echo after'
	sh_case fork set_e_in_condition 'set -e; if /bin/false; then echo no; fi; /bin/false || true; /bin/echo reached'

	sh_case fork if_for_while 'for i in 1 2 3; do
  if /usr/bin/test "$i" -gt 1; then /bin/echo "big $i"; else /bin/echo "small $i"; fi
done
i=0
while /usr/bin/[ "$i" -lt 3 ]; do i=$((i + 1)); /bin/echo "w$i"; done
until /usr/bin/test "$i" -eq 0; do i=$((i - 1)); done; echo "i=$i"
case x in x) /bin/echo case ;; esac'

	sh_case fork background_wait '/bin/sleep 0.1 & /bin/echo started; wait; /bin/echo "waited $?"' bash
	sh_case fork background_status '(exit 4) & p=$!; wait "$p"; echo "bg=$?"
/bin/sh -c "exit 5" & wait $!; echo "bg2=$?"' bash
	sh_case fork background_many 'for i in 1 2 3 4 5; do /bin/sleep 0.0$i & done; wait; /bin/echo all' bash

	sh_case fork kill_background '/bin/sleep 5 & p=$!; kill "$p"; wait "$p"; echo "st=$?"' bash
	sh_case fork kill_background_sigkill '/bin/sleep 5 & p=$!; kill -9 "$p"; wait "$p"; echo "st=$?"' bash
	sh_case fork child_killed_status '/bin/sh -c "kill -TERM \$\$"; echo "st=$?"'
	sh_case fork self_kill 'kill -TERM $$; /bin/echo not reached'

	sh_case fork nested_shells '/bin/sh -c "/bin/echo inner; /bin/sh -c \"exit 9\"; exit \$?"; echo "outer=$?"'
	sh_case fork exec_replaces 'exec /bin/echo replaced; /bin/echo not reached'
	sh_case fork exec_status 'exec /bin/sh -c "exit 6"'

	sh_case fork redirect_files 'mkdir "$1" && /bin/echo data >"$1/f" && /bin/echo more >>"$1/f"
/bin/cat "$1/f"; /bin/ls "$1"; /bin/cat <"$1/f" >"$1/g"; /usr/bin/wc -l <"$1/g"
/usr/bin/cmp "$1/f" "$1/g" && /bin/echo same; /bin/rm -r "$1"; /bin/ls "$1" 2>/dev/null; echo "ls=$?"'

	sh_case fork env_passing 'FOO=bar /usr/bin/printenv FOO; export BAZ=qux; /usr/bin/printenv BAZ
/usr/bin/env -i A=1 /usr/bin/printenv'

	sh_case fork many_processes 'i=0; while [ $i -lt 50 ]; do /bin/true || exit 1; i=$((i + 1)); done; /bin/echo "$i runs"'

	sh_case fork python_fork '/usr/bin/python3 -c "
import os
pid = os.fork()
if pid == 0:
    os._exit(3)
_, st = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(st), os.WIFEXITED(st))
"'
	sh_case fork python_system '/usr/bin/python3 -c "
import os
print(os.system(\"exit 3\") >> 8, os.system(\"/bin/true\"))
"' bash
}

# --- needing pipes too ----------------------------------------------------

shell_pipe_tests() {
	sh_case pipe command_substitution 'x=$(/bin/echo hello); y=$(/usr/bin/expr 6 \* 7); echo "$x $y"
z=`/bin/echo back`; n=$(/bin/echo $(/bin/echo nested)); echo "$z $n"; e=$(exit 3); echo "st=$?"'
	sh_case pipe heredoc '/bin/cat <<EOF
line one
value $((1 + 2))
EOF
/bin/cat <<"EOF"
literal $HOME
EOF'
	sh_case pipe sort_head "printf 'b\\na\\n' | /usr/bin/sort | /usr/bin/head -1"
	sh_case pipe seq_wc '/usr/bin/seq 1 1000 | /usr/bin/wc -l'
	sh_case pipe tr 'echo x | /usr/bin/tr a-z A-Z'
	sh_case pipe yes_head '/usr/bin/yes | /usr/bin/head -3; echo "st=$?"'
	sh_case pipe long_pipeline '/usr/bin/seq 1 20000 | /bin/grep 7 | /usr/bin/sort -r | /usr/bin/tail -n 3 | /usr/bin/tr 7 X'
	sh_case pipe big_transfer '/usr/bin/head -c 3000000 /dev/zero | /usr/bin/tr "\0" a | /usr/bin/wc -c'
	sh_case pipe xargs "printf '1\\n2\\n3\\n' | /usr/bin/xargs /bin/echo n; /usr/bin/seq 1 10 | /usr/bin/xargs -n 3 /bin/echo"
	sh_case pipe find_sort "/usr/bin/find /usr/include -maxdepth 1 -name 'std*.h' | /usr/bin/sort"
	sh_case pipe pipeline_status '/bin/false | /bin/true; echo "a=$?"; /bin/true | /bin/false; echo "b=$?"'
	sh_case pipe pipestatus 'set -o pipefail; /bin/false | /bin/true; echo "pf=$?"; /bin/true | /bin/sh -c "exit 3" | /bin/true; echo "${PIPESTATUS[@]}"' bash
	sh_case pipe read_loop '/usr/bin/seq 1 5 | while read -r n; do /bin/echo "got $n"; done'
	sh_case pipe subshell_pipe '(/bin/echo a; /bin/echo b) | /usr/bin/sort -r; { /bin/echo c; /bin/echo d; } | /usr/bin/wc -l'
	sh_case pipe background_pipeline '/usr/bin/seq 1 3 | /usr/bin/tac & wait; /bin/echo done' bash
	sh_case pipe python_subprocess \
		"/usr/bin/python3 -c 'import subprocess; print(subprocess.run([\"echo\",\"hi\"],capture_output=True,text=True).stdout.strip())'"
	sh_case pipe python_subprocess_status \
		"/usr/bin/python3 -c 'import subprocess; r = subprocess.run([\"/bin/sh\",\"-c\",\"echo out; exit 5\"],stdout=subprocess.PIPE); print(r.returncode, r.stdout)'"
}

# --- background jobs in dash and busybox sh --------------------------------
# Their `wait` builtin (and the reaping of background jobs) sleeps in
# rt_sigsuspend until a SIGCHLD *handler* runs, so these need signal
# delivery to handlers as well as fork/exec/wait (the bash variants are in
# the fork and pipe groups).

shell_sighandler_tests() {
	sh_case sighandler background_wait '/bin/sleep 0.1 & /bin/echo started; wait; /bin/echo "waited $?"' busybox dash
	sh_case sighandler background_status '(exit 4) & p=$!; wait "$p"; echo "bg=$?"
/bin/sh -c "exit 5" & wait $!; echo "bg2=$?"' busybox dash
	sh_case sighandler background_many 'for i in 1 2 3 4 5; do /bin/sleep 0.0$i & done; wait; /bin/echo all' busybox dash
	sh_case sighandler kill_background '/bin/sleep 5 & p=$!; kill "$p"; wait "$p"; echo "st=$?"' busybox dash
	sh_case sighandler kill_background_sigkill '/bin/sleep 5 & p=$!; kill -9 "$p"; wait "$p"; echo "st=$?"' busybox dash
	sh_case sighandler background_pipeline '/usr/bin/seq 1 3 | /usr/bin/tac & wait; /bin/echo done' busybox dash
}

shell_tests() {
	case ${E2E_SHELL_GROUP:-all} in
	fork) shell_fork_tests ;;
	pipe) shell_pipe_tests ;;
	sighandler) shell_sighandler_tests ;;
	*)
		shell_fork_tests
		shell_pipe_tests
		shell_sighandler_tests
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	e2e_setup "${1:-build}"
	shell_tests
	summary
fi
