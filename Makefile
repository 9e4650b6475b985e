# Build, dependency install, tests and benchmarks for the sandbox.
#   make          install missing Debian build deps (as root) and build build/sandbox
#   make test     unit tests, syscall conformance (native + sandbox), e2e and security tests
#   make asan     the same binaries with ASan/UBSan, under build-asan/
#   make bench    benchmarks side by side with native and proot

DEB_DEPS := gcc make pkg-config libseccomp-dev libunwind-dev libcapstone-dev \
            libcriterion-dev libjansson-dev busybox-static proot sqlite3 git python3-venv procps \
            net-tools iproute2 liblwip-dev libslirp-dev
PKGS     := libseccomp libunwind capstone jansson

BUILD    ?= build
CC       ?= gcc
SAN      ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
            -Wno-missing-field-initializers -fno-strict-aliasing \
            -D_GNU_SOURCE -I. $(SAN)
LDFLAGS  += $(SAN)

LIB_SRCS := $(filter-out net/netstack/%,$(wildcard sentry/*.c syscalls/*.c fs/*.c fs/*/*.c \
                       net/*.c net/*/*.c platform/ptrace/*.c oci/*.c))
LIB_ASM  := $(wildcard platform/ptrace/*.S)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_ASM:%.S=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
SYSTEST_SRCS := $(wildcard tests/syscalls/*.c)

.PHONY: all deps e2e-deps test unit-test syscall-test e2e-test compat-check asan asan-test bench clean pytest-conformance pytest-conformance-fs pytest-conformance-net pytest-conformance-more

all: $(BUILD)/.deps-ok $(BUILD)/sandbox $(BUILD)/sandbox-runc $(BUILD)/sandbox-netstack

# Install missing Debian packages when root; otherwise print the exact command.
$(BUILD)/.deps-ok: Makefile
	@mkdir -p $(BUILD)
	@missing=""; for p in $(DEB_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get install -y -q $$missing || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing)) >&2 || exit 1; \
	  else \
	    echo "missing build dependencies; run as root:"; \
	    echo "  apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi; touch $@

deps: $(BUILD)/.deps-ok

# What the end-to-end tests drive: containerd and its runc shim, runc itself
# (to compare), podman (tests/e2e/oci.sh); iputils-ping (ping sockets,
# tests/e2e/egress.sh). Installed when root and missing, one package at a
# time; one that cannot be installed is reported and its tests are
# skipped, never a build failure.
E2E_DEPS := containerd runc podman iputils-ping

e2e-deps:
	@for p in $(E2E_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" && continue; \
	  if [ "$$(id -u)" != 0 ]; then echo "note: $$p is missing (apt-get install -y $$p as root)"; continue; fi; \
	  echo "installing $$p (for the e2e tests)"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$p || (apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$p)) >/dev/null 2>&1 || \
	    echo "note: could not install $$p; its tests will be skipped"; \
	done

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

$(BUILD)/obj/%.o: %.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(BUILD)/libsentry.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# --whole-archive: syscall handlers are reached through weak references in
# the table, which alone would not pull their objects out of the archive.
LINK_LIB = -Wl,--whole-archive $(BUILD)/libsentry.a -Wl,--no-whole-archive $(PKG_LIBS)

# The CLI is linked statically (except under sanitizers): it starts in a
# third of the time, and every `sandbox run` pays that start.
ifeq ($(SAN),)
SANDBOX_LINK = -static -Wl,--whole-archive $(BUILD)/libsentry.a -Wl,--no-whole-archive \
	       $(shell pkg-config --static --libs $(PKGS) 2>/dev/null) -lpthread
else
SANDBOX_LINK = $(LINK_LIB)
endif

CMD_OBJS := $(BUILD)/obj/cmd/sandbox.o $(BUILD)/obj/cmd/runc.o

$(BUILD)/sandbox: $(CMD_OBJS) $(BUILD)/libsentry.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(SANDBOX_LINK)

# The network-stack process of --net=sandbox (net/netstack/): lwIP and
# libslirp exist only as shared libraries, so it is a program of its own,
# dynamically linked, next to build/sandbox. slirp's .pc wants glib's, which
# its headers do not need: without it, the plain flags.
NETSTACK_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard net/netstack/*.c))
NETSTACK_CFLAGS = -I/usr/include/lwip $(shell pkg-config --cflags slirp 2>/dev/null || echo -I/usr/include/slirp)
NETSTACK_LIBS   = -llwip $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp)

$(BUILD)/obj/net/netstack/%.o: net/netstack/%.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NETSTACK_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/sandbox-netstack: $(NETSTACK_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(NETSTACK_OBJS) $(NETSTACK_LIBS)

# The OCI runtime (runc's command line) is the same program, called by this name.
$(BUILD)/sandbox-runc: $(BUILD)/sandbox
	ln -f $< $@

$(BUILD)/unit-tests: $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/libsentry.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(LINK_LIB) -lcriterion

# Conformance programs are plain C programs with no project headers.
$(BUILD)/syscalls/%: tests/syscalls/%.c tests/syscalls/conformance.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -std=gnu11 -Wall -Werror -D_GNU_SOURCE -o $@ $< -lpthread

SYSTESTS := $(SYSTEST_SRCS:tests/syscalls/%.c=$(BUILD)/syscalls/%)

unit-test: all $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

# Under the default platform (systrap where the host allows it), then under ptrace.
syscall-test: all $(SYSTESTS)
	tests/syscalls/run.sh --build $(BUILD) --sandbox $(BUILD)/sandbox
	tests/syscalls/run.sh --build $(BUILD) --wrapper "$(BUILD)/sandbox run --platform ptrace --"

e2e-test: all e2e-deps
	tests/e2e/run.sh $(BUILD)

# docs/compat.md is generated from the syscall table; it must match the build.
compat-check: all
	@$(BUILD)/sandbox compat | diff -u docs/compat.md - >/dev/null || \
	  { echo "docs/compat.md is stale: run '$(BUILD)/sandbox compat > docs/compat.md'"; exit 1; }
	@echo "docs/compat.md matches the syscall table"

test: unit-test syscall-test e2e-test compat-check

asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all

# Leak checking is off for the sandbox runs: a sandbox exits with its kernel
# state still allocated, by design (the process is the failure domain).
asan-test: asan
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1 $(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

bench: all
	bench/run.sh $(BUILD)
	bench/oci_startup.sh $(BUILD)

clean:
	rm -rf build build-asan

pytest-conformance: all
	tests/pytest/run.sh $(BUILD)

pytest-conformance-fs: all
	PYTEST_SET=fs tests/pytest/run.sh $(BUILD)

pytest-conformance-net: all
	PYTEST_SET=net tests/pytest/run.sh $(BUILD)

pytest-conformance-more: all
	PYTEST_SET=more tests/pytest/run.sh $(BUILD)
