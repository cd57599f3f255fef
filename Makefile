# batchd — build, test and demo on a fresh Debian 12 machine.
#   make demo    install what is missing, build, run a drop end to end
#   make test    install what is missing, build, run every test

SWIFT ?= swift
PREFIX ?= /usr/local
DEBIAN_PACKAGES = libssh-dev zlib1g-dev libsqlite3-dev libarchive-dev libarchive-tools \
                  openssh-client openssh-server mandoc tar gzip iproute2 procps python3

.PHONY: all deps build build-tests test demo lint-man clean

all: build

# apt-get update runs once, and only when something is missing.
deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends$$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain"; exit 1; }

build: deps
	$(SWIFT) build

build-tests: deps
	$(SWIFT) build --build-tests

test: build-tests lint-man
	$(SWIFT) test --skip-build

demo: build
	bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)"

lint-man:
	@out=$$(mandoc -Tlint -W warning man/*); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "man pages: mandoc -Tlint clean"

clean:
	rm -rf .build
