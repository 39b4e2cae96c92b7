# Conduit — build, run and test on Debian.
#   make run    install missing packages, build, serve etc/conduit.dev.toml
#   make test   install missing packages, build, run every test
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= etc/conduit.dev.toml
PYTHON ?= python3

# Libraries the binary links against, and tools the test suite drives it with.
BUILD_PACKAGES := pkg-config liblmdb-dev libidn2-dev libssl-dev libqrencode-dev libpng-dev
TEST_PACKAGES := lmdb-utils swaks libnet-ssleay-perl libio-socket-ssl-perl dnsutils zbar-tools qrencode openssl python3 python3-pip python3-venv

.PHONY: all build run test deps test-deps unit-test integration-test release clean

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps: deps
	@scripts/install-packages.sh $(TEST_PACKAGES)
	@$(PYTHON) -c 'import pytest, aiosmtpd' 2>/dev/null || $(PYTHON) -m pip install --quiet 'pytest>=7' 'aiosmtpd>=1.4'
	@# The oracles in ../shared/oracles (dns-serve.py for ConduitDNSTests, totp-vectors.py) run in this venv.
	@if [ -x ../shared/oracles/setup-venv.sh ]; then ../shared/oracles/setup-venv.sh >/dev/null; fi

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run conduit serve --config $(CONFIG)

test: test-deps
	$(SWIFT) build --build-tests
	$(MAKE) unit-test integration-test

unit-test:
	$(SWIFT) test --skip-build

integration-test:
	CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) -m pytest -q Tests/Integration

release: deps
	$(SWIFT) build -c release --static-swift-stdlib

clean:
	rm -rf .build
