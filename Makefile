# batchd — build, test and demo on a fresh Debian 12 machine.
#   make demo    install what is missing, build, run a drop end to end
#   make test    install what is missing, build, run every test
#   make bench   install what the baselines need, build release, run bench/run

SWIFT ?= swift
PREFIX ?= /usr/local
DEBIAN_PACKAGES = libssh-dev zlib1g-dev libsqlite3-dev libarchive-dev libarchive-tools \
                  openssh-client openssh-server mandoc tar gzip iproute2 procps python3
# Only the benchmarks' baselines and load generators need these.
BENCH_PACKAGES = pigz python3-asyncssh

.PHONY: all deps bench-deps install-packages build build-tests test demo bench lint-man clean

all: build

# apt-get update runs once, and only when something is missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEBIAN_PACKAGES)"
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain"; exit 1; }

# asyncssh may come from pip instead; either will do.
bench-deps: deps
	@python3 -c 'import asyncssh' 2>/dev/null && p=pigz || p="$(BENCH_PACKAGES)"; \
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

test: build-tests lint-man
	$(SWIFT) test --skip-build

bench: bench-deps
	$(SWIFT) build -c release
	bash bench/run $(BENCH)

demo: build
	bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)"

lint-man:
	@out=$$(mandoc -Tlint -W warning man/*); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "man pages: mandoc -Tlint clean"

clean:
	rm -rf .build
