#!/usr/bin/env bash
# Makes sure the real `openstack` client (Debian's python3-openstackclient) is
# installed: for the end-to-end CLI test, and for a newcomer's first commands
# after `make start`. Quiet and quick when it already is.
#
# --or-explain: never fail; where the client cannot be installed here (not root
# and no sudo, not Debian, apt refused), say in one line how to get it instead.
set -euo pipefail

OR_EXPLAIN=0
[ "${1:-}" = "--or-explain" ] && OR_EXPLAIN=1

if command -v openstack >/dev/null 2>&1; then
  exit 0
fi

cannot() {
  if [ "$OR_EXPLAIN" = 1 ]; then
    echo "note: the openstack CLI is not installed ($1); get it with 'apt-get install python3-openstackclient' (Debian, as root) or 'pip install python-openstackclient'" >&2
    exit 0
  fi
  echo "install-openstack-cli: openstack is missing and $1" >&2
  exit 1
}

[ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 || cannot "this is not Debian"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    cannot "this is not root (and sudo needs a password or is missing)"
  fi
fi

echo "install-openstack-cli: installing python3-openstackclient" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || cannot "apt-get update failed"
$SUDO apt-get install -y -qq --no-install-recommends python3-openstackclient >/dev/null || cannot "apt-get install python3-openstackclient failed"
command -v openstack >/dev/null 2>&1 || cannot "it is still not on PATH after the install"
