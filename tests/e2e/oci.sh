#!/bin/bash
# OCI runtime tests: build/sandbox-runc driven as runc, then by a private
# containerd (ctr, the io.containerd.runc.v2 shim with --runc-binary) and by
# podman (--runtime). Sourced by tests/e2e/run.sh (oci_tests; E2E_OCI=0
# skips it), or standalone:
#
#   tests/e2e/oci.sh BUILD_DIR
#
#   oci_cli_*        --version, spec, features, unknown commands and flags
#   oci_config_*     malformed config.json: a message naming the field, exit 1,
#                    no state left behind
#   oci_life_*       create/start/state/exec/ps/kill/delete with a busybox bundle;
#                    run's exit status; delete --force of a dead sandbox; mounts,
#                    user, rlimits, hooks, pids and memory limits
#   oci_seccomp_*    linux.seccomp profiles (an errno rule, an allow-list with
#                    runc's -ENOSYS stub, an argument comparison, KILL_PROCESS,
#                    a Docker-style default profile, exec, noNewPrivileges),
#                    each compared with runc's run of the same bundle where
#                    runc works here
#   oci_python_*     a bundle with the host's python3 (its libraries and modules);
#                    its memory.limit enforced (the OOM killer's SIGKILL: 137)
#   oci_ctr_*        a private containerd (own root, state, socket; started and
#                    stopped here): images imported offline, ctr run (exit code),
#                    task exec, task kill, task delete, ctr run -t
#   oci_podman_*     podman --runtime with its own storage, run, exec, run -it
#
# Packages come from `make e2e-deps` (the Makefile's one install mechanism);
# a part whose tools cannot be installed is skipped with a message. Every
# daemon started here is stopped, and nothing is left under --root or in
# the process table.
# shellcheck disable=SC2016 # scripts for the guest are single-quoted on purpose

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

OCI_TIMEOUT=${OCI_TIMEOUT:-30}

# cfg_edit BUNDLE PYTHON: apply Python statements to config.json (as `c`).
cfg_edit() {
	python3 - "$1/config.json" "$2" <<'PY'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"), indent=2)
PY
}

# make_bundle DIR ROOTFS: a bundle (runc's default config) over ROOTFS, no terminal.
make_bundle() {
	mkdir -p "$1"
	rm -f "$1/config.json"
	(cd "$1" && "$SBR" spec) || return 1
	cfg_edit "$1" "c['root']['path'] = '$2'; c['root']['readonly'] = False
c['process']['terminal'] = False"
}

# ocr ARGS...: sandbox-runc with this run's --root, bounded in time.
ocr() {
	timeout -k 5 "$OCI_TIMEOUT" "$SBR" --root "$OCI_ROOT" "$@"
}

# expect_file_eq NAME FILE WANT: FILE holds exactly WANT (printf-style escapes).
expect_file_eq() {
	local want
	want=$(printf "$3")
	if [ "$(cat "$2" 2>/dev/null)" = "$want" ]; then
		pass "$1"
	else
		fail "$1" "want: $(printf '%q' "$want")" "got:  $(printf '%q' "$(cat "$2" 2>/dev/null)")" \
			"$(show_head "${2%.out}.err" stderr)"
	fi
}

# expect_rc NAME FILE.rc WANT
expect_rc() {
	local got
	got=$(cat "$2" 2>/dev/null)
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "exit status $got, expected $3" "$(show_head "${2%.rc}.err" stderr)"
	fi
}

# json_field FILE EXPR: a field of the JSON in FILE (python expression on `j`).
json_field() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" \
		2>/dev/null
}

# host_alive PID: PID is a live host process (not gone, not a zombie).
host_alive() {
	[ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status" 2>/dev/null
}

# wait_status ID STATUS: poll `state` until status is STATUS (5 s).
wait_status() {
	local i
	for i in $(seq 50); do
		ocr state "$1" 2>/dev/null | grep -q "\"status\": \"$2\"" && return 0
		sleep 0.1
	done
	return 1
}

# --- the command line -----------------------------------------------------

oci_cli() {
	local w=$WORK/oci
	run_to "$w/version" "$SBR" --version
	if head -n 1 "$w/version.out" | grep -Eq '^sandbox-runc version [0-9]' &&
		grep -q '^spec: 1\.' "$w/version.out" && [ "$(cat "$w/version.rc")" = 0 ]; then
		pass oci_cli_version
	else
		fail oci_cli_version "$(show_head "$w/version.out" stdout)"
	fi
	run_to "$w/version_v" "$SBR" -v
	expect_rc oci_cli_version_short "$w/version_v.rc" 0

	mkdir -p "$w/spec"
	(cd "$w/spec" && run_to "$w/spec1" "$SBR" spec && run_to "$w/spec2" "$SBR" spec)
	if [ "$(cat "$w/spec1.rc")" = 0 ] && [ "$(json_field "$w/spec/config.json" 'j["process"]["args"]')" = "['sh']" ] &&
		[ "$(cat "$w/spec2.rc")" = 1 ] && grep -q 'exists' "$w/spec2.err"; then
		pass oci_cli_spec
	else
		fail oci_cli_spec "first rc $(cat "$w/spec1.rc"), second rc $(cat "$w/spec2.rc")" \
			"$(show_head "$w/spec2.err" stderr)"
	fi
	run_to "$w/features" "$SBR" features
	if [ "$(json_field "$w/features.out" 'j["ociVersionMax"][:2]')" = "1." ]; then
		pass oci_cli_features
	else
		fail oci_cli_features "$(show_head "$w/features.out" stdout)"
	fi
	local i=0 args
	for args in "frobnicate" "--no-such-flag list" "create --no-such-flag x" "state" \
		"state no-such-container" "kill no-such-container" "pause x" "events x" \
		"kill x SIGNOPE" "create bad/id" "list --format yaml"; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # word splitting wanted
		run_to "$w/usage_$i" "$SBR" --root "$OCI_ROOT" $args
		if [ "$(cat "$w/usage_$i.rc")" = 1 ] && [ -s "$w/usage_$i.err" ]; then
			pass "oci_cli_error_$i"
		else
			fail "oci_cli_error_$i" "sandbox-runc $args: exit $(cat "$w/usage_$i.rc"), expected 1 and a message" \
				"$(show_head "$w/usage_$i.err" stderr)"
		fi
	done
	run_to "$w/delete_missing" "$SBR" --root "$OCI_ROOT" delete --force no-such-container
	expect_rc oci_cli_delete_force_missing "$w/delete_missing.rc" 0
	# --log-format json: the error as a JSON line, as the containerd shim reads it.
	run_to "$w/logjson" "$SBR" --root "$OCI_ROOT" --log "$w/log.json" --log-format json state nope
	if [ "$(json_field "$w/log.json" 'j["level"]')" = error ] && grep -q 'does not exist' "$w/log.json"; then
		pass oci_cli_log_json
	else
		fail oci_cli_log_json "$(show_head "$w/log.json" log)"
	fi
}

# --- malformed bundles ----------------------------------------------------

oci_config() {
	local w=$WORK/oci b=$WORK/oci/badbundle i=0 case edit want
	while IFS='|' read -r case edit want; do
		[ -z "$case" ] && continue
		i=$((i + 1))
		make_bundle "$b" "$OCI_BB"
		if [ "$edit" = RAW ]; then
			echo '{"ociVersion": "1.0.2", "process": {' >"$b/config.json"
		else
			cfg_edit "$b" "$edit"
		fi
		run_to "$w/cfg_$case" "$SBR" --root "$OCI_ROOT" create --bundle "$b" "bad$i"
		if [ "$(cat "$w/cfg_$case.rc")" != 1 ]; then
			fail "oci_config_$case" "exit $(cat "$w/cfg_$case.rc"), expected 1" \
				"$(show_head "$w/cfg_$case.err" stderr)"
		elif ! grep -qF -- "$want" "$w/cfg_$case.err"; then
			fail "oci_config_$case" "the message does not name '$want'" "$(show_head "$w/cfg_$case.err" stderr)"
		elif [ -e "$OCI_ROOT/bad$i" ]; then
			fail "oci_config_$case" "$OCI_ROOT/bad$i was left behind"
		else
			pass "oci_config_$case"
		fi
	done <<'CASES'
args_not_array|c['process']['args'] = 'sh'|process.args
args_empty|c['process']['args'] = []|process.args
uid_negative|c['process']['user']['uid'] = -1|process.user.uid
env_not_kv|c['process']['env'] = ['NOEQUALS']|process.env[0]
cwd_relative|c['process']['cwd'] = 'tmp'|process.cwd
rlimit_unknown|c['process']['rlimits'] = [{'type': 'RLIMIT_NOPE', 'hard': 1, 'soft': 1}]|process.rlimits[0].type
rlimit_soft_above_hard|c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'hard': 10, 'soft': 20}]|process.rlimits[0]
root_missing|c['root']['path'] = '/nonexistent-oci-root'|root.path
no_root|del c['root']|root
mount_type|c['mounts'].append({'destination': '/x', 'type': 'nfs', 'source': 'srv:/x'})|mounts[7].type
mount_dest|c['mounts'].append({'type': 'tmpfs', 'source': 'tmpfs'})|mounts[7].destination
bind_source_missing|c['mounts'].append({'destination': '/x', 'type': 'bind', 'source': '/nonexistent-oci', 'options': ['rbind']})|mounts[7].source
memory_not_number|c['linux']['resources']['memory'] = {'limit': 'lots'}|linux.resources.memory.limit
namespace_unknown|c['linux']['namespaces'].append({'type': 'sideways'})|linux.namespaces[6].type
hook_in_container|c['hooks'] = {'createContainer': [{'path': '/bin/true'}]}|hooks.createContainer
hook_relative|c['hooks'] = {'poststart': [{'path': 'true'}]}|hooks.poststart[0].path
no_version|del c['ociVersion']|ociVersion
no_process|del c['process']|process
bad_json|RAW|config.json: line
missing_program|c['process']['args'] = ['/no-such-program']|/no-such-program
CASES
	# A terminal needs a console socket when detached, as with runc.
	make_bundle "$b" "$OCI_BB"
	cfg_edit "$b" "c['process']['terminal'] = True"
	run_to "$w/cfg_tty" "$SBR" --root "$OCI_ROOT" create --bundle "$b" badtty
	if [ "$(cat "$w/cfg_tty.rc")" = 1 ] && grep -q 'console socket' "$w/cfg_tty.err" && [ ! -e "$OCI_ROOT/badtty" ]; then
		pass oci_config_terminal_needs_console_socket
	else
		fail oci_config_terminal_needs_console_socket "$(show_head "$w/cfg_tty.err" stderr)"
	fi
	run_to "$w/cfg_dup" "$SBR" --root "$OCI_ROOT" create --bundle "$OCI_BUNDLE" dup
	run_to "$w/cfg_dup2" "$SBR" --root "$OCI_ROOT" create --bundle "$OCI_BUNDLE" dup
	if [ "$(cat "$w/cfg_dup.rc")" = 0 ] && [ "$(cat "$w/cfg_dup2.rc")" = 1 ] && grep -q 'exists' "$w/cfg_dup2.err"; then
		pass oci_config_duplicate_id
	else
		fail oci_config_duplicate_id "rc $(cat "$w/cfg_dup.rc") then $(cat "$w/cfg_dup2.rc")" \
			"$(show_head "$w/cfg_dup2.err" stderr)"
	fi
	ocr delete --force dup >/dev/null 2>&1
}

# --- the lifecycle --------------------------------------------------------

oci_lifecycle() {
	local w=$WORK/oci b=$OCI_BUNDLE pid
	cfg_edit "$b" "c['process']['args'] = ['sh', '-c', 'trap \"echo got TERM; exit 3\" TERM; echo started; echo hi > /tmp/hi; while :; do sleep 0.2; done']
c['annotations'] = {'org.example.test': 'yes'}"
	run_to "$w/create" "$SBR" --root "$OCI_ROOT" create --bundle "$b" --pid-file "$w/life.pid" life
	ocr state life >"$w/state1.out" 2>"$w/state1.err"
	pid=$(cat "$w/life.pid" 2>/dev/null)
	if [ "$(cat "$w/create.rc")" = 0 ] && [ "$(json_field "$w/state1.out" 'j["status"]')" = created ] &&
		[ "$(json_field "$w/state1.out" 'j["pid"]')" = "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		[ "$(json_field "$w/state1.out" 'j["annotations"]["org.example.test"]')" = yes ] &&
		[ "$(json_field "$w/state1.out" 'j["bundle"]')" = "$b" ]; then
		pass oci_life_create_state
	else
		fail oci_life_create_state "create rc $(cat "$w/create.rc"), pid file '$pid'" \
			"$(show_head "$w/state1.out" state)" "$(show_head "$w/create.err" stderr)"
	fi
	run_to "$w/start" "$SBR" --root "$OCI_ROOT" start life
	if [ "$(cat "$w/start.rc")" = 0 ] && wait_status life running; then
		pass oci_life_start_running
	else
		fail oci_life_start_running "$(show_head "$w/start.err" stderr)"
	fi
	run_to "$w/start2" "$SBR" --root "$OCI_ROOT" start life
	expect_rc oci_life_start_twice_fails "$w/start2.rc" 1
	sleep 0.3
	run_to "$w/exec" "$SBR" --root "$OCI_ROOT" exec life sh -c 'cat /tmp/hi; echo "ppid=$PPID"; exit 5'
	expect_file_eq oci_life_exec_output "$w/exec.out" 'hi\nppid=0'
	expect_rc oci_life_exec_status "$w/exec.rc" 5
	cat >"$w/process.json" <<'EOF'
{"args": ["sh", "-c", "echo from-process-json $FOO $(id -u):$(id -g); exit 6"],
 "env": ["FOO=bar", "PATH=/bin"], "cwd": "/tmp", "user": {"uid": 1000, "gid": 1000}}
EOF
	run_to "$w/exec_p" "$SBR" --root "$OCI_ROOT" exec --process "$w/process.json" --pid-file "$w/exec.pid" life
	expect_file_eq oci_life_exec_process_json "$w/exec_p.out" 'from-process-json bar 1000:1000'
	expect_rc oci_life_exec_process_json_status "$w/exec_p.rc" 6
	# --detach: the pid file names a host process that stands for the guest one.
	# ps lists init and the detached process (init's own `sleep 0.2` comes and goes).
	run_to "$w/exec_d" "$SBR" --root "$OCI_ROOT" exec --detach --pid-file "$w/execd.pid" life sleep 30
	local dpid
	dpid=$(cat "$w/execd.pid" 2>/dev/null)
	ocr ps --format json life >"$w/ps.out" 2>&1
	if [ "$(cat "$w/exec_d.rc")" = 0 ] && kill -0 "$dpid" 2>/dev/null &&
		[ "$(json_field "$w/ps.out" '1 in j and len(j) >= 2')" = True ]; then
		pass oci_life_exec_detach_ps
	else
		fail oci_life_exec_detach_ps "exec rc $(cat "$w/exec_d.rc"), pid '$dpid'" "$(show_head "$w/ps.out" ps)"
	fi
	# Killing the host stand-in kills the guest process (a shim kills exec'd processes so).
	kill -TERM "$dpid" 2>/dev/null
	local i
	for i in $(seq 50); do host_alive "$dpid" || break; sleep 0.1; done
	if ! host_alive "$dpid"; then
		pass oci_life_exec_detach_signal
	else
		fail oci_life_exec_detach_signal "the stand-in $dpid is still alive after SIGTERM"
		kill -9 "$dpid" 2>/dev/null
	fi
	run_to "$w/del_running" "$SBR" --root "$OCI_ROOT" delete life
	if [ "$(cat "$w/del_running.rc")" = 1 ] && grep -q 'not stopped' "$w/del_running.err"; then
		pass oci_life_delete_running_refused
	else
		fail oci_life_delete_running_refused "$(show_head "$w/del_running.err" stderr)"
	fi
	run_to "$w/kill" "$SBR" --root "$OCI_ROOT" kill life TERM
	if [ "$(cat "$w/kill.rc")" = 0 ] && wait_status life stopped; then
		pass oci_life_kill_term_stops
	else
		fail oci_life_kill_term_stops "$(show_head "$w/kill.err" stderr)" "$(ocr state life 2>&1)"
	fi
	run_to "$w/kill_stopped" "$SBR" --root "$OCI_ROOT" kill life KILL
	if [ "$(cat "$w/kill_stopped.rc")" = 1 ] && grep -q 'not running' "$w/kill_stopped.err"; then
		pass oci_life_kill_stopped_fails
	else
		fail oci_life_kill_stopped_fails "$(show_head "$w/kill_stopped.err" stderr)"
	fi
	run_to "$w/del" "$SBR" --root "$OCI_ROOT" delete life
	if [ "$(cat "$w/del.rc")" = 0 ] && [ ! -e "$OCI_ROOT/life" ] && ! host_alive "$pid"; then
		pass oci_life_delete
	else
		fail oci_life_delete "rc $(cat "$w/del.rc")" "$(ls "$OCI_ROOT" 2>&1)"
	fi

	# run: create + start + wait; the container's exit status is run's.
	cfg_edit "$b" "c['process']['args'] = ['sh', '-c', 'echo out; echo err >&2; exit 7']"
	run_to "$w/run" "$SBR" --root "$OCI_ROOT" run --bundle "$b" runner
	expect_file_eq oci_life_run_output "$w/run.out" 'out'
	expect_rc oci_life_run_status "$w/run.rc" 7
	if [ ! -e "$OCI_ROOT/runner" ]; then pass oci_life_run_cleans_up; else fail oci_life_run_cleans_up; fi

	# A sandbox killed from the host: stopped, and delete --force cleans up.
	cfg_edit "$b" "c['process']['args'] = ['sleep', '60']"
	ocr create --bundle "$b" --pid-file "$w/dead.pid" dead >/dev/null 2>&1
	ocr start dead >/dev/null 2>&1
	kill -9 "$(cat "$w/dead.pid")"
	sleep 0.3
	ocr state dead >"$w/dead_state.out" 2>&1
	run_to "$w/dead_del" "$SBR" --root "$OCI_ROOT" delete --force dead
	if [ "$(json_field "$w/dead_state.out" 'j["status"]')" = stopped ] && [ "$(cat "$w/dead_del.rc")" = 0 ] &&
		[ ! -e "$OCI_ROOT/dead" ]; then
		pass oci_life_dead_sandbox_force_delete
	else
		fail oci_life_dead_sandbox_force_delete "$(show_head "$w/dead_state.out" state)" \
			"$(show_head "$w/dead_del.err" stderr)"
	fi
	# delete --force of a running container kills it.
	ocr create --bundle "$b" --pid-file "$w/force.pid" force >/dev/null 2>&1
	ocr start force >/dev/null 2>&1
	run_to "$w/force_del" "$SBR" --root "$OCI_ROOT" delete --force force
	if [ "$(cat "$w/force_del.rc")" = 0 ] && [ ! -e "$OCI_ROOT/force" ] && ! host_alive "$(cat "$w/force.pid")"; then
		pass oci_life_force_delete_running
	else
		fail oci_life_force_delete_running "$(show_head "$w/force_del.err" stderr)"
	fi
	# kill of a created (never started) container ends it, as runc's does.
	ocr create --bundle "$b" created >/dev/null 2>&1
	ocr kill created KILL >/dev/null 2>&1
	if wait_status created stopped; then pass oci_life_kill_created; else fail oci_life_kill_created; fi
	ocr delete created >/dev/null 2>&1
}

# --- what config.json asks for -------------------------------------------

oci_config_fields() {
	local w=$WORK/oci b=$WORK/oci/fields
	make_bundle "$b" "$OCI_BB"
	mkdir -p "$w/hostdir" && echo from-host >"$w/hostdir/f" && echo host-file >"$w/hostfile"
	cat >"$w/hook.sh" <<EOF
#!/bin/sh
# Records the hook's name and the state it was given on stdin.
cat >"$w/hook-\$1.json"
EOF
	chmod +x "$w/hook.sh"
	cfg_edit "$b" "c['process']['args'] = ['sh', '-c', 'hostname; id -u; id -g; id -G; echo \$GREETING; pwd; ulimit -n; cat /data/f /etc/injected; echo x > /data/new 2>/dev/null && echo wrote-ro || echo ro-refused; echo y > /scratch/y && cat /scratch/y; grep -c \" /scratch tmpfs\" /proc/mounts; grep MemTotal /proc/meminfo; (for i in 1 2 3 4 5 6; do sleep 1 & done; wait) 2>&1 | grep -c -i fork; ls /sys/fs/cgroup | wc -l']
c['process']['user'] = {'uid': 1234, 'gid': 567, 'additionalGids': [10, 20]}
c['process']['env'].append('GREETING=hello-env')
c['process']['cwd'] = '/work/here'
c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'hard': 512, 'soft': 256}]
c['hostname'] = 'oci-host'
c['mounts'] += [{'destination': '/data', 'type': 'bind', 'source': '$w/hostdir', 'options': ['rbind', 'ro']},
                {'destination': '/etc/injected', 'type': 'bind', 'source': '$w/hostfile', 'options': ['bind', 'ro']},
                {'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m', 'mode=1777']}]
c['linux']['resources']['memory'] = {'limit': 268435456}
c['linux']['resources']['pids'] = {'limit': 4}
c['hooks'] = {k: [{'path': '$w/hook.sh', 'args': ['hook.sh', k]}] for k in ('prestart', 'createRuntime', 'poststart', 'poststop')}"
	run_to "$w/fields" "$SBR" --root "$OCI_ROOT" run --bundle "$b" fields
	local want='oci-host\n1234\n567\n567 10 20\nhello-env\n/work/here\n256\nfrom-host\nhost-file\nro-refused\ny\n1\nMemTotal:         262144 kB\n'
	want="${want}1\n0"
	expect_file_eq oci_fields_process_mounts_limits "$w/fields.out" "$want"
	local k ok=1
	for k in prestart createRuntime poststart poststop; do
		[ "$(json_field "$w/hook-$k.json" 'j["id"]')" = fields ] || ok=0
	done
	if [ $ok = 1 ] && [ "$(json_field "$w/hook-poststop.json" 'j["status"]')" = stopped ] &&
		[ "$(json_field "$w/hook-createRuntime.json" 'j["status"]')" = created ]; then
		pass oci_fields_hooks
	else
		fail oci_fields_hooks "$(ls "$w"/hook-* 2>&1)" "$(cat "$w"/hook-*.json 2>&1 | head -5)"
	fi
	if [ ! -e "$w/hostdir/new" ]; then pass oci_fields_ro_bind_untouched; else fail oci_fields_ro_bind_untouched; fi
	# A failing hook fails create, and leaves nothing.
	cfg_edit "$b" "c['hooks'] = {'createRuntime': [{'path': '/bin/false'}]}"
	run_to "$w/hookfail" "$SBR" --root "$OCI_ROOT" create --bundle "$b" hookfail
	if [ "$(cat "$w/hookfail.rc")" = 1 ] && grep -q 'hooks.createRuntime\[0\]' "$w/hookfail.err" &&
		[ ! -e "$OCI_ROOT/hookfail" ]; then
		pass oci_fields_failing_hook
	else
		fail oci_fields_failing_hook "$(show_head "$w/hookfail.err" stderr)"
	fi
	# A writable bind: the guest's writes reach the host directory, as with runc.
	mkdir -p "$w/rwdir"
	cfg_edit "$b" "c['hooks'] = {}
c['process']['user'] = {'uid': 0, 'gid': 0}
c['linux']['resources'] = {}
c['mounts'].append({'destination': '/rw', 'type': 'bind', 'source': '$w/rwdir', 'options': ['rbind', 'rw']})
c['process']['args'] = ['sh', '-c', 'echo from-guest > /rw/out && echo ok']"
	run_to "$w/rwbind" "$SBR" --root "$OCI_ROOT" run --bundle "$b" rwbind
	if [ "$(cat "$w/rwbind.out")" = ok ] && [ "$(cat "$w/rwdir/out" 2>/dev/null)" = from-guest ]; then
		pass oci_fields_writable_bind
	else
		fail oci_fields_writable_bind "$(show_head "$w/rwbind.out" stdout)" "$(show_head "$w/rwbind.err" stderr)"
	fi
	# A read-only root.
	cfg_edit "$b" "c['hooks'] = {}
c['root']['readonly'] = True
c['process']['user'] = {'uid': 0, 'gid': 0}
c['process']['cwd'] = '/'
c['linux']['resources'] = {}
c['process']['args'] = ['sh', '-c', 'touch /newfile 2>/dev/null && echo wrote || echo refused; touch /scratch/ok && echo tmpfs-ok']"
	run_to "$w/rofs" "$SBR" --root "$OCI_ROOT" run --bundle "$b" rofs
	expect_file_eq oci_fields_readonly_root "$w/rofs.out" 'refused\ntmpfs-ok'
}

# --- linux.seccomp ----------------------------------------------------------

# sc_run NAME BUNDLE WANT [RC]: run BUNDLE under sandbox-runc and, where runc
# works here, under runc too; both must print WANT (and exit RC, default 0).
sc_run() {
	local w=$WORK/oci name=$1 b=$2 want rc=${4:-0}
	want=$(printf "$3")
	run_to "$w/$name" "$SBR" --root "$OCI_ROOT" run --bundle "$b" "$name"
	if [ "$(cat "$w/$name.out")" = "$want" ] && [ "$(cat "$w/$name.rc")" = "$rc" ]; then
		pass "$name"
	else
		fail "$name" "want (exit $rc): $(printf '%q' "$want")" \
			"got (exit $(cat "$w/$name.rc")):  $(printf '%q' "$(cat "$w/$name.out")")" \
			"$(show_head "$w/$name.err" stderr)"
	fi
	[ -n "$SC_RUNC" ] || return 0
	run_to "$w/$name.runc" runc --root "$w/runc-root" run --bundle "$b" "$name"
	if [ "$(cat "$w/$name.runc.out")" = "$want" ] && [ "$(cat "$w/$name.runc.rc")" = "$rc" ]; then
		pass "${name}_as_runc"
	else
		fail "${name}_as_runc" "runc: exit $(cat "$w/$name.runc.rc"): $(printf '%q' "$(cat "$w/$name.runc.out")")" \
			"$(show_head "$w/$name.runc.err" stderr)"
	fi
}

oci_seccomp() {
	local w=$WORK/oci b=$WORK/oci/sc
	make_bundle "$b" "$OCI_BB"
	if ! gcc -O1 -Wall -Werror -static -o "$OCI_BB/bin/scmp_probe" "$E2E_DIR/progs/scmp_probe.c"; then
		fail oci_seccomp_probe_built
		return 0
	fi
	# runc itself, to compare with, where it can run a container here.
	SC_RUNC=
	if command -v runc >/dev/null && [ "$(id -u)" = 0 ]; then
		cfg_edit "$b" "c['process']['args'] = ['true']"
		run_to "$w/runc_probe" runc --root "$w/runc-root" run --bundle "$b" runc-probe
		if [ "$(cat "$w/runc_probe.rc")" = 0 ]; then
			SC_RUNC=1
		else
			echo "SKIP oci_seccomp_*_as_runc: runc cannot run a container here: $(head -n 1 "$w/runc_probe.err")"
		fi
	else
		echo "SKIP oci_seccomp_*_as_runc: runc is not installed, or not root"
	fi
	# An errno rule over ALLOW; the filter is there without no_new_privs (the runtime installs it).
	cfg_edit "$b" "c['process']['noNewPrivileges'] = False
c['process']['args'] = ['sh', '-c', 'mkdir /tmp/x 2>/dev/null; echo mkdir=\$?; scmp_probe mkdir:/tmp/y; echo data > /tmp/f && cat /tmp/f; ls / | grep -c tmp; grep -E \"^(Seccomp|NoNewPrivs):\" /proc/self/status']
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
    {'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}"
	sc_run oci_seccomp_errno_rule "$b" 'mkdir=1\nmkdir:/tmp/y = -1 EACCES\ndata\n1\nNoNewPrivs:\t0\nSeccomp:\t2'

	# defaultAction ERRNO with an allow-list enough for sh (and for runc's
	# own last steps): sh works, mkdir gets EPERM, and clone3, numbered
	# above everything the profile names, ENOSYS (runc's stub).
	cfg_edit "$b" "c['process']['noNewPrivileges'] = True
c['process']['args'] = ['sh', '-c', 'echo hi; mkdir /tmp/d 2>/dev/null; echo rc=\$?; scmp_probe mkdir:/tmp/e nr:435 nr:140']
names = 'execve brk arch_prctl set_tid_address set_robust_list rseq prlimit64 getrandom mprotect mmap munmap read write exit_group exit getpid getppid getuid geteuid getgid getegid rt_sigaction rt_sigprocmask rt_sigreturn uname newfstatat fstat stat lstat wait4 clone readlink prctl ioctl fcntl close openat futex nanosleep sched_yield sigaltstack gettid tgkill epoll_pwait epoll_ctl madvise dup2 dup3 capget capset setgroups setuid setgid getcwd chdir fchdir fstatfs statfs getdents64'.split()
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ERRNO',
    'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    'syscalls': [{'names': names, 'action': 'SCMP_ACT_ALLOW'}]}"
	sc_run oci_seccomp_allow_list "$b" 'hi\nrc=1\nmkdir:/tmp/e = -1 EPERM\nnr:435 = -1 ENOSYS\nnr:140 = -1 EPERM'

	# An argument comparison: getpriority(PRIO_USER, 0) refused, getpriority(PRIO_PROCESS, 0)
	# not (the raw call returns 20 - nice).
	cfg_edit "$b" "c['process']['args'] = ['scmp_probe', 'nr:140:2', 'nr:140:0']
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
    {'names': ['getpriority'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 2, 'op': 'SCMP_CMP_EQ'}]}]}"
	sc_run oci_seccomp_args "$b" 'nr:140:2 = -1 EPERM\nnr:140:0 = 20'

	# KILL_PROCESS: the first process dies of SIGSYS at syslog (128 + 31). (Not
	# getpid: runc itself calls it after installing the filter.)
	cfg_edit "$b" "c['process']['args'] = ['scmp_probe', 'nr:140', 'nr:103', 'nr:140']
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
    {'names': ['syslog'], 'action': 'SCMP_ACT_KILL_PROCESS'}]}"
	sc_run oci_seccomp_kill_process "$b" 'nr:140 = 20' 159

	# A Docker-style default profile: containers-common's (podman's) list,
	# as Docker and podman turn it into linux.seccomp for amd64 and the
	# spec's capabilities, with Docker's EPERM default and without the calls
	# Docker keeps for CAP_SYS_ADMIN (unshare, mount, setns, keyctl...).
	if [ -f /usr/share/containers/seccomp.json ]; then
		cfg_edit "$b" "import json as J
prof = J.load(open('/usr/share/containers/seccomp.json'))
caps = set(c['process']['capabilities']['bounding'])
docker_admin_only = {'unshare', 'mount', 'umount', 'umount2', 'setns', 'keyctl', 'add_key', 'request_key',
    'pivot_root', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick'}
def wanted(s):
    inc, exc = s.get('includes') or {}, s.get('excludes') or {}
    if inc.get('arches') and 'amd64' not in inc['arches']: return False
    if 'amd64' in (exc.get('arches') or []): return False
    if inc.get('caps') and not set(inc['caps']) <= caps: return False
    if set(exc.get('caps') or []) & caps: return False
    return True
calls = []
for s in prof['syscalls']:
    if not wanted(s): continue
    names = [n for n in s['names'] if not (s['action'] == 'SCMP_ACT_ALLOW' and n in docker_admin_only)]
    if names:
        e = {'names': names, 'action': s['action'], 'args': s.get('args') or []}
        if 'errnoRet' in s: e['errnoRet'] = s['errnoRet']
        calls.append(e)
arch = [a for a in prof['archMap'] if a['architecture'] == 'SCMP_ARCH_X86_64'][0]
c['linux']['seccomp'] = {'defaultAction': prof['defaultAction'], 'defaultErrnoRet': 1,
    'architectures': [arch['architecture']] + arch['subArchitectures'], 'syscalls': calls}
c['process']['args'] = ['sh', '-c', 'echo ok; ls /bin | grep -cx sh; mkdir /tmp/d && echo mkdir-ok; unshare --user true 2>/dev/null; echo unshare=\$?; scmp_probe unshare-user mount-tmpfs:/tmp keyctl; grep -E \"^(NoNewPrivs|Seccomp):\" /proc/self/status']"
		sc_run oci_seccomp_docker_profile "$b" 'ok\n1\nmkdir-ok\nunshare=1\nunshare-user = -1 EPERM\nmount-tmpfs:/tmp = -1 EPERM\nkeyctl = -1 EPERM\nNoNewPrivs:\t1\nSeccomp:\t2'
	else
		echo "SKIP oci_seccomp_docker_profile: no /usr/share/containers/seccomp.json (golang-github-containers-common)"
	fi

	# exec'd processes get the container's filter too, as with runc.
	cfg_edit "$b" "c['process']['args'] = ['sleep', '30']
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
    {'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}"
	ocr run --detach --bundle "$b" sc-exec >/dev/null 2>&1
	run_to "$w/sc_exec" "$SBR" --root "$OCI_ROOT" exec sc-exec scmp_probe mkdir:/tmp/z nr:140
	expect_file_eq oci_seccomp_exec "$w/sc_exec.out" 'mkdir:/tmp/z = -1 EACCES\nnr:140 = 20'
	ocr delete --force sc-exec >/dev/null 2>&1

	# What the sandbox cannot do, or a malformed profile, fails create with the field named.
	local i=0 prof want
	for prof in "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/run/agent.sock', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}|SCMP_ACT_NOTIFY is not supported" \
		"{'defaultAction': 'SCMP_ACT_BOGUS'}|linux.seccomp.defaultAction" \
		"{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_SIMILAR'}]}]}|linux.seccomp.syscalls[0].args[0].op" \
		"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW'}]}|execve"; do
		i=$((i + 1))
		want=${prof#*|}
		cfg_edit "$b" "c['process']['args'] = ['true']
c['linux']['seccomp'] = ${prof%%|*}"
		run_to "$w/sc_bad$i" "$SBR" --root "$OCI_ROOT" create --bundle "$b" scbad$i
		if [ "$(cat "$w/sc_bad$i.rc")" != 0 ] && grep -qF "$want" "$w/sc_bad$i.err" && [ ! -e "$OCI_ROOT/scbad$i" ]; then
			pass "oci_seccomp_refused_$i"
		else
			fail "oci_seccomp_refused_$i" "exit $(cat "$w/sc_bad$i.rc"), expected an error naming '$want'" \
				"$(show_head "$w/sc_bad$i.err" stderr)"
			ocr delete --force scbad$i >/dev/null 2>&1
		fi
	done
}

# --- a python3 bundle -----------------------------------------------------

oci_python() {
	local w=$WORK/oci b=$WORK/oci/py
	make_bundle "$b" "$OCI_PY"
	cfg_edit "$b" "c['process']['args'] = ['python3', '-c', 'import json, hashlib, os; print(json.dumps({\"pid\": os.getpid()}), hashlib.sha256(b\"x\").hexdigest())']"
	run_to "$w/py" "$SBR" --root "$OCI_ROOT" run --bundle "$b" py
	expect_file_eq oci_python_run "$w/py.out" \
		'{"pid": 1} 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'
	expect_rc oci_python_run_status "$w/py.rc" 0
	# linux.resources.memory.limit caps the container's memory (the host
	# memory cgroup, sentry/memcg.c): touching 1 GiB under 256 MiB ends in
	# the OOM killer's SIGKILL, as with runc.
	if ! "$SB" run --debug -- /bin/true 2>&1 | grep -q 'memory cgroup .*: limit'; then
		echo "SKIP oci_python_memory_limit_oom: the sentry gets no memory cgroup here"
		return 0
	fi
	cfg_edit "$b" "c['process']['args'] = ['python3', '-c', 'x = b\"x\" * (1 << 30); print(len(x))']
c['linux']['resources'] = {'memory': {'limit': 268435456}}"
	run_to "$w/pymem" "$SBR" --root "$OCI_ROOT" run --bundle "$b" pymem
	if [ "$(cat "$w/pymem.rc")" = 137 ] && [ ! -s "$w/pymem.out" ]; then
		pass oci_python_memory_limit_oom
	else
		fail oci_python_memory_limit_oom "exit status $(cat "$w/pymem.rc"), expected 137" \
			"$(show_head "$w/pymem.out" stdout)" "$(show_head "$w/pymem.err" stderr)"
	fi
}

# --- containerd -----------------------------------------------------------

# ctd ARGS...: ctr against the private containerd.
ctd() {
	timeout -k 5 "$OCI_TIMEOUT" ctr --address "$CTD_DIR/containerd.sock" "$@"
}

ctd_start() {
	CTD_DIR=$WORK/ctd
	mkdir -p "$CTD_DIR"
	cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$CTD_DIR/containerd.sock"
[ttrpc]
  address = "$CTD_DIR/containerd.sock.ttrpc"
[debug]
  address = "$CTD_DIR/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD_DIR/opt"
EOF
	containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/containerd.log" 2>&1 &
	CTD_PID=$!
	local i
	for i in $(seq 100); do
		ctr --address "$CTD_DIR/containerd.sock" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

ctd_stop() {
	[ -n "${CTD_PID:-}" ] || return 0
	local t
	for t in $(ctd task ls -q 2>/dev/null); do
		ctd task kill -s KILL "$t" >/dev/null 2>&1
		ctd task delete -f "$t" >/dev/null 2>&1
	done
	for t in $(ctd container ls -q 2>/dev/null); do ctd container rm "$t" >/dev/null 2>&1; done
	kill "$CTD_PID" 2>/dev/null
	wait "$CTD_PID" 2>/dev/null
	CTD_PID=
	# Snapshots are mounted under its root while containers exist: none may remain.
	grep -q " $CTD_DIR/" /proc/mounts && awk -v d="$CTD_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
		sort -r | xargs -r umount -l
}

oci_containerd() {
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
		! command -v containerd-shim-runc-v2 >/dev/null; then
		echo "SKIP oci_ctr_*: containerd is not installed (make e2e-deps installs it as root)"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP oci_ctr_*: a private containerd needs root"
		return 0
	fi
	if ! ctd_start; then
		fail oci_ctr_start "containerd did not start" "$(tail -n 20 "$CTD_DIR/containerd.log")"
		ctd_stop
		return 0
	fi
	local w=$WORK/oci rt=(--runc-binary "$SBR" --runc-root "$CTD_DIR/runc")
	local ctr=(ctr --address "$CTD_DIR/containerd.sock")
	python3 "$E2E_DIR/oci_image.py" image "$OCI_BB" sbx-busybox "$w/bb.tar" &&
		python3 "$E2E_DIR/oci_image.py" image "$OCI_PY" sbx-python "$w/py.tar" python3
	run_to "$w/ctr_import" "${ctr[@]}" image import "$w/bb.tar"
	run_to "$w/ctr_import_py" "${ctr[@]}" image import "$w/py.tar"
	if [ "$(cat "$w/ctr_import.rc")" = 0 ] && [ "$(cat "$w/ctr_import_py.rc")" = 0 ]; then
		pass oci_ctr_image_import
	else
		fail oci_ctr_image_import "$(show_head "$w/ctr_import.err" stderr)" "$(show_head "$w/ctr_import_py.err" stderr)"
	fi
	local img=docker.io/library/sbx-busybox:latest pyimg=docker.io/library/sbx-python:latest
	run_to "$w/ctr_run" "${ctr[@]}" run "${rt[@]}" --rm "$img" c-run \
		sh -c 'echo printed; echo written > /tmp/file; cat /tmp/file; exit 42'
	expect_file_eq oci_ctr_run_output "$w/ctr_run.out" 'printed\nwritten'
	expect_rc oci_ctr_run_exit_code "$w/ctr_run.rc" 42
	run_to "$w/ctr_py" "${ctr[@]}" run "${rt[@]}" --rm "$pyimg" c-py \
		python3 -c 'import json; print(json.dumps([1, 2]))'
	expect_file_eq oci_ctr_run_python "$w/ctr_py.out" '[1, 2]'
	# ctr run --seccomp: containerd's default profile (the CRI's RuntimeDefault,
	# Docker's), the same as under runc (ctr's default runtime).
	if [ -x "$OCI_BB/bin/scmp_probe" ]; then
		local sc_cmd=(sh -c 'echo ok; scmp_probe unshare-user keyctl nr:140; grep -E "^Seccomp:" /proc/self/status')
		local sc_want='ok\nunshare-user = -1 EPERM\nkeyctl = -1 EPERM\nnr:140 = 20\nSeccomp:\t2'
		run_to "$w/ctr_sc" "${ctr[@]}" run "${rt[@]}" --seccomp --rm "$img" c-sc "${sc_cmd[@]}"
		expect_file_eq oci_ctr_run_seccomp_default "$w/ctr_sc.out" "$sc_want"
		if command -v runc >/dev/null; then
			run_to "$w/ctr_sc_runc" "${ctr[@]}" run --seccomp --rm "$img" c-sc-runc "${sc_cmd[@]}"
			expect_file_eq oci_ctr_run_seccomp_default_as_runc "$w/ctr_sc_runc.out" "$sc_want"
		fi
	fi

	run_to "$w/ctr_bg" "${ctr[@]}" run "${rt[@]}" -d "$img" c-bg sh -c 'echo ready > /tmp/ready; while :; do sleep 0.2; done'
	sleep 0.5
	run_to "$w/ctr_exec" "${ctr[@]}" task exec --exec-id e1 c-bg sh -c 'cat /tmp/ready; exit 3'
	expect_file_eq oci_ctr_exec_output "$w/ctr_exec.out" 'ready'
	expect_rc oci_ctr_exec_exit_code "$w/ctr_exec.rc" 3
	run_to "$w/ctr_ps" "${ctr[@]}" task ps c-bg
	if grep -Eq '^1 ' "$w/ctr_ps.out"; then pass oci_ctr_task_ps; else fail oci_ctr_task_ps "$(show_head "$w/ctr_ps.out" out)"; fi
	run_to "$w/ctr_kill" "${ctr[@]}" task kill -s KILL c-bg
	local i
	for i in $(seq 50); do ctd task ls 2>/dev/null | grep -q 'c-bg.*STOPPED' && break; sleep 0.1; done
	if [ "$(cat "$w/ctr_kill.rc")" = 0 ] && ctd task ls | grep -q 'c-bg.*STOPPED'; then
		pass oci_ctr_task_kill
	else
		fail oci_ctr_task_kill "$(show_head "$w/ctr_kill.err" stderr)" "$(ctd task ls 2>&1)"
	fi
	run_to "$w/ctr_del" "${ctr[@]}" task delete c-bg
	ctd container rm c-bg >/dev/null 2>&1
	if [ "$(cat "$w/ctr_del.rc")" = 0 ] && [ -z "$(ls "$CTD_DIR/runc/default" 2>/dev/null)" ]; then
		pass oci_ctr_task_delete
	else
		fail oci_ctr_task_delete "$(show_head "$w/ctr_del.err" stderr)" "$(ls "$CTD_DIR/runc/default" 2>&1)"
	fi

	# ctr run -t: the shim's console socket gets the pty master; drive it from a host pty.
	run_to "$w/ctr_tty" python3 "$E2E_DIR/oci_pty.py" 'echo tty-$((6*7)); exit 4' -- \
		"${ctr[@]}" run "${rt[@]}" -t --rm "$img" c-tty sh
	if grep -q 'tty-42' "$w/ctr_tty.out" && grep -q '^\[exit 4\]' "$w/ctr_tty.out"; then
		pass oci_ctr_run_tty
	else
		fail oci_ctr_run_tty "$(show_head "$w/ctr_tty.out" out)" "$(show_head "$w/ctr_tty.err" stderr)"
	fi
	# ^C on the container's terminal interrupts the shell's foreground job, not the shell.
	run_to "$w/ctr_intr" python3 "$E2E_DIR/oci_pty.py" 'sleep 20' '^C' 'echo rc=$?; exit 6' -- \
		"${ctr[@]}" run "${rt[@]}" -t --rm "$img" c-intr sh
	if grep -q 'rc=130' "$w/ctr_intr.out" && grep -q '^\[exit 6\]' "$w/ctr_intr.out"; then
		pass oci_ctr_run_tty_ctrl_c
	else
		fail oci_ctr_run_tty_ctrl_c "$(show_head "$w/ctr_intr.out" out)" "$(show_head "$w/ctr_intr.err" stderr)"
	fi
	ctd_stop
	if ! pgrep -f "containerd-shim-runc-v2.*$CTD_DIR" >/dev/null && ! pgrep -f "sandbox-runc.*$CTD_DIR" >/dev/null; then
		pass oci_ctr_nothing_left
	else
		fail oci_ctr_nothing_left "$(pgrep -af "$CTD_DIR")"
	fi
}

# --- podman ---------------------------------------------------------------

oci_podman() {
	if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
		echo "SKIP oci_podman_*: podman is not installed (make e2e-deps installs it as root)"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP oci_podman_*: the podman tests run as root"
		return 0
	fi
	local w=$WORK/oci p=$WORK/podman img=docker.io/library/sbx-busybox:latest
	local pm=(podman --root "$p/root" --runroot "$p/runroot" --storage-driver vfs --cgroup-manager cgroupfs
		--events-backend file --tmpdir "$p/tmp" --runtime "$SBR")
	mkdir -p "$p"
	[ -f "$w/bb.tar" ] || python3 "$E2E_DIR/oci_image.py" image "$OCI_BB" sbx-busybox "$w/bb.tar"
	run_to "$w/pm_load" timeout 60 "${pm[@]}" load -i "$w/bb.tar"
	expect_rc oci_podman_load "$w/pm_load.rc" 0
	run_to "$w/pm_run" timeout 60 "${pm[@]}" run --rm --network none "$img" \
		sh -c 'echo printed; echo written > /tmp/file; cat /tmp/file; cat /etc/hostname >/dev/null && echo hostname-file; exit 9'
	expect_file_eq oci_podman_run_output "$w/pm_run.out" 'printed\nwritten\nhostname-file'
	expect_rc oci_podman_run_exit_code "$w/pm_run.rc" 9
	run_to "$w/pm_bg" timeout 60 "${pm[@]}" run -d --name pm-bg --network none "$img" sh -c 'while :; do sleep 0.2; done'
	run_to "$w/pm_exec" timeout 60 "${pm[@]}" exec pm-bg sh -c 'echo in-exec; exit 6'
	expect_file_eq oci_podman_exec_output "$w/pm_exec.out" 'in-exec'
	expect_rc oci_podman_exec_exit_code "$w/pm_exec.rc" 6
	run_to "$w/pm_rm" timeout 60 "${pm[@]}" rm -f -t 0 pm-bg
	expect_rc oci_podman_rm_force "$w/pm_rm.rc" 0
	run_to "$w/pm_tty" python3 "$E2E_DIR/oci_pty.py" 'echo tty-$((6*7)); exit 5' -- \
		"${pm[@]}" run -it --rm --network none "$img" sh
	if grep -q 'tty-42' "$w/pm_tty.out" && grep -q '^\[exit 5\]' "$w/pm_tty.out"; then
		pass oci_podman_run_tty
	else
		fail oci_podman_run_tty "$(show_head "$w/pm_tty.out" out)" "$(show_head "$w/pm_tty.err" stderr)"
	fi
	"${pm[@]}" rm -a -f >/dev/null 2>&1
	"${pm[@]}" system reset -f >/dev/null 2>&1
	awk -v d="$p/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l
}

oci_tests() {
	SBR=$BUILD/sandbox-runc
	case $SBR in /*) ;; *) SBR=$PWD/$SBR ;; esac
	if [ ! -x "$SBR" ]; then
		fail oci_runtime_built "$SBR does not exist"
		return 0
	fi
	# Tools for the later parts, through the Makefile's install mechanism.
	if [ "$(id -u)" = 0 ] && { ! command -v ctr >/dev/null || ! command -v podman >/dev/null; }; then
		make -s -C "$E2E_DIR/../.." e2e-deps BUILD="$BUILD" >/dev/null 2>&1
	fi
	OCI_ROOT=$WORK/oci/root
	mkdir -p "$WORK/oci"
	OCI_BB=$WORK/oci/busybox
	OCI_PY=$WORK/oci/python
	python3 "$E2E_DIR/oci_image.py" busybox "$OCI_BB"
	python3 "$E2E_DIR/oci_image.py" python "$OCI_PY"
	OCI_BUNDLE=$WORK/oci/bundle
	make_bundle "$OCI_BUNDLE" "$OCI_BB"
	oci_cli
	oci_config
	oci_lifecycle
	oci_config_fields
	oci_seccomp
	oci_python
	oci_containerd
	oci_podman
	# Nothing of ours may outlive the tests.
	local left
	left=$(ls "$OCI_ROOT" 2>/dev/null)
	if [ -z "$left" ] && ! pgrep -f "sandbox-runc --root $OCI_ROOT" >/dev/null; then
		pass oci_nothing_left_behind
	else
		fail oci_nothing_left_behind "state: $left" "$(pgrep -af "$OCI_ROOT")"
		for left in $(ls "$OCI_ROOT" 2>/dev/null); do ocr delete --force "$left" >/dev/null 2>&1; done
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	BUILD=${1:-build}
	SB=$BUILD/sandbox
	WORK=$(mktemp -d /tmp/sandbox-oci.XXXXXX)
	trap 'ctd_stop; rm -rf "$WORK"' EXIT
	oci_tests
	summary
fi
