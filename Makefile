# batchd — build, test and demo on a fresh Debian 12 machine.
#   make demo    install what is missing, build, run a drop end to end
#   make test    install what is missing, build, run every test
#   make bench   install what the baselines need, build release, run bench/run
#   make fuzz    build the libFuzzer targets in fuzz/ and run each FUZZ_SECONDS
#   make soak    build release, run bench/soak for SOAK_MINUTES (default 10)
#   make sanitize  build and run every test under AddressSanitizer, then
#                ThreadSanitizer (SANITIZER=address or thread for one)
#   make install build release, install programs, man pages, example configs
#                and systemd units under PREFIX (and DESTDIR); make uninstall

SWIFT ?= swift
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# A directory of already-built programs to install; empty builds release.
INSTALL_BIN ?=
INSTALL ?= install
PROGRAMS = batchd batchctl batchd-recv
MANPAGES = batchd.8 batchctl.8 batchd.conf.5 batchd-recv.1 batchd-recv.conf.5 batchd-protocol.7
CONFIGS = batchd.conf batchd-recv.conf
UNITS = batchd.service batchd-recv@.service
DEBIAN_PACKAGES = libssh-dev zlib1g-dev libdeflate-dev libsqlite3-dev libarchive-dev libarchive-tools \
                  openssh-client openssh-server mandoc tar gzip iproute2 procps python3 python3-pip \
                  python3-paramiko lftp curl
# Only the benchmarks' baselines and load generators need these.
BENCH_PACKAGES = pigz python3-asyncssh python3-uvloop

.PHONY: ssh-audit fuzz soak sanitize all deps bench-deps install-packages build build-tests test demo bench lint-man install uninstall clean

all: build

# apt-get update runs once, and only when something is missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEBIAN_PACKAGES)"
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain"; exit 1; }

# asyncssh may come from pip instead; either will do.
bench-deps: deps
	@/usr/bin/python3 -c 'import asyncssh, uvloop' 2>/dev/null && p=pigz || p="$(BENCH_PACKAGES)"; \
	$(MAKE) --no-print-directory install-packages PACKAGES="$$p"

install-packages:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends$$missing; \
	fi

build: deps
	$(SWIFT) build

build-tests: deps
	$(SWIFT) build --build-tests

test: build-tests lint-man ssh-audit
	$(SWIFT) test --skip-build

# The SSH audit test runs ssh-audit from PyPI, straight from its wheel:
# Debian 12's ssh-audit 2.5.0 compares libssh versions as strings and
# reports CVE-2016-0739 (fixed in libssh 0.7.3) against libssh 0.10.
SSH_AUDIT_VERSION = 3.9.0
SSH_AUDIT_WHEEL = .build/tools/ssh_audit-$(SSH_AUDIT_VERSION)-py3-none-any.whl
ssh-audit: $(SSH_AUDIT_WHEEL)
$(SSH_AUDIT_WHEEL): | deps
	python3 -m pip download --quiet --no-deps --dest .build/tools ssh-audit==$(SSH_AUDIT_VERSION)

bench: bench-deps
	$(SWIFT) build -c release
	bash bench/run $(BENCH)

SOAK_MINUTES ?= 10
soak: bench-deps
	$(SWIFT) build -c release
	bash bench/soak $(SOAK_MINUTES)

# Each sanitizer builds in a folder of its own. The tests start batchd and
# batchd-recv from the build folder, so the servers run sanitized too; the
# reports of every process go to files under .build-*/sanitizer-reports
# (with the suppressions each used), and any report fails the run.
# sanitizers/ holds the few suppressions, each with its reason.
SANITIZER ?= address thread
sanitize: deps ssh-audit
	@for s in $(SANITIZER); do \
	  case $$s in address) d=.build-asan;; thread) d=.build-tsan;; *) echo "SANITIZER: address or thread, not $$s"; exit 2;; esac; \
	  reports=$$PWD/$$d/sanitizer-reports; rm -rf "$$reports"; mkdir -p "$$reports"; \
	  echo "== $$s: swift build --build-tests --sanitize=$$s --build-path $$d"; \
	  $(SWIFT) build --build-tests --sanitize=$$s --build-path $$d || exit 1; \
	  ASAN_OPTIONS="log_path=$$reports/asan:detect_leaks=1" \
	  LSAN_OPTIONS="suppressions=$$PWD/sanitizers/lsan.supp" \
	  TSAN_OPTIONS="log_path=$$reports/tsan:suppressions=$$PWD/sanitizers/tsan.supp" \
	  $(SWIFT) test --skip-build --sanitize=$$s --build-path $$d; status=$$?; \
	  found=$$(grep -l -E '^(==[0-9]+==ERROR|WARNING: ThreadSanitizer)' "$$reports"/* 2>/dev/null); \
	  if [ -n "$$found" ]; then \
	    echo "== $$s: reports in $$reports:"; head -n 60 $$found; exit 1; \
	  fi; \
	  [ $$status -eq 0 ] || exit $$status; \
	  echo "== $$s: no reports"; \
	done

FUZZ_SECONDS ?= 60
fuzz: deps
	bash fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo: build
	bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)"

lint-man:
	@out=$$(mandoc -Tlint -W warning man/*); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "man pages: mandoc -Tlint clean"

# Example configs never replace an existing file, and uninstall removes
# only those still identical to the shipped ones. The units name the
# installed paths of the programs and configs.
install:
	@bin="$(INSTALL_BIN)"; \
	if [ -z "$$bin" ]; then \
	  $(MAKE) --no-print-directory deps && $(SWIFT) build -c release && \
	  bin="$$($(SWIFT) build -c release --show-bin-path)" || exit 1; \
	fi; \
	for p in $(PROGRAMS); do \
	  echo "$(INSTALL) -D -m 0755 $$bin/$$p $(DESTDIR)$(BINDIR)/$$p"; \
	  $(INSTALL) -D -m 0755 "$$bin/$$p" "$(DESTDIR)$(BINDIR)/$$p" || exit 1; \
	done
	for m in $(MANPAGES); do \
	  $(INSTALL) -D -m 0644 "man/$$m" "$(DESTDIR)$(MANDIR)/man$${m##*.}/$$m" || exit 1; \
	done
	for c in $(CONFIGS); do \
	  f="$(DESTDIR)$(SYSCONFDIR)/batchd/$$c"; \
	  if [ -e "$$f" ]; then echo "keeping $$f"; \
	  else $(INSTALL) -D -m 0644 "etc/$$c" "$$f" || exit 1; fi; \
	done
	for u in $(UNITS); do \
	  f="$(DESTDIR)$(UNITDIR)/$$u"; \
	  $(INSTALL) -D -m 0644 "etc/$$u" "$$f" && \
	  sed -i -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/batchd/|$(SYSCONFDIR)/batchd/|g' "$$f" || exit 1; \
	done
	$(INSTALL) -D -m 0644 etc/batchd-recv.sysusers "$(DESTDIR)$(SYSUSERSDIR)/batchd-recv.conf"
	@# The receivers' user, now rather than at the next boot; not into a DESTDIR.
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	  echo "systemd-sysusers $(SYSUSERSDIR)/batchd-recv.conf"; systemd-sysusers "$(SYSUSERSDIR)/batchd-recv.conf"; \
	fi

uninstall:
	for p in $(PROGRAMS); do rm -f "$(DESTDIR)$(BINDIR)/$$p"; done
	for m in $(MANPAGES); do rm -f "$(DESTDIR)$(MANDIR)/man$${m##*.}/$$m"; done
	for u in $(UNITS); do rm -f "$(DESTDIR)$(UNITDIR)/$$u"; done
	rm -f "$(DESTDIR)$(SYSUSERSDIR)/batchd-recv.conf"
	for c in $(CONFIGS); do \
	  f="$(DESTDIR)$(SYSCONFDIR)/batchd/$$c"; \
	  if cmp -s "etc/$$c" "$$f"; then rm -f "$$f"; elif [ -e "$$f" ]; then echo "keeping changed $$f"; fi; \
	done
	@rmdir "$(DESTDIR)$(SYSCONFDIR)/batchd" 2>/dev/null || true

clean:
	rm -rf .build .build-asan .build-tsan
