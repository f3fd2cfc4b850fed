/**
 * The test guest's network, as a cloud image has it: every NIC asks DHCP
 * for its address, router, MTU and classless static routes (busybox
 * udhcpc), then the guest reads the metadata service at 169.254.169.254.
 *
 * A guest whose NIC is wired to nothing (the fake network, a tap not yet
 * on a bridge) must still boot quickly, so the wait for a first lease is
 * bounded; udhcpc then keeps trying in the background, like dhclient in a
 * real image, and reports a late lease on the console when it comes.
 */
import { TEST_GUEST_MARKER_PREFIX as PREFIX } from './markers.js';

/** Where udhcpc looks for its event script by default in busybox builds. */
export const UDHCPC_SCRIPT_PATH = '/usr/share/udhcpc/default.script';

/** Discover packets sent before giving up the foreground wait, one second apart. */
const DHCP_TRIES = 6;
/** Upper bound, in seconds, on the whole metadata read (retries included). */
const METADATA_DEADLINE_S = 10;

/** Busybox applets the guest's programs and the tests' user data rely on. */
export const REQUIRED_APPLETS: readonly string[] = [
  'sh', 'ip', 'udhcpc', 'wget', 'ping', 'nc', 'timeout', 'sed', 'hostname', 'findfs', 'acpid', 'switch_root', 'insmod',
];

/**
 * Run by udhcpc on each DHCP event, with the lease in its environment
 * ($interface $ip $mask $router $mtu $dns $staticroutes). Output goes to
 * /dev/console itself: once udhcpc backgrounds, its stdout is /dev/null.
 */
export const UDHCPC_SCRIPT = `#!/bin/sh
say() { echo "${PREFIX} $*" > /dev/console; }
state=/run/kilonova-net

case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    rm -f "$state/$interface"
    ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    # A renewal that keeps the address must not flush it: that would cut the routes through it.
    if ! ip -4 addr show dev "$interface" | grep -q " $ip/$mask "; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/$mask" \${broadcast:+broadcast $broadcast} dev "$interface"
    fi
    has_default=
    if [ -n "$staticroutes" ]; then
      # "<dest>/<prefix> <gateway>" pairs; gateway 0.0.0.0 means on-link.
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        [ "$1" = 0.0.0.0/0 ] && has_default=1
        if [ "$2" = 0.0.0.0 ]; then
          ip route replace "$1" dev "$interface"
        else
          ip route replace "$1" via "$2" dev "$interface"
        fi
        shift 2
      done
    fi
    # RFC 3442 says classless routes override the router option; Neutron always
    # puts the default route among them, so the router only fills in for a
    # server that sends classless routes without one. The first NIC's default wins.
    gw=\${router%% *}
    if [ -n "$gw" ] && [ -z "$has_default" ]; then
      ip route add default via "$gw" dev "$interface" 2>/dev/null
    fi
    if [ -n "$dns" ]; then
      : > /etc/resolv.conf
      for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    fi
    if [ ! -e "$state/$interface" ]; then
      echo "$ip/$mask" > "$state/$interface"
      say "net $interface ip=$ip/$mask router=\${gw:-none} mtu=$(cat /sys/class/net/$interface/mtu)"
    fi
    ;;
esac
exit 0
`;

/**
 * Shell functions for the guest program (which defines say()):
 * net_up brings every NIC up with DHCP and returns once each has a lease or
 * the bounded wait is over; read_metadata fetches meta_data.json into the
 * file named by $1; fetch_user_data fetches user_data into $1.
 */
export const NETWORK_FUNCTIONS = `
net_up() {
  mkdir -p /run/kilonova-net
  ip link set lo up
  ifaces=
  for d in /sys/class/net/*; do
    # Only devices backed by hardware (virtio NICs), not lo or virtual links.
    [ -e "$d/device" ] && ifaces="$ifaces \${d##*/}"
  done
  if [ -z "$ifaces" ]; then
    say "net none"
    say "network-down reason=no-interfaces"
    return
  fi
  for i in $ifaces; do
    ip link set "$i" up
    # -b: after the bounded wait udhcpc goes on in the background, as in a real image.
    udhcpc -i "$i" -s ${UDHCPC_SCRIPT_PATH} -p "/run/udhcpc.$i.pid" -b -t ${DHCP_TRIES} -T 1 -A 2 \\
      -O mtu -O staticroutes >/dev/null 2>&1 &
  done
  wait
  up=0
  for i in $ifaces; do
    if [ -e "/run/kilonova-net/$i" ]; then up=$((up + 1)); else say "net $i no-lease waited=${DHCP_TRIES}s"; fi
  done
  read -r now _ < /proc/uptime
  if [ $up -gt 0 ]; then say "network-up ifaces=$up uptime=$now"; else say "network-down reason=no-lease uptime=$now"; fi
}

network_is_up() {
  ls /run/kilonova-net/* >/dev/null 2>&1
}

uptime_s() {
  read -r u _ < /proc/uptime
  echo \${u%%.*}
}

# $1: path under openstack/latest, $2: output file. Retries until a deadline:
# the metadata proxy may come up a moment after the guest's lease.
metadata_get() {
  end=$(( $(uptime_s) + ${METADATA_DEADLINE_S} ))
  while :; do
    if timeout 3 wget -q -O "$2" "http://169.254.169.254/openstack/latest/$1" 2>/dev/null; then
      return 0
    fi
    rm -f "$2"
    [ $(uptime_s) -lt $end ] || return 1
    sleep 1
  done
}

# The value of a top-level string field of a one-object JSON file.
json_field() {
  sed -n "s/.*\\"$1\\"[[:space:]]*:[[:space:]]*\\"\\([^\\"]*\\)\\".*/\\1/p" "$2" 2>/dev/null | head -n 1
}

read_metadata() {
  if ! network_is_up; then
    say "metadata unavailable reason=no-network"
    return 1
  fi
  if ! metadata_get meta_data.json "$1"; then
    say "metadata unavailable reason=no-answer"
    return 1
  fi
  say "metadata uuid=$(json_field uuid "$1") hostname=$(json_field hostname "$1")"
}

# Nova answers 404 when the server has no user data; one try is enough once meta_data.json answered.
fetch_user_data() {
  timeout 3 wget -q -O "$1" http://169.254.169.254/openstack/latest/user_data 2>/dev/null || rm -f "$1"
}
`;
