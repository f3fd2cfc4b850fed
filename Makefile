# Kilonova: `make start` runs the all-in-one cloud, `make test` runs every test
# (including the end-to-end test with the real openstack CLI), `make bench`
# runs the benchmark.

NODE_MODULES_STAMP := node_modules/.package-lock.json
STATE_PATH ?= ./state
# Empty: the configured port (osapi_compute_listen_port, 8774 by default).
PORT ?=

.PHONY: start test bench build deps openstack-cli libvirt-host clean

# npm ci writes node_modules/.package-lock.json; reinstall when the lock file is newer.
$(NODE_MODULES_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES_STAMP)

build: deps
	npm run build

# The build bundles the command into dist/kilonova.mjs (a much faster cold start).
start: build
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

bench: deps
	npm run bench

clean:
	rm -rf dist
