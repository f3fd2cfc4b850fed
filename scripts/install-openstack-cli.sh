#!/usr/bin/env bash
# Makes sure the real `openstack` client (Debian's python3-openstackclient) is
# installed, for the end-to-end CLI test. Quiet and quick when it already is.
set -euo pipefail

if command -v openstack >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-openstack-cli: openstack is missing and this is not root (no sudo either)" >&2
    exit 1
  fi
fi

echo "install-openstack-cli: installing python3-openstackclient" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends python3-openstackclient >/dev/null
command -v openstack >/dev/null 2>&1 || { echo "install-openstack-cli: openstack still not on PATH" >&2; exit 1; }
