# Chancery -- build, test, benchmark, fuzz.
#
#   make            build everything into build/ (BUILD=dir to change)
#   make check      install missing packages, build with gcc and clang, run every test
#   make asan       the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make run        install missing packages, build, start the demo site
#   make bench      benchmarks, with ratios against stock git + gpg
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (default 60) each
#   make valgrind   the integration suite under valgrind
#   make soak       the crash and load tests in full
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS      = libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib expat
SERVER_PKGS = libmicrohttpd gnutls libseccomp zlib
FUZZ_SECONDS ?= 60

WARN     = -Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security \
           -Wshadow -Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lpthread
SERVER_LIBS = $(shell pkg-config --libs $(SERVER_PKGS) 2>/dev/null)

# The library, one folder per concern (docs/ARCHITECTURE.md).
LIB_DIRS = util crypto workflows workflows/store workflows/classify workflows/verify \
           workflows/sync templates
LIB_SRC  = $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
EMBED    = $(wildcard workflows/defs/*.json) $(wildcard templates/decree30/*.md) \
           $(wildcard templates/html/*.html) $(wildcard templates/html/*.css) \
           $(wildcard templates/html/*.js)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o
CLI_SRC  = $(wildcard cli/*.c)
SRV_SRC  = $(wildcard server/*.c)
SRV_OBJ  = $(SRV_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
# Test hooks (util/failpoint.h, CHANCERY_TEST_S2K_COUNT) are compiled into
# the test build only: `make check` builds with TEST_HOOKS=1 into
# $(BUILD)-test; `make`, `make run` and `make install` never have them.
ifeq ($(TEST_HOOKS),1)
ALL_CFLAGS += -DCH_TEST_HOOKS
endif
TBUILD   = $(BUILD)-test
# Header dependencies are tracked by the compiler (-MMD -MP: build/**/*.d).
DEPFLAGS = -MMD -MP

.PHONY: all bin check test asan run bench fuzz install clean deps deps-run deps-bench clang-build valgrind soak

TOOL_BIN = $(BUILD)/tests/gen_markings $(BUILD)/tests/bench_stamp $(BUILD)/tests/pgp_verdict \
           $(BUILD)/tests/devkey $(BUILD)/tests/bench_sitelog $(BUILD)/tests/bench_log_scale
BIN      = $(BUILD)/chancery $(BUILD)/chancery-offline $(BUILD)/chanceryd

all: $(BIN) $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOL_BIN)

# The binaries alone (make run, make install): no test library needed.
bin: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/gen/embedded.c: $(EMBED) scripts/embed.sh
	@mkdir -p $(dir $@)
	scripts/embed.sh $@ $(EMBED)

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c util/embedded.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/offline/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -DCH_OFFLINE -c -o $@ $<

$(BUILD)/libchancery.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The command line is linked statically against everything but libc: a
# dynamic `chancery` loads 25 shared libraries (libgit2 pulls mbedTLS,
# libssh2 -> OpenSSL, krb5/GSSAPI, PCRE2 ...) and spends ~5 ms starting;
# static, ~1.2 ms; and the air-gapped build below needs it to leave out
# every network entry point. pkg-config --static names the archives
# (all in Debian's -dev packages, scripts/deps.sh); glibc stays dynamic.
# cli/notls.c takes libgit2's CA-store loading (--wrap) and its GSSAPI calls
# (no static libgssapi_krb5 exists): see there.
CLI_STATIC_PKGS = $(PKGS) libssh2
CLI_STATIC_LIBS = $(filter-out -pthread -lpthread -ldl -lrt,\
                    $(shell pkg-config --static --libs $(CLI_STATIC_PKGS) 2>/dev/null)) -lunistring
CLI_WRAP  = -Wl,--wrap=mbedtls_x509_crt_parse_file -Wl,--wrap=mbedtls_x509_crt_parse_path
CLI_LINK  = $(CLI_WRAP) -Wl,-Bstatic $(CLI_STATIC_LIBS) -Wl,-Bdynamic -lpthread -ldl -lrt
# The air-gapped build: the same, but every network entry point of those
# archives goes to cli/nonet.c's failing stubs, and libassuan (the gpg-agent
# Unix socket, the only socket it needs) with its libgpg-error stays a
# shared library: the binary itself imports no socket function at all
# (tests/integration/test_offline.sh reads that from the binary).
OFFLINE_WRAP = $(foreach f,socket connect bind listen accept accept4 sendto sendmsg \
                 recvfrom recvmsg getaddrinfo gethostbyname,-Wl,--wrap=$(f))
OFFLINE_LINK = $(CLI_WRAP) $(OFFLINE_WRAP) \
               -Wl,-Bstatic $(filter-out -lassuan -lgpg-error,$(CLI_STATIC_LIBS)) \
               -Wl,-Bdynamic -lassuan -lgpg-error -lpthread -ldl -lrt

$(BUILD)/chancery: $(CLI_OBJ) $(BUILD)/libchancery.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libchancery.a $(CLI_LINK)

# The server: the only binary linked with libmicrohttpd and GnuTLS.
$(BUILD)/chanceryd: $(SRV_OBJ) $(BUILD)/libchancery.a
	$(CC) $(CFLAGS) -o $@ $(SRV_OBJ) $(BUILD)/libchancery.a $(LIBS) $(SERVER_LIBS)

# The air-gapped build: same library and command line, no network commands,
# never linked with libmicrohttpd or GnuTLS.
$(BUILD)/chancery-offline: $(CLI_SRC:%.c=$(BUILD)/offline/%.o) $(BUILD)/libchancery.a
	$(CC) $(CFLAGS) -o $@ $(CLI_SRC:%.c=$(BUILD)/offline/%.o) $(BUILD)/libchancery.a $(OFFLINE_LINK)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS) -lcmocka

# The corpus of markings for the door tests, and the scanner's bench.
$(BUILD)/tests/gen_markings: tests/unit/gen_markings.c tests/unit/marking_variants.h $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

$(BUILD)/tests/bench_sitelog: tests/bench/bench_sitelog.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

$(BUILD)/tests/bench_log_scale: tests/bench/bench_log_scale.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

$(BUILD)/tests/bench_stamp: tests/bench/bench_stamp.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/libchancery.a $(LIBS)

# Chancery's verdict on one key and signature, for
# tests/integration/test_pgp_differential.sh (test-only code).
$(BUILD)/tests/pgp_verdict: tests/helper/pgp_verdict.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

# A software stand-in for a browser's WebCrypto Ed25519 key (test-only
# code): the certificate and signatures built as templates/html/chancery.js
# builds them.
$(BUILD)/tests/devkey: tests/helper/devkey.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libchancery.a $(LIBS)

# The differential target sets librnp's verdicts beside ours.
$(BUILD)/tests/replay_fuzz_pgp_diff: tests/fuzz/fuzz_pgp_diff.c tests/fuzz/replay.c $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/libchancery.a $(LIBS) -lrnp

# The signer's message reader lives with the server.
$(BUILD)/tests/replay_fuzz_ipc: tests/fuzz/fuzz_ipc.c tests/fuzz/replay.c $(BUILD)/server/ipc.o $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/server/ipc.o $(BUILD)/libchancery.a $(LIBS)

# chanceryd's configuration file reader lives with the server too.
$(BUILD)/tests/replay_fuzz_config: tests/fuzz/fuzz_config.c tests/fuzz/replay.c $(BUILD)/server/config.o $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/server/config.o $(BUILD)/libchancery.a $(LIBS)

# What `chancery restore` reads from a backup file lives with the command line.
$(BUILD)/tests/replay_fuzz_backup: tests/fuzz/fuzz_backup.c tests/fuzz/replay.c $(BUILD)/cli/backup_format.o $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/cli/backup_format.o $(BUILD)/libchancery.a $(LIBS)

$(BUILD)/tests/test_config: tests/unit/test_config.c $(BUILD)/server/config.o $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/server/config.o $(BUILD)/libchancery.a $(LIBS) -lcmocka

# The signer's seccomp filter lives with the server.
$(BUILD)/tests/test_signer_filter: tests/unit/test_signer_filter.c $(BUILD)/server/sandbox.o $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/server/sandbox.o $(BUILD)/libchancery.a $(LIBS) $(SERVER_LIBS) -lcmocka

# The targets over HTTP input run chanceryd's request code (every server
# object but main.o) under libmicrohttpd, through tests/fuzz/http_harness.c.
FUZZ_HTTP = form cookie api
SRV_LIB_OBJ = $(filter-out $(BUILD)/server/main.o,$(SRV_OBJ))
$(FUZZ_HTTP:%=$(BUILD)/tests/replay_fuzz_%): $(BUILD)/tests/replay_fuzz_%: tests/fuzz/fuzz_%.c \
  tests/fuzz/replay.c tests/fuzz/http_harness.c $(SRV_LIB_OBJ) $(BUILD)/libchancery.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c tests/fuzz/http_harness.c $(SRV_LIB_OBJ) \
	  $(BUILD)/libchancery.a $(LIBS) $(SERVER_LIBS)

# Packages per target (scripts/deps.sh): make run needs no browser,
# packet capture, valgrind or benchmark tools.
deps:
	@scripts/deps.sh test

deps-run:
	@scripts/deps.sh run

deps-bench:
	@scripts/deps.sh bench

# Everything a test needs is installed by deps; CH_NO_DEPS=1 skips that step.
check: $(if $(CH_NO_DEPS),,deps)
	$(MAKE) all
	$(MAKE) clang-build
	$(MAKE) BUILD=$(TBUILD) TEST_HOOKS=1 all
	BUILD=$(TBUILD) tests/run.sh

test:
	$(MAKE) BUILD=$(TBUILD) TEST_HOOKS=1 all
	BUILD=$(TBUILD) tests/run.sh

clang-build:
	$(MAKE) BUILD=build-clang CC=clang all

asan: $(if $(CH_NO_DEPS),,deps)
	$(MAKE) BUILD=build-asan CC=clang TEST_HOOKS=1 \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all
	BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

# The integration suite with every chancery and chanceryd process under
# valgrind (errors and definite leaks fail the run).
valgrind: $(if $(CH_NO_DEPS),,deps)
	$(MAKE) BUILD=$(TBUILD) TEST_HOOKS=1 all
	BUILD=$(TBUILD) CH_VALGRIND=1 tests/run.sh test_

# The crash and load tests in full (make check runs them shortened).
soak:
	$(MAKE) BUILD=$(TBUILD) TEST_HOOKS=1 all
	BUILD=$(TBUILD) CH_SOAK=1 tests/run.sh crash
	BUILD=$(TBUILD) CH_SOAK=1 tests/run.sh load

run: $(if $(CH_NO_DEPS),,deps-run)
	$(MAKE) bin
	BUILD=$(BUILD) scripts/demo.sh

bench: $(if $(CH_NO_DEPS),,deps-bench)
	$(MAKE) all
	BUILD=$(BUILD) tests/bench/run.sh

fuzz:
	BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# The binaries are all that is used: workflows, templates and skeletons
# are compiled in (scripts/embed.sh). Beside them: the systemd unit
# chanceryd@.service (instance = site id), sysusers.d and tmpfiles.d
# entries, all under $(PREFIX)/lib (systemd reads /usr/local/lib too), and
# an example /etc/chancery/chanceryd.conf, never over an existing one.
# SITES="hq mission-a" adds each site's user to the sysusers.d file.
SITES    ?=
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
install: bin
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d \
	  $(DESTDIR)$(PREFIX)/share/doc/chancery
	install -m 0755 $(BUILD)/chancery $(BUILD)/chancery-offline $(BUILD)/chanceryd \
	  $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 scripts/chancery-users.sh $(DESTDIR)$(PREFIX)/sbin/chancery-users
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@DOCDIR@|$(PREFIX)/share/doc/chancery|g' \
	  dist/chanceryd@.service >$(DESTDIR)$(UNITDIR)/chanceryd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/chanceryd@.service
	{ echo '# sysusers.d/chancery.conf -- the users of each site: its network process'; \
	  echo '# (chancery-SITE) and its signer, keeper of its keys (chancery-SITE-keys),'; \
	  echo '# each its own user and group. Two lines a site; or run'; \
	  echo '# $(PREFIX)/sbin/chancery-users SITE. Generated by make install SITES="..."'; \
	  echo '#u chancery-hq - "Chancery site hq (network process)" /nonexistent /usr/sbin/nologin'; \
	  echo '#u chancery-hq-keys - "Chancery site hq (signer, keeper of its keys)" /nonexistent /usr/sbin/nologin'; \
	  for s in $(SITES); do \
	    echo "u chancery-$$s - \"Chancery site $$s (network process)\" /nonexistent /usr/sbin/nologin"; \
	    echo "u chancery-$$s-keys - \"Chancery site $$s (signer, keeper of its keys)\" /nonexistent /usr/sbin/nologin"; \
	  done; } >$(DESTDIR)$(PREFIX)/lib/sysusers.d/chancery.conf
	install -m 0644 dist/chancery.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/chancery.conf
	install -m 0644 README.md SECURITY.md $(DESTDIR)$(PREFIX)/share/doc/chancery/
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/chancery
	[ -e $(DESTDIR)$(SYSCONFDIR)/chancery/chanceryd.conf ] || \
	  install -m 0640 dist/chanceryd.conf $(DESTDIR)$(SYSCONFDIR)/chancery/chanceryd.conf

clean:
	rm -rf build build-test build-clang build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
