/**
 * Every configuration option Kilonova knows, by section, with Nova's (or
 * Keystone's, oslo's) name where one exists. A default here serves the
 * all-in-one; anything not listed is an error at start-up.
 */
import os from 'node:os';

export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'list';

export interface OptionSpec {
  type: OptionType;
  default: string | number | boolean | string[];
  help: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** A secret: never printed back. */
  secret?: boolean;
}

/**
 * keystoneauth's options for reaching another service ([glance], [neutron],
 * [placement] as in nova.conf). With auth_url set, a compute host reaches that
 * service over its HTTP API as this service user; empty, in-process (the all-in-one).
 */
function keystoneauthOptions(service: string) {
  return {
    auth_type: { type: 'string', default: 'password', choices: ['password'], help: `How the service user authenticates to reach ${service} (keystoneauth's password plugin).` },
    auth_url: { type: 'string', default: '', help: `Identity endpoint (e.g. http://controller/identity) the service user authenticates at; set, ${service} is reached over HTTP instead of in-process.` },
    username: { type: 'string', default: '', help: 'The service user\'s name.' },
    password: { type: 'string', default: '', secret: true, help: 'The service user\'s password.' },
    project_name: { type: 'string', default: '', help: 'The project the service user\'s token is scoped to.' },
    user_domain_name: { type: 'string', default: 'Default', help: 'Domain of the service user.' },
    project_domain_name: { type: 'string', default: 'Default', help: 'Domain of the service user\'s project.' },
    region_name: { type: 'string', default: '', help: `Region whose ${service} endpoint is taken from the catalog (empty: any).` },
    valid_interfaces: { type: 'list', default: ['internal', 'public'] as string[], help: 'Catalog endpoint interfaces to use, in order of preference.' },
    endpoint_override: { type: 'string', default: '', help: `Use this ${service} endpoint instead of the catalog's.` },
    timeout: { type: 'int', default: 60, min: 1, help: `Seconds a request to ${service} may wait for its answer (image data keeps flowing past it as long as bytes move).` },
  } as const;
}

/**
 * The metadata service's options, kept in one block: Nova's metadata API
 * ([DEFAULT] metadata_listen*, [neutron] *metadata_proxy*) and Neutron's
 * metadata agent (metadata_agent.ini's [DEFAULT] options, here in the one file).
 */
const METADATA_DEFAULT_OPTIONS = {
  metadata_listen: { type: 'string', default: '127.0.0.1', help: 'Address the metadata API (Nova\'s nova-api-metadata) listens on; the metadata agents on every network host must reach it.' },
  metadata_listen_port: { type: 'int', default: 8775, min: 0, max: 65535, help: 'Port the metadata API listens on (0 picks a free one). A port in use does not stop the cloud: it starts without the metadata API and says so.' },
  enabled_apis: { type: 'list', default: ['osapi_compute', 'metadata'] as string[], help: 'APIs the api and all-in-one processes serve, as Nova\'s; the compute API always runs, so what matters is whether metadata is listed.' },
  metadata_proxy_socket: { type: 'string', default: '', help: 'Unix socket the metadata agent listens on for the namespaces\' proxies (empty: $state_path/metadata_proxy).' },
  nova_metadata_host: { type: 'string', default: '127.0.0.1', help: 'Where the metadata agent finds the metadata API.' },
  nova_metadata_port: { type: 'int', default: 8775, min: 1, max: 65535, help: 'Port of the metadata API the metadata agent forwards to.' },
} as const;

const METADATA_NEUTRON_OPTIONS = {
  service_metadata_proxy: { type: 'bool', default: true, help: 'The metadata API is reached through Neutron\'s metadata proxy, which names the instance in signed headers. Kilonova knows no other way (Nova\'s default, identifying the guest by its source address, is not implemented): with false the metadata API does not start.' },
  metadata_proxy_shared_secret: { type: 'string', default: '', secret: true, help: 'Secret the metadata agent signs instance ids with and the metadata API checks (the same value on both sides).' },
} as const;

export const OPTIONS = {
  DEFAULT: {
    host: { type: 'string', default: os.hostname(), help: 'Name of this node, used as the compute host name and the RPC topic suffix.' },
    state_path: { type: 'string', default: './state', help: 'Directory for the database, images, keys and clouds.yaml.' },
    compute_driver: {
      type: 'string', default: '', choices: ['', 'fake.FakeDriver', 'libvirt.LibvirtDriver'],
      help: 'The virt driver. Empty: libvirt.LibvirtDriver when libvirtd answers on [libvirt] connection_uri, else fake.FakeDriver.',
    },
    instances_path: { type: 'string', default: '', help: 'Where instance disks, config drives and console logs live (empty: $state_path/instances).' },
    force_config_drive: { type: 'bool', default: false, help: 'Give every server a config drive, asked for or not.' },
    shutdown_timeout: { type: 'int', default: 60, min: 0, help: 'Seconds a clean stop waits for the guest to power off before destroying it (0: destroy at once).' },
    transport_url: { type: 'string', default: 'memory://', help: 'Message bus: memory:// (in-process) or rabbit://user:pass@host:5672/.' },
    my_ip: { type: 'string', default: '127.0.0.1', help: 'IP address of this host.' },
    osapi_compute_listen: { type: 'string', default: '127.0.0.1', help: 'Address the HTTP API listens on.' },
    osapi_compute_listen_port: { type: 'int', default: 8774, min: 0, max: 65535, help: 'Port the HTTP API listens on (0 picks a free one).' },
    debug: { type: 'bool', default: false, help: 'Log at debug level.' },
    log_file: { type: 'string', default: '', help: 'Write logs to this file instead of stderr.' },
    default_availability_zone: { type: 'string', default: 'nova', help: 'Availability zone of compute hosts not in an aggregate zone.' },
    default_schedule_zone: { type: 'string', default: '', help: 'Zone for servers created without one (empty: any).' },
    service_down_time: { type: 'int', default: 60, min: 1, help: 'Seconds without a heartbeat after which a service is down.' },
    report_interval: { type: 'int', default: 10, min: 1, help: 'Seconds between service heartbeats.' },
    cpu_allocation_ratio: { type: 'float', default: 0, min: 0, help: 'vCPU overcommit; 0 means use initial_cpu_allocation_ratio.' },
    ram_allocation_ratio: { type: 'float', default: 0, min: 0, help: 'RAM overcommit; 0 means use initial_ram_allocation_ratio.' },
    disk_allocation_ratio: { type: 'float', default: 0, min: 0, help: 'Disk overcommit; 0 means use initial_disk_allocation_ratio.' },
    initial_cpu_allocation_ratio: { type: 'float', default: 4.0, min: 0, help: 'vCPU overcommit for a new compute node.' },
    initial_ram_allocation_ratio: { type: 'float', default: 1.0, min: 0, help: 'RAM overcommit for a new compute node.' },
    initial_disk_allocation_ratio: { type: 'float', default: 1.0, min: 0, help: 'Disk overcommit for a new compute node.' },
    reserved_host_memory_mb: { type: 'int', default: 512, min: 0, help: 'RAM kept back for the host.' },
    reserved_host_disk_mb: { type: 'int', default: 0, min: 0, help: 'Disk kept back for the host.' },
    reserved_host_cpus: { type: 'int', default: 0, min: 0, help: 'vCPUs kept back for the host.' },
    rpc_response_timeout: { type: 'int', default: 60, min: 1, help: 'Seconds to wait for an RPC call reply.' },
    control_exchange: { type: 'string', default: 'nova', help: 'The AMQP exchange RPC topics and notifications are published on (rabbit://), as oslo.messaging\'s.' },
    allow_resize_to_same_host: { type: 'bool', default: false, help: 'Let a resize or cold migration choose the host the server is on (for single-host clouds).' },
    instance_build_timeout: { type: 'int', default: 0, min: 0, help: 'Seconds a server may stay in BUILD on its host before that host sets it to ERROR; 0 never (Nova\'s default).' },
    resize_confirm_window: { type: 'int', default: 0, min: 0, help: 'Seconds after which a finished resize is confirmed automatically; 0 never.' },
    reclaim_instance_interval: { type: 'int', default: 0, min: 0, help: 'Seconds a deleted server stays SOFT_DELETED (restorable) before it is reclaimed; 0 deletes at once.' },
    shelved_offload_time: { type: 'int', default: 0, min: -1, help: 'Seconds a shelved server keeps its host before it is offloaded; 0 offloads at once, -1 never.' },
    shelved_poll_interval: { type: 'int', default: 3600, min: 1, help: 'Seconds between checks for shelved servers past shelved_offload_time.' },
    instance_name_template: { type: 'string', default: 'instance-%08x', help: 'Template for hypervisor instance names.' },
    web: { type: 'string', default: '/usr/share/novnc', help: 'Where the noVNC proxy serves noVNC\'s HTML and JavaScript from (Debian\'s novnc package).' },
    ...METADATA_DEFAULT_OPTIONS,
  },
  api: {
    max_limit: { type: 'int', default: 1000, min: 1, help: 'Most items one list response returns.' },
    auth_strategy: { type: 'string', default: 'keystone', choices: ['keystone'], help: 'How API requests are authenticated.' },
    enable_instance_password: { type: 'bool', default: true, help: 'Return the admin password of a new server (adminPass) in the create response, as Nova does.' },
  },
  database: {
    connection: { type: 'string', default: '', help: 'sqlite:///path/to/file.db or postgresql://user@host/db (empty: sqlite in state_path).' },
    max_pool_size: { type: 'int', default: 10, min: 1, help: 'PostgreSQL connections each process may hold at once; every api, conductor and scheduler process has its own pool, so their sum must stay under the server\'s max_connections.' },
  },
  quota: {
    instances: { type: 'int', default: 10, min: -1, help: 'Servers per project (-1: unlimited).' },
    cores: { type: 'int', default: 20, min: -1, help: 'vCPUs per project (-1: unlimited).' },
    ram: { type: 'int', default: 51200, min: -1, help: 'RAM MiB per project (-1: unlimited).' },
    key_pairs: { type: 'int', default: 100, min: -1, help: 'Key pairs per user (-1: unlimited).' },
    metadata_items: { type: 'int', default: 128, min: -1, help: 'Metadata items per server (-1: unlimited).' },
    injected_files: { type: 'int', default: 5, min: -1, help: 'Injected files per server (-1: unlimited).' },
    injected_file_content_bytes: { type: 'int', default: 10240, min: -1, help: 'Bytes per injected file (-1: unlimited).' },
    injected_file_path_bytes: { type: 'int', default: 255, min: -1, help: 'Bytes per injected file path (-1: unlimited).' },
    server_groups: { type: 'int', default: 10, min: -1, help: 'Server groups per project (-1: unlimited).' },
    server_group_members: { type: 'int', default: 10, min: -1, help: 'Servers per server group (-1: unlimited).' },
  },
  conductor: {
    use_local: {
      type: 'bool', default: true,
      help: 'Compute hosts of the all-in-one read and save their records in the database themselves (fast). False: through the conductor over RPC (Nova\'s object indirection), as a compute process of its own always does.',
    },
  },
  scheduler: {
    max_attempts: { type: 'int', default: 3, min: 1, help: 'Hosts tried for one build, the first and its alternates.' },
    max_placement_results: { type: 'int', default: 1000, min: 1, help: 'Most allocation candidates asked of placement.' },
    host_state_cache: {
      type: 'bool', default: true,
      help: 'Decide on the scheduler\'s own view of every host (as Nova\'s HostManager keeps one; read again in whole each second) instead of asking placement for candidates per decision. Before each decision one row from placement tells whether anything but this scheduler\'s own claims changed a provider since the view read it (an allocation released by a failed build, a delete or a move, another scheduler\'s claim); the providers that changed are read again. Claims are still checked against placement under provider generations. Used only where placement runs in the scheduler\'s process. False: ask placement for every decision.',
    },
  },
  filter_scheduler: {
    enabled_filters: {
      type: 'list', default: ['ComputeFilter', 'AvailabilityZoneFilter', 'ComputeCapabilitiesFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter'],
      help: 'Filters run on each host.',
    },
    host_subset_size: { type: 'int', default: 1, min: 1, help: 'Pick randomly among the best N hosts.' },
    ram_weight_multiplier: { type: 'float', default: 1.0, help: 'Weight of free RAM (positive spreads, negative stacks).' },
    cpu_weight_multiplier: { type: 'float', default: 1.0, help: 'Weight of free vCPUs.' },
    soft_affinity_weight_multiplier: { type: 'float', default: 1.0, min: 0, help: 'Weight of running beside members of a soft-affinity group.' },
    soft_anti_affinity_weight_multiplier: { type: 'float', default: 1.0, min: 0, help: 'Weight of running apart from members of a soft-anti-affinity group.' },
  },
  token: {
    expiration: { type: 'int', default: 3600, min: 1, help: 'Seconds a token is valid.' },
  },
  identity: {
    admin_password: { type: 'string', default: '', secret: true, help: 'Password of the bootstrap admin user (empty: generated once and printed).' },
    demo_password: { type: 'string', default: '', secret: true, help: 'Password of the bootstrap demo user (empty: generated once and printed).' },
    region: { type: 'string', default: 'RegionOne', help: 'Region name in the service catalog.' },
  },
  oslo_policy: {
    policy_file: { type: 'string', default: 'policy.yaml', help: 'Policy overrides; relative paths are looked up in the config directory, then state_path.' },
  },
  libvirt: {
    virt_type: { type: 'string', default: 'qemu', choices: ['kvm', 'qemu'], help: 'Domain type: qemu (TCG emulation: works everywhere, including nested virtualisation, where KVM guests can hang) or kvm (hardware acceleration, for bare metal).' },
    connection_uri: { type: 'string', default: '', help: 'libvirt connection URI (empty: qemu:///system).' },
    wait_soft_reboot_seconds: { type: 'int', default: 120, min: 1, help: 'Seconds a soft reboot waits for the guest to shut down before rebooting it hard.' },
    boot_timeout: { type: 'int', default: 60, min: 1, help: 'Seconds spawn waits for a started domain to run.' },
  },
  vnc: {
    enabled: { type: 'bool', default: true, help: 'Offer VNC consoles (os-remote-consoles protocol vnc, os-getVNCConsole): guests get a VNC display and the all-in-one runs the noVNC proxy.' },
    server_listen: { type: 'string', default: '127.0.0.1', help: 'Address the guests\' VNC servers listen on (libvirt <graphics listen>).' },
    server_proxyclient_address: { type: 'string', default: '127.0.0.1', help: 'Address of this compute host the console proxy connects to for the guests\' VNC servers.' },
    novncproxy_base_url: { type: 'string', default: 'http://127.0.0.1:6080/vnc_auto.html', help: 'Base of the noVNC console URLs handed to clients (the token is added to it). With novncproxy_port = 0 the all-in-one puts the port it picked into it.' },
    novncproxy_host: { type: 'string', default: '0.0.0.0', help: 'Address the noVNC proxy listens on.' },
    novncproxy_port: { type: 'int', default: 6080, min: 0, max: 65535, help: 'Port the noVNC proxy listens on (0 picks a free one).' },
  },
  spice: {
    enabled: { type: 'bool', default: false, help: 'Offer SPICE consoles (protocol spice, type spice-html5).' },
    html5proxy_base_url: { type: 'string', default: 'http://127.0.0.1:6082/spice_auto.html', help: 'Base of the SPICE HTML5 console URLs handed to clients.' },
  },
  serial_console: {
    enabled: { type: 'bool', default: false, help: 'Offer serial consoles (protocol serial): the all-in-one runs the serial console proxy.' },
    base_url: { type: 'string', default: 'ws://127.0.0.1:6083/', help: 'Base of the serial console websocket URLs handed to clients. With serialproxy_port = 0 the all-in-one puts the port it picked into it.' },
    serialproxy_host: { type: 'string', default: '0.0.0.0', help: 'Address the serial console proxy listens on.' },
    serialproxy_port: { type: 'int', default: 6083, min: 0, max: 65535, help: 'Port the serial console proxy listens on (0 picks a free one).' },
  },
  consoleauth: {
    token_ttl: { type: 'int', default: 600, min: 1, help: 'Seconds a console URL\'s token is valid.' },
  },
  console: {
    allowed_origins: { type: 'list', default: [], help: 'Host names a console websocket\'s Origin may name besides the proxy\'s own (for a proxy behind another name).' },
  },
  glance: keystoneauthOptions('the image service'),
  neutron: { ...keystoneauthOptions('the network service'), ...METADATA_NEUTRON_OPTIONS },
  placement: keystoneauthOptions('placement'),
  oslo_messaging_notifications: {
    driver: {
      type: 'string', default: '', choices: ['', 'messagingv2', 'messaging', 'noop'],
      help: 'Where versioned notifications go: messagingv2 (or messaging) publishes them to the bus, noop drops them. Empty: published in process (memory://, where only current listeners get them), dropped over rabbit://, where nothing would read the queues they fill (oslo.messaging\'s default sends none).',
    },
  },
  oslo_messaging_rabbit: {
    heartbeat_timeout_threshold: { type: 'int', default: 60, min: 0, help: 'Seconds without traffic from RabbitMQ after which the connection counts as dead and is re-opened (0: no heartbeats).' },
    rabbit_retry_interval: { type: 'int', default: 1, min: 1, help: 'Seconds before the first reconnection attempt once every host failed.' },
    rabbit_retry_backoff: { type: 'int', default: 2, min: 0, help: 'Seconds added to the wait after each further failed round of reconnection attempts.' },
    rabbit_interval_max: { type: 'int', default: 30, min: 1, help: 'Longest wait between reconnection attempts, in seconds.' },
    rabbit_qos_prefetch_count: { type: 'int', default: 64, min: 1, help: 'Messages one consumer holds unacknowledged at a time (basic.qos); each is acknowledged once its handler has finished.' },
    amqp_durable_queues: { type: 'bool', default: false, help: 'Declare topic queues and exchanges durable and publish persistent messages, so queued casts survive a broker restart.' },
    send_timeout: { type: 'int', default: 60, min: 1, help: 'Seconds a send waits for a lost connection to come back before it fails (oslo.messaging waits forever; Kilonova reports the failure to the caller).' },
  },
  network: {
    driver: {
      type: 'string', default: 'noop', choices: ['noop', 'linuxbridge'],
      help: 'The network data path the agents drive: noop (records the desired state, touches no kernel; the fake driver\'s cloud) or linuxbridge (a Linux bridge per network, iptables security groups, dnsmasq DHCP and qrouter- namespaces, as Neutron\'s reference implementation).',
    },
    dhcp_agent: {
      type: 'string', default: 'auto', choices: ['auto', 'enabled', 'disabled'],
      help: 'Run the DHCP agent, which gives each network with a DHCP-enabled subnet a DHCP port (device_owner network:dhcp, taking an address) as Neutron\'s does. auto: only with driver = linuxbridge, so a noop cloud allocates addresses exactly as without agents.',
    },
  },
  agent: {
    report_interval: { type: 'float', default: 30, min: 0.1, help: 'Seconds between an agent\'s state reports to the network service (Neutron\'s [agent] report_interval).' },
    agent_down_time: { type: 'int', default: 75, min: 1, help: 'Seconds without a state report after which an agent is shown not alive (Neutron\'s agent_down_time; at least twice report_interval).' },
  },
  linuxbridge: {
    host_namespace: {
      type: 'string', default: '',
      help: 'Network namespace that holds the whole data path (bridges, taps, qdhcp-/qrouter- links); empty: the root namespace, as in production. Tests and the benchmark set one so no guest address ever exists in the root namespace.',
    },
  },
  fake_driver: {
    vcpus: { type: 'int', default: 1000, min: 1, help: 'vCPUs the fake hypervisor reports.' },
    memory_mb: { type: 'int', default: 1048576, min: 1, help: 'RAM MiB the fake hypervisor reports.' },
    local_gb: { type: 'int', default: 100000, min: 1, help: 'Disk GiB the fake hypervisor reports.' },
    spawn_delay_ms: { type: 'int', default: 0, min: 0, help: 'Time a fake spawn takes.' },
    action_delay_ms: { type: 'int', default: 0, min: 0, help: 'Time the fake hypervisor holds a server in a transitional state (password, crash dump, rebuild, rescue, ...).' },
    console_output_lines: { type: 'int', default: 3, min: 0, help: 'Lines of boot log a new fake guest starts its console with (then one per action); a longer log exercises clients that tail it.' },
    fail_spawn: { type: 'bool', default: false, help: 'Make every fake spawn fail (fault injection).' },
    hosts: { type: 'int', default: 1, min: 1, max: 64, help: 'Compute hosts the all-in-one runs with the fake driver: the first is [DEFAULT] host, the others <host>-2, <host>-3, ... (somewhere for migrations and evacuations to go).' },
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

type Sections = typeof OPTIONS;
type ValueOf<S extends OptionSpec> =
  S['type'] extends 'int' | 'float' ? number :
  S['type'] extends 'bool' ? boolean :
  S['type'] extends 'list' ? string[] : string;

/** The loaded configuration, typed from OPTIONS. */
export type Config = {
  -readonly [Sec in keyof Sections]: { -readonly [Opt in keyof Sections[Sec]]: Sections[Sec][Opt] extends OptionSpec ? ValueOf<Sections[Sec][Opt]> : never };
} & { /** Where the config file was found, if any. */ configFile?: string };
