# Kilonova: `make start` runs the all-in-one cloud, `make test` runs every test
# (including the end-to-end test with the real openstack CLI, and Tempest:
# `make conformance` alone), `make bench`
# runs the benchmark.

NODE_MODULES_STAMP := node_modules/.package-lock.json
STATE_PATH ?= ./state
# Empty: the configured port (osapi_compute_listen_port, 8774 by default).
PORT ?=

.PHONY: start test bench build deps openstack-cli libvirt-host conformance conformance-run clean

# npm ci writes node_modules/.package-lock.json; reinstall when the lock file is newer.
# Never through a linked node_modules (a git worktree sharing another tree's):
# npm ci empties the link's target, the other tree's install.
$(NODE_MODULES_STAMP): package-lock.json
	@if [ -L node_modules ]; then \
	  echo "deps: node_modules is a link to $$(readlink node_modules); not reinstalling through it" >&2; \
	else npm ci --no-audit --no-fund && touch $@; fi

deps: $(NODE_MODULES_STAMP)

build: deps
	npm run build

# The build bundles the command into dist/kilonova.mjs (a much faster cold start).
# The README's first commands after this use the openstack CLI: install it when
# missing (as root on Debian), or say in one line how to.
start: build
	@./scripts/install-openstack-cli.sh --or-explain
	node dist/kilonova.mjs all-in-one $(if $(PORT),--port $(PORT)) --state-path $(STATE_PATH)

openstack-cli:
	./scripts/install-openstack-cli.sh

# Real guests need QEMU and libvirtd: as root on Debian the test command sets
# the host up (packages, qemu.conf, daemons); elsewhere those tests skip.
libvirt-host:
	@if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then ./scripts/setup-libvirt-host.sh; \
	else echo "libvirt-host: not root on Debian; real-guest tests will be skipped" >&2; fi

test: deps openstack-cli libvirt-host
	npm test
	$(MAKE) conformance-run

# Tempest (OpenStack's conformance suite) against a fresh all-in-one; installs
# Tempest when it is missing. See scripts/conformance/run.mjs.
conformance: build conformance-run

# Without the build: `make test` has just built.
conformance-run:
	node scripts/conformance/run.mjs

bench: deps
	npm run bench

clean:
	rm -rf dist
