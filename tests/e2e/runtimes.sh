# Language runtimes (sourced by tests/e2e/run.sh): a JVM, Node and Rust,
# each compiling or loading a small program that uses threads, a child
# process and files, natively and in the sandbox, output compared; and
# gcc's AddressSanitizer and ThreadSanitizer, whose runtimes reserve tens
# of TiB of address space. They
# lean on what shells do not: many threads blocked in futexes and epoll
# while another one forks and execs (rustup's rustc is itself a
# multithreaded proxy that execs the real compiler), frequent getrusage
# (the JVM), worker threads with their own event loops (Node). A runtime
# that is not installed is skipped with a SKIP line.

RT_DIR=$E2E_DIR/runtimes

# rt_case NAME TOOL SCRIPT: SCRIPT (sh, run in a fresh temporary directory
# given as $1, with the sources' directory as $2) natively and in the
# sandbox, if TOOL is installed.
rt_case() {
	local name=$1 tool=$2 script=$3
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP $name: no $tool here"
		return 0
	fi
	local wrap='d=$(mktemp -d) || exit 1; '"$script"'; rc=$?; rm -rf "$d"; exit $rc'
	run_to "$WORK/$name.native" sh -c "$wrap" sh "$RT_DIR"
	run_to "$WORK/$name.sandbox" "$SB" run -- sh -c "$wrap" sh "$RT_DIR"
	compare "$name"
}

runtimes_tests() {
	rt_case java_threads_process javac \
		'javac -d "$d" "$1/Threads.java" && java -cp "$d" Threads'
	rt_case node_worker_child_http node 'cd "$d" && node "$1/workers.js"'
	rt_case rust_threads_command rustc \
		'rustc --version >/dev/null && rustc -O -o "$d/t" "$1/threads.rs" && "$d/t"'
	# LeakSanitizer needs ptrace (not in the sandbox): leaks are not checked.
	rt_case asan_heap_overflow gcc \
		'gcc -fsanitize=address -g -o "$d/a" "$1/overflow.c" &&
		 { ASAN_OPTIONS=detect_leaks=0 "$d/a"; echo "status $?"; } 2>&1 | "$1/sanitizer_lines.sh"'
	rt_case tsan_data_race gcc \
		'gcc -fsanitize=thread -g -o "$d/t" "$1/race.c" -lpthread &&
		 { "$d/t"; echo "status $?"; } 2>&1 | "$1/sanitizer_lines.sh"'
}
