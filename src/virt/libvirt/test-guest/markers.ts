/**
 * What the test guest prints on its serial console. Tests wait for these
 * strings, so the guest's programs and the tests share this one list.
 */

export const TEST_GUEST_MARKER_PREFIX = 'KILONOVA-TEST-GUEST';
const PREFIX = TEST_GUEST_MARKER_PREFIX;

/** Fixed strings the guest prints on the serial console; tests wait for these. */
export const TEST_GUEST_MARKERS = {
  /** `KILONOVA-TEST-GUEST booted uptime=<seconds> root=<device|ramdisk>` */
  booted: `${PREFIX} booted`,
  /** followed by the hostname applied from the config drive (or, without one, from the metadata service) */
  hostnamePrefix: `${PREFIX} hostname=`,
  /** no config drive was found (no hostname, no user_data from it) */
  noConfigDrive: `${PREFIX} no-config-drive`,
  /**
   * One line per NIC once DHCP bound it:
   * `KILONOVA-TEST-GUEST net <iface> ip=<addr>/<prefix> router=<gw|none> mtu=<mtu>`.
   * A lease that only arrives after the bounded wait prints this later.
   */
  netPrefix: `${PREFIX} net `,
  /** `KILONOVA-TEST-GUEST net <iface> no-lease waited=<seconds>s`: no lease within the bounded wait (udhcpc keeps trying in the background) */
  netNoLease: 'no-lease',
  /** the guest has no NIC at all */
  netNoInterfaces: `${PREFIX} net none`,
  /** `network-up ifaces=<n> uptime=<s>`: at least one NIC holds a lease; user data and the metadata service come after this */
  networkUp: `${PREFIX} network-up`,
  /** `network-down reason=<no-interfaces|no-lease>` (with `uptime=<s>` after a wait for leases) */
  networkDown: `${PREFIX} network-down`,
  /** `KILONOVA-TEST-GUEST metadata uuid=<uuid> hostname=<hostname>` read from http://169.254.169.254/openstack/latest/meta_data.json */
  metadataUuidPrefix: `${PREFIX} metadata uuid=`,
  /** `metadata unavailable reason=<no-network|no-answer>` */
  metadataUnavailable: `${PREFIX} metadata unavailable`,
  /** `user-data starting source=<config-drive|metadata>` */
  userDataStarting: `${PREFIX} user-data starting`,
  /** followed by the exit status of the user_data script */
  userDataExitedPrefix: `${PREFIX} user-data exited status=`,
  /** everything above is done and the ACPI power button is armed */
  ready: `${PREFIX} ready`,
  /** acpid saw the power button */
  powerButton: `${PREFIX} power-button`,
  /** about to call poweroff -f (button, or poweroff/halt signalled to init) */
  poweringOff: `${PREFIX} powering-off`,
} as const;
