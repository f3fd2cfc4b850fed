/**
 * The programs inside the Kilonova test guest, as busybox sh scripts.
 *
 * Two stages, like a real distro boot: the initramfs `/init` loads the
 * drivers the Debian cloud kernel builds as modules and switch_roots to the
 * disk named by root=; the guest program (`/sbin/init` on both the disk and
 * the ramdisk) then behaves like a minimal cloud image: reports boot,
 * applies the config drive's hostname, runs a `#!` user_data script, and
 * powers off on the ACPI power button so soft shutdown can be tested.
 *
 * Everything the guest says goes to /dev/console, which is the last
 * console= on the kernel command line (ttyS0), i.e. the serial log.
 */

const PREFIX = 'KILONOVA-TEST-GUEST';

/** Fixed strings the guest prints on the serial console; tests wait for these. */
export const TEST_GUEST_MARKERS = {
  /** `KILONOVA-TEST-GUEST booted uptime=<seconds> root=<device|ramdisk>` */
  booted: `${PREFIX} booted`,
  /** followed by the hostname applied from the config drive */
  hostnamePrefix: `${PREFIX} hostname=`,
  /** no config drive was found (no hostname, no user_data) */
  noConfigDrive: `${PREFIX} no-config-drive`,
  /** followed by the exit status of the user_data script */
  userDataExitedPrefix: `${PREFIX} user-data exited status=`,
  /** everything above is done and the ACPI power button is armed */
  ready: `${PREFIX} ready`,
  /** acpid saw the power button */
  powerButton: `${PREFIX} power-button`,
  /** about to call poweroff -f (button, or poweroff/halt signalled to init) */
  poweringOff: `${PREFIX} powering-off`,
} as const;

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

if mount_config_drive; then
  meta=/mnt/config/openstack/latest/meta_data.json
  name=$(sed -n 's/.*"hostname"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$meta" 2>/dev/null | head -n 1)
  if [ -n "$name" ] && hostname "$name"; then
    say "hostname=$(hostname)"
  else
    say "config-drive gave no usable hostname"
  fi
  ud=/mnt/config/openstack/latest/user_data
  if [ -f "$ud" ] && [ "$(head -c 2 "$ud")" = '#!' ]; then
    cp "$ud" /tmp/user_data
    chmod 0700 /tmp/user_data
    interp=$(head -n 1 /tmp/user_data | sed 's/^#![[:space:]]*//; s/[[:space:]].*$//')
    say "user-data starting"
    # An interpreter this guest lacks (bash, python) gets busybox sh instead of failing outright.
    if [ -x "$interp" ]; then /tmp/user_data; else sh /tmp/user_data; fi
    say "user-data exited status=$?"
  fi
  umount /mnt/config
else
  say "no-config-drive"
fi

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
