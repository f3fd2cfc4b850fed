#!/usr/bin/env bash
# Prepares this host to run real guests with the libvirt driver:
#   - installs QEMU, libvirt, an ISO tool (config drives), what the test guest
#     is built from, noVNC (the page the console proxy serves) and the kernel
#     tools of guest networking (bridges, dnsmasq for DHCP, nftables/iptables
#     and ipset for security groups and ARP protection, haproxy for the
#     metadata proxy, arping for the ARP protection tests), when
#     missing (Debian packages, apt);
#   - makes libvirt's QEMU run as root:root (see below);
#   - starts virtlogd and libvirtd when they are not running (no systemd here).
# Quiet and quick when everything is already in place. Exit 0 means `virsh -c
# qemu:///system version` answers.
set -euo pipefail

log() { echo "setup-libvirt-host: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (installs packages and starts libvirtd)"
  exit 1
fi

PACKAGES=(qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients genisoimage busybox-static e2fsprogs cpio xz-utils libxml2-utils novnc
  dnsmasq-base nftables iproute2 bridge-utils iptables haproxy ipset conntrack iputils-arping)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Without systemd, package scripts that try to start daemons fail the install;
  # forbid them for the duration (we start the daemons below ourselves).
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
  fi
  trap '[ "$had_policy" -eq 0 ] && rm -f "$policy"' EXIT
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libvirtd re-probes QEMU's capabilities on every domain start (about 44 s) when
# it believes KVM's usability flipped, which it does here when QEMU runs as the
# unprivileged libvirt-qemu user. Running QEMU as root keeps the cache valid.
QEMU_CONF=/etc/libvirt/qemu.conf
if [ -f "$QEMU_CONF" ] && ! grep -Eq '^user = "root"' "$QEMU_CONF"; then
  log "setting user/group root in $QEMU_CONF"
  printf '\n# Added by Kilonova: QEMU runs as root (stable capabilities cache).\nuser = "root"\ngroup = "root"\n' >>"$QEMU_CONF"
  restart_libvirtd=1
fi

running() { pgrep -x "$1" >/dev/null 2>&1; }

if ! running virtlogd; then
  log "starting virtlogd"
  virtlogd --daemon
fi

if [ "${restart_libvirtd:-0}" = 1 ] && running libvirtd; then
  log "restarting libvirtd for the new qemu.conf"
  pkill -x libvirtd || true
  for _ in $(seq 50); do running libvirtd || break; sleep 0.1; done
fi

if ! running libvirtd; then
  log "starting libvirtd"
  mkdir -p /run/libvirt
  libvirtd --daemon
fi

for _ in $(seq 100); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.2
done
log "libvirtd does not answer on qemu:///system"
exit 1
