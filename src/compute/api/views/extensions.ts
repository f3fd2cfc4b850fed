/**
 * GET /extensions: the v2.1 extensions (Nova's aliases and names) whose
 * behaviour Kilonova implements. Nova lists every one it ever had; a client
 * that looks for an alias here should find only what works. The one
 * exception is os-consoles, whose API Nova removed but still lists (and
 * Tempest looks it up by that alias).
 */
const NAMESPACE = 'http://docs.openstack.org/compute/ext/fake_xml';
const UPDATED = '2014-12-03T00:00:00Z';

const IMPLEMENTED: Array<[alias: string, name: string, description: string]> = [
  ['OS-DCF', 'DiskConfig', 'Disk configuration attribute of servers.'],
  ['OS-EXT-AZ', 'ExtendedAvailabilityZone', 'Availability zone of a server in its view.'],
  ['OS-EXT-IPS', 'ExtendedIps', 'Type of each address in a server view.'],
  ['OS-EXT-IPS-MAC', 'ExtendedIpsMac', 'MAC address of each address in a server view.'],
  ['OS-EXT-SRV-ATTR', 'ExtendedServerAttributes', 'Host, hypervisor and instance name of servers, for admins.'],
  ['OS-EXT-STS', 'ExtendedStatus', 'vm_state, task_state and power_state of servers.'],
  ['OS-FLV-DISABLED', 'FlavorDisabled', 'Disabled attribute of flavors.'],
  ['OS-FLV-EXT-DATA', 'FlavorExtraData', 'Ephemeral disk size of flavors.'],
  ['OS-SCH-HNT', 'SchedulerHints', 'Scheduler hints at server create.'],
  ['OS-SRV-USG', 'ServerUsage', 'Launch and termination times of servers.'],
  ['os-admin-actions', 'AdminActions', 'Resetting the state of servers, for admins.'],
  ['os-admin-password', 'AdminPassword', 'Changing the administrator password of a server.'],
  ['os-aggregates', 'Aggregates', 'Host aggregates and the availability zones they make.'],
  ['os-access-ips', 'AccessIPs', 'Access IPv4 and IPv6 addresses of servers.'],
  ['os-availability-zone', 'AvailabilityZone', 'Availability zones, and choosing one at create.'],
  ['os-consoles', 'Consoles', 'Console pools of removed hypervisor drivers; listed only because Nova still lists it.'],
  ['os-config-drive', 'ConfigDrive', 'Config drive at server create.'],
  ['os-console-output', 'ConsoleOutput', 'Console log of a server.'],
  ['os-create-server-ext', 'Createserverext', 'Extended server create attributes.'],
  ['os-create-backup', 'CreateBackup', 'Rotating backup images of a server.'],
  ['os-deferred-delete', 'DeferredDelete', 'Restoring and force-deleting soft-deleted servers.'],
  ['os-extended-quotas', 'ExtendedQuotas', 'Deleting quotas and forcing quota updates.'],
  ['os-extended-services', 'ExtendedServices', 'Disabled reasons of compute services.'],
  ['os-extended-services-delete', 'ExtendedServicesDelete', 'Deleting compute services.'],
  ['os-flavor-access', 'FlavorAccess', 'Project access to private flavors.'],
  ['os-flavor-extra-specs', 'FlavorExtraSpecs', 'Extra specs of flavors.'],
  ['os-flavor-manage', 'FlavorManage', 'Creating and deleting flavors.'],
  ['os-flavor-rxtx', 'FlavorRxtx', 'RX/TX factor of flavors.'],
  ['os-flavor-swap', 'FlavorSwap', 'Swap size of flavors.'],
  ['os-hosts', 'Hosts', 'Compute hosts and their resources, for admins.'],
  ['os-hypervisors', 'Hypervisors', 'Hypervisors and their statistics, for admins.'],
  ['os-instance-actions', 'InstanceActions', 'Actions taken on a server and their events.'],
  ['os-instance_usage_audit_log', 'OSInstanceUsageAuditLog', 'Usage audit report of the compute hosts, for admins.'],
  ['os-keypairs', 'Keypairs', 'SSH key pairs.'],
  ['os-lock-server', 'LockServer', 'Locking and unlocking servers.'],
  ['os-migrations', 'Migrations', 'Migrations of servers, for admins.'],
  ['os-multiple-create', 'MultipleCreate', 'Creating several servers in one request.'],
  ['os-pause-server', 'PauseServer', 'Pausing and unpausing servers.'],
  ['os-quota-class-sets', 'QuotaClasses', 'Default quotas by quota class.'],
  ['os-quota-sets', 'Quotas', 'Quotas of projects and users.'],
  ['os-rescue', 'Rescue', 'Rescuing and unrescuing servers.'],
  ['os-server-diagnostics', 'ServerDiagnostics', 'Diagnostics of a server, for admins.'],
  ['os-server-external-events', 'ServerExternalEvents', 'Events from other services about servers.'],
  ['os-server-group-quotas', 'ServerGroupQuotas', 'Quotas of server groups and their members.'],
  ['os-server-groups', 'ServerGroups', 'Server groups with affinity policies.'],
  ['os-server-password', 'ServerPassword', 'Password a server posted to the metadata service.'],
  ['os-server-sort-keys', 'ServerSortKeys', 'Sorting server lists.'],
  ['os-server-start-stop', 'ServerStartStop', 'Starting and stopping servers.'],
  ['os-services', 'Services', 'Compute services, enabling and disabling them.'],
  ['os-simple-tenant-usage', 'SimpleTenantUsage', 'Usage of projects over a period.'],
  ['os-suspend-server', 'SuspendServer', 'Suspending and resuming servers.'],
  ['os-used-limits', 'UsedLimits', 'Usage beside the limits.'],
  ['os-used-limits-for-admin', 'UsedLimitsForAdmin', 'Limits of another project, for admins.'],
  ['os-user-data', 'UserData', 'User data at server create.'],
  ['os-user-quotas', 'UserQuotas', 'Quotas of users within a project.'],
];

export interface ExtensionView {
  alias: string;
  description: string;
  links: never[];
  name: string;
  namespace: string;
  updated: string;
}

/** By alias, as Nova sorts them. */
export const EXTENSIONS: ExtensionView[] = [...IMPLEMENTED].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([alias, name, description]) => ({
  alias, description, links: [], name, namespace: NAMESPACE, updated: UPDATED,
}));
