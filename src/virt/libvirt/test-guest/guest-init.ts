/**
 * The programs inside the Kilonova test guest, as busybox sh scripts.
 *
 * Two stages, like a real distro boot: the initramfs `/init` loads the
 * drivers the Debian cloud kernel builds as modules and switch_roots to the
 * disk named by root=; the guest program (`/sbin/init` on both the disk and
 * the ramdisk) then behaves like a minimal cloud image: reports boot,
 * applies the config drive's hostname, brings its NICs up with DHCP and
 * reads the metadata service (guest-network.ts), runs a `#!` user_data
 * script once the network is up, and powers off on the ACPI power button so
 * soft shutdown can be tested.
 *
 * Everything the guest says goes to /dev/console, which is the last
 * console= on the kernel command line (ttyS0), i.e. the serial log.
 */
import { NETWORK_FUNCTIONS } from './guest-network.js';
import { TEST_GUEST_MARKER_PREFIX as PREFIX } from './markers.js';

export { TEST_GUEST_MARKERS } from './markers.js';

/** Where the initramfs reads the module load order computed at build time. */
export const MODULE_ORDER_FILE = '/etc/kilonova/modules.order';
/** Where the guest's modules sit in the initramfs, as `<name>.ko`. */
export const MODULE_DIR = '/lib/modules';

export const INITRAMFS_INIT = `#!/bin/sh
# Kilonova test guest, stage one (initramfs): load the drivers the cloud
# kernel builds as modules, then switch_root to /sbin/init on the disk named
# by root=. Without a usable root disk, run the same guest program from the
# ramdisk so the guest still reports in.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1

log() { echo "kilonova-initramfs: $*"; }

# Dependencies first; the order was computed from the modules' depends= at build time.
while read -r mod; do
  [ -n "$mod" ] || continue
  insmod "${MODULE_DIR}/$mod.ko" || log "could not load module $mod"
done < ${MODULE_ORDER_FILE}

root=
fstype=
flags=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=*) root=\${arg#root=} ;;
    rootfstype=*) fstype=\${arg#rootfstype=} ;;
    rootflags=*) flags=\${arg#rootflags=} ;;
  esac
done

run_from_ramdisk() {
  log "$1; running the test guest from the ramdisk"
  export KILONOVA_ROOT=ramdisk
  exec /sbin/init
}

[ -n "$root" ] || run_from_ramdisk "no root= on the kernel command line"

# Device probing finishes asynchronously after insmod; give it up to 10 s.
dev=
i=0
while [ $i -lt 100 ]; do
  case "$root" in
    LABEL=*|UUID=*) dev=$(findfs "$root" 2>/dev/null) ;;
    /dev/*) [ -b "$root" ] && dev=$root ;;
    *) break ;;
  esac
  [ -n "$dev" ] && break
  usleep 100000
  i=$((i + 1))
done
[ -n "$dev" ] || run_from_ramdisk "root device $root did not appear"

mount -o "rw\${flags:+,$flags}" \${fstype:+-t "$fstype"} "$dev" /newroot || run_from_ramdisk "cannot mount $root"
if [ ! -x /newroot/sbin/init ]; then
  umount /newroot
  run_from_ramdisk "$root has no /sbin/init"
fi

# switch_root empties the ramdisk but does not carry mounts across; move them.
for fs in dev proc sys; do
  mkdir -p "/newroot/$fs"
  mount --move "/$fs" "/newroot/$fs"
done
export KILONOVA_ROOT="$dev"
exec switch_root /newroot /sbin/init
`;

export const GUEST_PROGRAM = `#!/bin/sh
# Kilonova test guest program (runs as PID 1). Behaves like a tiny cloud
# image: reports boot, applies the config drive, runs user_data, then stays
# up until the ACPI power button or a poweroff.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
[ -e /proc/self ] || mount -t proc proc /proc
[ -e /sys/kernel ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mkdir -p /tmp /run /mnt/config
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run

say() { echo "${PREFIX} $*"; }
${NETWORK_FUNCTIONS}
power_off() {
  say "powering-off reason=$1"
  sync
  poweroff -f
}
# busybox poweroff/halt/reboot without -f signal PID 1 (USR2/USR1/TERM);
# as PID 1 we only receive signals we handle, so handle them.
trap 'power_off poweroff' USR2
trap 'power_off halt' USR1
trap 'say "rebooting"; sync; reboot -f' TERM

read -r up _ < /proc/uptime
say "booted uptime=$up root=\${KILONOVA_ROOT:-unknown}"

# DHCP runs in the background while the config drive is looked for, so a
# guest pays for the slower of the two, not their sum.
net_up &
netjob=$!

# Nova attaches the config drive as an ISO 9660 volume labelled config-2
# (an IDE cdrom on the pc machine type). ATA probing is asynchronous, so
# look for up to 5 s; fall back to trying every block device.
mount_config_drive() {
  i=0
  while [ $i -lt 50 ]; do
    dev=$(findfs LABEL=config-2 2>/dev/null)
    if [ -n "$dev" ] && mount -o ro "$dev" /mnt/config 2>/dev/null; then
      return 0
    fi
    for dev in /dev/sr* /dev/vd* /dev/sd* /dev/hd*; do
      [ -b "$dev" ] || continue
      [ "$dev" = "$KILONOVA_ROOT" ] && continue
      if mount -t iso9660 -o ro "$dev" /mnt/config 2>/dev/null; then
        [ -f /mnt/config/openstack/latest/meta_data.json ] && return 0
        umount /mnt/config
      fi
    done
    usleep 100000
    i=$((i + 1))
  done
  return 1
}

apply_hostname() {
  name=$(json_field hostname "$1")
  if [ -n "$name" ] && hostname "$name"; then
    say "hostname=$(hostname)"
  else
    say "$2 gave no usable hostname"
  fi
}

# $1: where the script came from, $2: the script.
run_user_data() {
  [ -f "$2" ] && [ "$(head -c 2 "$2")" = '#!' ] || return 0
  chmod 0700 "$2"
  interp=$(head -n 1 "$2" | sed 's/^#![[:space:]]*//; s/[[:space:]].*$//')
  say "user-data starting source=$1"
  # An interpreter this guest lacks (bash, python) gets busybox sh instead of failing outright.
  if [ -x "$interp" ]; then "$2"; else sh "$2"; fi
  say "user-data exited status=$?"
}

user_data=
user_data_source=
if mount_config_drive; then
  apply_hostname /mnt/config/openstack/latest/meta_data.json config-drive
  if [ -f /mnt/config/openstack/latest/user_data ]; then
    cp /mnt/config/openstack/latest/user_data /tmp/user_data
    user_data=/tmp/user_data
    user_data_source=config-drive
  fi
  umount /mnt/config
  have_config_drive=1
else
  say "no-config-drive"
  have_config_drive=
fi

wait $netjob
# Without a config drive the metadata service is where hostname and user data come from.
if read_metadata /tmp/meta_data.json && [ -z "$have_config_drive" ]; then
  apply_hostname /tmp/meta_data.json metadata
  fetch_user_data /tmp/user_data
  [ -f /tmp/user_data ] && user_data=/tmp/user_data && user_data_source=metadata
fi
[ -n "$user_data" ] && run_user_data "$user_data_source" "$user_data"

# acpid needs the power button's evdev node (button + evdev modules).
i=0
while [ ! -e /dev/input/event0 ] && [ $i -lt 50 ]; do
  usleep 100000
  i=$((i + 1))
done
if [ -e /dev/input/event0 ]; then
  acpid -f -d -c /etc/acpi &
  apid=$!
  # "ready" promises the power button works: wait until acpid holds the event device open.
  i=0
  while [ $i -lt 50 ] && ! ls -l /proc/$apid/fd 2>/dev/null | grep -q /dev/input/event; do
    usleep 100000
    i=$((i + 1))
  done
else
  say "no input devices; the ACPI power button will not work"
fi

read -r up _ < /proc/uptime
say "ready uptime=$up"

# PID 1 must never exit (the kernel would panic); sleep in short steps so
# the traps above run promptly.
while :; do
  sleep 1
done
`;

/** Run by acpid for the power button (busybox maps KEY_POWER to PWRF/00000080). */
export const ACPI_POWER_BUTTON_HANDLER = `#!/bin/sh
echo "${PREFIX} power-button" > /dev/console
echo "${PREFIX} powering-off reason=acpi-power-button" > /dev/console
sync
poweroff -f
`;
export const ACPI_POWER_BUTTON_EVENT_PATH = '/etc/acpi/PWRF/00000080';
