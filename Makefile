# Conduit — build, run and test on Debian.
#   make run    install missing packages, build, serve etc/conduit.dev.toml
#   make test   install missing packages, build, run every test
#   make deb    conduit_<version>_<arch>.deb: dpkg-buildpackage (debian/, debhelper) builds it
#   make install [PREFIX=/usr/local] [DESTDIR=]  the same files without a package
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= etc/conduit.dev.toml
PYTHON ?= python3

# Libraries the binary links against, and tools the test suite drives it with.
BUILD_PACKAGES := pkg-config liblmdb-dev libidn2-dev libssl-dev libqrencode-dev libpng-dev
# Packaging (dpkg-shlibdeps) and the system test (a booted Debian root in nspawn).
PACKAGE_PACKAGES := dpkg-dev debhelper lintian binutils man-db
SYSTEM_TEST_PACKAGES := mmdebstrap systemd-container iproute2
TEST_PACKAGES := man-db lmdb-utils swaks libnet-ssleay-perl libio-socket-ssl-perl dnsutils zbar-tools qrencode openssl python3 python3-pip python3-venv

.PHONY: all build run test deps test-deps unit-test integration-test api-fuzz fault-test faults system-test release deb lintian bench bench-deps bench-delivery bench-memory bench-dmarc-cost bench-record-codec bench-rest bench-micro bench-cluster arc-oracle fuzz fuzz-build fuzz-replay fuzz-merge dmarc-oracle install install-files uninstall clean

# Install layout; Debian's package uses PREFIX=/usr UNITDIR=/lib/systemd/system.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR ?= $(PREFIX)/share/man
# yes: install the sysusers file (debhelper installs its own from debian/).
SYSUSERS ?= yes
SYSCONFDIR ?= /etc
DESTDIR ?=
BINARY ?= .build/release/conduit

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps: deps
	@scripts/install-packages.sh $(TEST_PACKAGES)
	@$(PYTHON) -c 'import pytest, aiosmtpd, jsonschema' 2>/dev/null || $(PYTHON) -m pip install --quiet 'pytest>=7' 'aiosmtpd>=1.4' 'jsonschema>=4.18'
	@# The oracles in ../shared/oracles (dns-serve.py for ConduitDNSTests, totp-vectors.py) run in this venv.
	@if [ -x ../shared/oracles/setup-venv.sh ]; then ../shared/oracles/setup-venv.sh >/dev/null; fi

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run conduit serve --config $(CONFIG)

test: test-deps
	$(SWIFT) build --build-tests
	$(MAKE) unit-test integration-test api-fuzz fault-test system-test

unit-test:
	$(SWIFT) test --skip-build

integration-test:
	CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) -m pytest -q Tests/Integration

# schemathesis (pinned in ../shared/oracles/setup-venv.sh, installed by
# test-deps) over the whole OpenAPI document of a fresh `conduit serve`:
# every check, phases examples, coverage, fuzzing and stateful, seed 1, at
# most MAX_TIME seconds (210: the target stays under 5 minutes); fails on any
# failure or if the server dies (scripts/schemathesis.sh, docs/RELIABILITY.md
# "API fuzzing (schemathesis)"). CONDUIT_BIN= tests another binary.
api-fuzz:
	CONDUIT_BIN="$${CONDUIT_BIN:-$$($(SWIFT) build --show-bin-path)/conduit}" scripts/schemathesis.sh

# Fault campaigns (docs/RELIABILITY.md, "Fault campaigns"): the real binary on
# loopback, killed with -9, its webhook endpoint down, SIGHUP storms, disk
# full, slowloris, DNS faults. fault-test runs their short regression forms
# (part of `make test`, a few minutes); faults runs the long forms (about
# half an hour; the endpoint stays down for 10 minutes) and prints each
# campaign's figures (-s).
fault-test:
	CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) -m pytest -q Tests/Faults

faults:
	$(SWIFT) build --product conduit
	FAULTS_LONG=1 CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) -m pytest -q -s Tests/Faults

# `conduit dmarc` against checkdmarc, dmarc 1.2.1 and the RFC 9989 reading on
# 150 generated cases served on loopback (docs/DMARC.md, "Oracle comparison");
# pip-installs its pinned packages into /tmp/dmarc-oracle-venv the first time.
# The integration tests run it too (test_dmarc_oracle.py).
dmarc-oracle:
	$(SWIFT) build --product conduit
	CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) scripts/dmarc-oracle.py $(DMARC_ORACLE_ARGS)

release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# `conduit arc` against dkimpy on 43 ARC chains it seals (docs/ARC.md,
# "Oracle"); a few seconds once its virtualenv (/tmp/arcoraclevenv, pinned
# PyPI packages) exists. Tests/Integration/test_arc_oracle.py runs it too.
arc-oracle:
	$(SWIFT) build --product conduit
	CONDUIT_BIN="$$($(SWIFT) build --show-bin-path)/conduit" $(PYTHON) scripts/arc-oracle.py

# libFuzzer campaigns over the parsers and state machines (docs/RELIABILITY.md,
# "Fuzzing"; Sources/ConduitFuzzTargets): conduit-fuzz built with libFuzzer
# and AddressSanitizer in .build-fuzz (its own scratch path: the sanitizers
# apply to every module), each target FUZZ_SECONDS, FUZZ_JOBS at a time, under
# nice; logs, grown corpora and findings in Fuzz/work/, a summary table at the end.
#   FUZZ_TARGETS=smtp,mime   a subset (names: Fuzz/run-fuzz.py --help)
# `make fuzz-merge` folds what a campaign found into the committed corpus
# (Fuzz/corpus, minimised by -merge=1); `make fuzz-replay` runs the committed
# corpus once under the sanitizers. `make unit-test` replays it without them
# (FuzzCorpusReplayTests).
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 2
FUZZ_TARGETS ?= smtp,mime,dns,spf,dkim,dmarc,arc,config,api-json,template
FUZZ_BIN = .build-fuzz/debug/conduit-fuzz
fuzz-build:
	$(SWIFT) build --scratch-path .build-fuzz --product conduit-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DCONDUIT_LIBFUZZER

fuzz: fuzz-build
	$(PYTHON) Fuzz/run-fuzz.py fuzz --binary $(FUZZ_BIN) --targets $(FUZZ_TARGETS) --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS)

fuzz-replay: fuzz-build
	$(PYTHON) Fuzz/run-fuzz.py replay --binary $(FUZZ_BIN) --targets $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	$(PYTHON) Fuzz/run-fuzz.py merge --binary $(FUZZ_BIN) --targets $(FUZZ_TARGETS)

# Conduit beside smtp-sink and the aiosmtpd bridge through ../shared/bench, in
# one pass: one table of figures, one of the issue's targets as measured ratios
# (docs/PERFORMANCE.md, "make bench"; ~15 min on a quiet machine).
#   CASES=accept,steady,latency,large,conns,slowhook   a subset
#   QUICK=1      small counts, short phases (a smoke run, a few minutes)
#   FASTSMTP=1   also the shared harness's fastsmtp cell (a ~10 min CPython build the first time)
#   NICE=-10     the whole bench ahead of other work on a shared machine
#   BENCH_ARGS=  anything else scripts/bench-suite.py takes (--rate, --out-dir, --peers '')
NICE ?= 0
bench: release bench-deps
	nice -n $(NICE) $(PYTHON) scripts/bench-suite.py --binary $(BINARY) $(if $(CASES),--cases $(CASES)) \
		$(if $(QUICK),--quick) $(if $(FASTSMTP),--harness-peers fastsmtp) $(BENCH_ARGS)

# What the benches drive Conduit with: Postfix's smtp-sink/smtp-source, wrk and
# the harness venv (/tmp/benchvenv), installed by the shared harness's setup.
bench-deps:
	@if [ ! -x /usr/sbin/smtp-sink ] || [ ! -x /usr/sbin/smtp-source ] || [ ! -x /tmp/benchvenv/bin/python ]; then \
		../shared/bench/run-bench.sh setup; fi
	@if [ -n "$(FASTSMTP)" ] && [ ! -d /tmp/fastsmtp-venv ]; then ../shared/bench/run-bench.sh setup --fastsmtp; fi

# The earlier single figure: delivered msg/s at 1 KiB × 20 connections through
# `run-bench.sh custom`; PEERS=aiosmtpd runs that peer in the same pass.
bench-delivery: release bench-deps
	$(PYTHON) scripts/bench-delivery.py --binary $(BINARY) $(if $(PEERS),--peers $(PEERS))

# Peak RssAnon under 100 × 1 MiB and 40 × 25 MiB SMTP load with delivery
# running (docs/PERFORMANCE.md); uses ../shared/bench's generator.
bench-memory: release
	$(PYTHON) scripts/bench-memory.py --binary .build/release/conduit $(if $(CASES),--cases $(CASES))

# What DMARC and ARC at end of DATA cost per message, [smtp] dmarc on and off,
# against dns-serve.py on loopback (docs/DMARC.md, "In the server"; ~10 s).
bench-dmarc-cost: release
	CONDUIT_BIN=.build/release/conduit $(PYTHON) scripts/dmarc-cost.py

# Authenticated GET /api/v1/webhooks (API token and session) against a bare
# Hummingbird route on the same path (the bench-ceiling target), both pinned
# to CPU 1, wrk on CPU 0: req/s, p50/p99 and the ratio (docs/PERFORMANCE.md,
# "REST (issue 15)"). PROFILE=token|session records that run with perf.
bench-rest: release
	$(PYTHON) scripts/bench-rest.py --binary .build/release/conduit --ceiling .build/release/bench-ceiling $(if $(PROFILE),--profile $(PROFILE))

# JSON (format 1) against binary (format 2) LMDB records: encode + decode of
# a Delivery and a SpooledMessage (docs/PERFORMANCE.md, "Record encoding").
bench-record-codec:
	scripts/bench-record-codec.sh

# Micro-benchmarks (ordo-one/benchmark, a package of its own in Benchmarks/):
# MIME parse, payload JSON, record codec (docs/PERFORMANCE.md, "Issue 15").
# CONDUIT_PATH=DIR measures another checkout; BENCH_ARGS are passed on
# (e.g. BENCH_ARGS="--filter 'MIME.*'").
bench-micro:
	$(SWIFT) package --package-path Benchmarks benchmark $(BENCH_ARGS)

# The cluster design's measured prototype (docs/SCALING.md, section 5;
# Prototypes/cluster-hotpath, a package of its own that `make test` never
# builds): a throwaway PostgreSQL 15 on 127.0.0.1 in a temp dir, N accounts,
# RCPT TO's recipient and quota through a node's LMDB cache and through
# PostgreSQL, a revoked token reaching three node caches (LISTEN/NOTIFY),
# then the same against etcd (ETCD=0 skips it). ACCOUNTS=, CACHE_MESSAGES=,
# PG_MESSAGES=, CONCURRENCY=, REVOCATIONS=, NODES=, PIN=0 (no CPU pinning).
bench-cluster:
	scripts/bench-cluster.sh

# debian/rules runs the Swift release build itself; dpkg-buildpackage writes
# to the parent directory, so the results are moved here.
deb: deps
	@scripts/install-packages.sh $(PACKAGE_PACKAGES)
	dpkg-buildpackage -b -us -uc
	@version=$$(dpkg-parsechangelog -S Version); arch=$$(dpkg --print-architecture); \
	mv ../conduit_$${version}_$${arch}.deb . && \
	rm -f ../conduit_$${version}_$${arch}.buildinfo ../conduit_$${version}_$${arch}.changes ../conduit-dbgsym_$${version}_$${arch}.deb ../conduit-dbgsym_$${version}_$${arch}.ddeb && \
	echo "conduit_$${version}_$${arch}.deb"

# lintian on the package make deb built: no errors, no warnings (overrides
# with their reasons are in debian/conduit.lintian-overrides).
lintian:
	lintian --fail-on error,warning --display-level '>=warning' conduit_$$(dpkg-parsechangelog -S Version)_$$(dpkg --print-architecture).deb

# lintian on the package, then the package in a booted Debian root
# (Tests/System/system-test.sh). It needs
# root for systemd-nspawn; anywhere else it says so and is skipped.
system-test:
	@if [ "$$(id -u)" -ne 0 ]; then echo "system-test: SKIPPED: systemd-nspawn needs root"; exit 0; fi; \
	if ! command -v systemd-nspawn >/dev/null && ! command -v apt-get >/dev/null; then \
		echo "system-test: SKIPPED: no systemd-nspawn and no apt-get to install it"; exit 0; fi; \
	scripts/install-packages.sh $(SYSTEM_TEST_PACKAGES) && \
	$(MAKE) --no-print-directory deb && \
	$(MAKE) --no-print-directory lintian && \
	Tests/System/system-test.sh "$$(ls -t conduit_*_$$(dpkg --print-architecture).deb | head -1)"

# Files only (what the .deb holds); `install` also creates the user and
# enables and starts the service when DESTDIR is empty and systemd runs.
install-files:
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/conduit
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/bin/conduit|$(BINDIR)/conduit|' -e 's|/etc/conduit/|$(SYSCONFDIR)/conduit/|' \
		systemd/conduit.service > $(DESTDIR)$(UNITDIR)/conduit.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/conduit.service
	if [ "$(SYSUSERS)" = yes ]; then install -D -m 0644 systemd/conduit.sysusers $(DESTDIR)$(SYSUSERSDIR)/conduit.conf; fi
	@# Manual pages, from the binary's own command description and the README's config reference.
	$(PYTHON) scripts/gen-manpages.py $(BINARY) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	@# Shell completions, written by swift-argument-parser, where bash-completion, zsh and fish look.
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	@# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
	$(BINARY) --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/conduit
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_conduit
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/conduit.fish
	@# Never overwrite an operator's configuration.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/conduit/conduit.toml ]; then \
		install -D -m 0644 etc/conduit.toml $(DESTDIR)$(SYSCONFDIR)/conduit/conduit.toml; fi

install: release
	$(MAKE) --no-print-directory install-files
	@if [ -z "$(DESTDIR)" ]; then \
		systemd-sysusers $(SYSUSERSDIR)/conduit.conf && \
		install -d -o conduit -g conduit -m 0700 /var/lib/conduit && \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload && systemctl enable --now conduit.service; \
		else systemctl --root=/ enable conduit.service; fi; \
	fi

uninstall:
	-@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl disable --now conduit.service; fi
	rm -f $(DESTDIR)$(BINDIR)/conduit $(DESTDIR)$(UNITDIR)/conduit.service $(DESTDIR)$(SYSUSERSDIR)/conduit.conf \
		$(DESTDIR)$(MANDIR)/man8/conduit.8 $(DESTDIR)$(MANDIR)/man5/conduit.toml.5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/conduit $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_conduit \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/conduit.fish
	@echo "kept: $(SYSCONFDIR)/conduit (config), /var/lib/conduit (store), the conduit user"

clean:
	rm -rf .build
