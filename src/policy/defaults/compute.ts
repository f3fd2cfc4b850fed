/**
 * Nova's current policy defaults (project scope, the admin/member/reader
 * personas), with Nova's rule names so an operator's policy.yaml written for
 * Nova applies unchanged. Check strings follow nova/policies/*.py as of the
 * upstream master branch; the legacy aliases (admin_or_owner, admin_api) are
 * kept because older policy files still refer to them.
 */
import type { PolicyRuleDefault } from '../types.js';

const ADMIN = 'rule:context_is_admin';
const MEMBER_OR_ADMIN = 'rule:project_member_or_admin';
const READER_OR_ADMIN = 'rule:project_reader_or_admin';
const MANAGER_OR_ADMIN = 'rule:project_manager_or_admin';
const SERVICE_OR_ADMIN = 'rule:service_or_admin';
const ANYONE = '@';
const NOBODY = '!';
const OWNER_USER_OR_ADMIN = '(rule:context_is_admin) or user_id:%(user_id)s';

function rule(name: string, checkStr: string): PolicyRuleDefault {
  return { name, checkStr };
}

/** The personas every other rule is written in terms of. */
export const computeBaseRules: PolicyRuleDefault[] = [
  rule('context_is_admin', 'role:admin'),
  rule('admin_or_owner', 'is_admin:True or project_id:%(project_id)s'),
  rule('admin_api', 'is_admin:True'),
  rule('project_manager_api', 'role:manager and project_id:%(project_id)s'),
  rule('project_member_api', 'role:member and project_id:%(project_id)s'),
  rule('project_reader_api', 'role:reader and project_id:%(project_id)s'),
  rule('service_api', 'role:service'),
  rule('project_manager_or_admin', 'rule:project_manager_api or rule:context_is_admin'),
  rule('project_member_or_admin', 'rule:project_member_api or rule:context_is_admin'),
  rule('project_reader_or_admin', 'rule:project_reader_api or rule:context_is_admin'),
  rule('service_or_admin', 'rule:service_api or rule:context_is_admin'),
];

/** Rules for each API, by resource. */
export const computeApiRules: PolicyRuleDefault[] = [
  // os-admin-actions
  rule('os_compute_api:os-admin-actions:inject_network_info', ADMIN),
  rule('os_compute_api:os-admin-actions:reset_state', ADMIN),
  // os-admin-password
  rule('os_compute_api:os-admin-password', MEMBER_OR_ADMIN),
  // os-aggregates
  rule('os_compute_api:os-aggregates:add_host', ADMIN),
  rule('os_compute_api:os-aggregates:create', ADMIN),
  rule('os_compute_api:os-aggregates:delete', ADMIN),
  rule('os_compute_api:os-aggregates:index', ADMIN),
  rule('os_compute_api:os-aggregates:remove_host', ADMIN),
  rule('os_compute_api:os-aggregates:set_metadata', ADMIN),
  rule('os_compute_api:os-aggregates:show', ADMIN),
  rule('os_compute_api:os-aggregates:update', ADMIN),
  // compute:aggregates
  rule('compute:aggregates:images', ADMIN),
  // os-assisted-volume-snapshots
  rule('os_compute_api:os-assisted-volume-snapshots:create', SERVICE_OR_ADMIN),
  rule('os_compute_api:os-assisted-volume-snapshots:delete', SERVICE_OR_ADMIN),
  // os-attach-interfaces
  rule('os_compute_api:os-attach-interfaces:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-attach-interfaces:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-attach-interfaces:list', READER_OR_ADMIN),
  rule('os_compute_api:os-attach-interfaces:show', READER_OR_ADMIN),
  // os-availability-zone
  rule('os_compute_api:os-availability-zone:detail', ADMIN),
  rule('os_compute_api:os-availability-zone:list', ANYONE),
  // os-baremetal-nodes
  rule('os_compute_api:os-baremetal-nodes:list', ADMIN),
  rule('os_compute_api:os-baremetal-nodes:show', ADMIN),
  // os-console-auth-tokens
  rule('os_compute_api:os-console-auth-tokens', ADMIN),
  // os-console-output
  rule('os_compute_api:os-console-output', MEMBER_OR_ADMIN),
  // os-create-backup
  rule('os_compute_api:os-create-backup', MEMBER_OR_ADMIN),
  // os-deferred-delete
  rule('os_compute_api:os-deferred-delete:force', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-deferred-delete:restore', MEMBER_OR_ADMIN),
  // os-evacuate
  rule('os_compute_api:os-evacuate', ADMIN),
  // os-extended-server-attributes
  rule('os_compute_api:os-extended-server-attributes', ADMIN),
  // extensions
  rule('os_compute_api:extensions', ANYONE),
  // os-flavor-access
  rule('os_compute_api:os-flavor-access', ADMIN),
  rule('os_compute_api:os-flavor-access:add_tenant_access', ADMIN),
  rule('os_compute_api:os-flavor-access:remove_tenant_access', ADMIN),
  // os-flavor-extra-specs
  rule('os_compute_api:os-flavor-extra-specs:create', ADMIN),
  rule('os_compute_api:os-flavor-extra-specs:delete', ADMIN),
  rule('os_compute_api:os-flavor-extra-specs:index', READER_OR_ADMIN),
  rule('os_compute_api:os-flavor-extra-specs:show', READER_OR_ADMIN),
  rule('os_compute_api:os-flavor-extra-specs:update', ADMIN),
  // os-flavor-manage
  rule('os_compute_api:os-flavor-manage:create', ADMIN),
  rule('os_compute_api:os-flavor-manage:delete', ADMIN),
  rule('os_compute_api:os-flavor-manage:update', ADMIN),
  // os-floating-ip-pools
  rule('os_compute_api:os-floating-ip-pools', ANYONE),
  // os-floating-ips
  rule('os_compute_api:os-floating-ips:add', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-floating-ips:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-floating-ips:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-floating-ips:list', READER_OR_ADMIN),
  rule('os_compute_api:os-floating-ips:remove', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-floating-ips:show', READER_OR_ADMIN),
  // os-hosts
  rule('os_compute_api:os-hosts:list', ADMIN),
  rule('os_compute_api:os-hosts:reboot', ADMIN),
  rule('os_compute_api:os-hosts:show', ADMIN),
  rule('os_compute_api:os-hosts:shutdown', ADMIN),
  rule('os_compute_api:os-hosts:start', ADMIN),
  rule('os_compute_api:os-hosts:update', ADMIN),
  // os-hypervisors
  rule('os_compute_api:os-hypervisors:list', ADMIN),
  rule('os_compute_api:os-hypervisors:list-detail', ADMIN),
  rule('os_compute_api:os-hypervisors:search', ADMIN),
  rule('os_compute_api:os-hypervisors:servers', ADMIN),
  rule('os_compute_api:os-hypervisors:show', ADMIN),
  rule('os_compute_api:os-hypervisors:statistics', ADMIN),
  rule('os_compute_api:os-hypervisors:uptime', ADMIN),
  // os-instance-actions
  rule('os_compute_api:os-instance-actions:events', ADMIN),
  rule('os_compute_api:os-instance-actions:events:details', ADMIN),
  rule('os_compute_api:os-instance-actions:list', READER_OR_ADMIN),
  rule('os_compute_api:os-instance-actions:show', READER_OR_ADMIN),
  // os-instance-usage-audit-log
  rule('os_compute_api:os-instance-usage-audit-log:list', ADMIN),
  rule('os_compute_api:os-instance-usage-audit-log:show', ADMIN),
  // ips
  rule('os_compute_api:ips:index', READER_OR_ADMIN),
  rule('os_compute_api:ips:show', READER_OR_ADMIN),
  // os-keypairs
  rule('os_compute_api:os-keypairs:create', OWNER_USER_OR_ADMIN),
  rule('os_compute_api:os-keypairs:delete', OWNER_USER_OR_ADMIN),
  rule('os_compute_api:os-keypairs:index', OWNER_USER_OR_ADMIN),
  rule('os_compute_api:os-keypairs:show', OWNER_USER_OR_ADMIN),
  // limits
  rule('os_compute_api:limits', ANYONE),
  rule('os_compute_api:limits:other_project', ADMIN),
  // os-lock-server
  rule('os_compute_api:os-lock-server:lock', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-lock-server:unlock', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-lock-server:unlock:unlock_override', ADMIN),
  // os-migrate-server
  rule('os_compute_api:os-migrate-server:migrate', MANAGER_OR_ADMIN),
  rule('os_compute_api:os-migrate-server:migrate:host', ADMIN),
  rule('os_compute_api:os-migrate-server:migrate_live', MANAGER_OR_ADMIN),
  rule('os_compute_api:os-migrate-server:migrate_live:host', ADMIN),
  // os-migrations
  rule('os_compute_api:os-migrations:index', MANAGER_OR_ADMIN),
  rule('os_compute_api:os-migrations:index:all_projects', ADMIN),
  rule('os_compute_api:os-migrations:index:host', ADMIN),
  // os-multinic
  rule('os_compute_api:os-multinic:add', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-multinic:remove', MEMBER_OR_ADMIN),
  // os-networks
  rule('os_compute_api:os-networks:list', READER_OR_ADMIN),
  rule('os_compute_api:os-networks:show', READER_OR_ADMIN),
  // os-pause-server
  rule('os_compute_api:os-pause-server:pause', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-pause-server:unpause', MEMBER_OR_ADMIN),
  // os-quota-class-sets
  rule('os_compute_api:os-quota-class-sets:show', ADMIN),
  rule('os_compute_api:os-quota-class-sets:update', ADMIN),
  // os-quota-sets
  rule('os_compute_api:os-quota-sets:defaults', ANYONE),
  rule('os_compute_api:os-quota-sets:delete', ADMIN),
  rule('os_compute_api:os-quota-sets:detail', READER_OR_ADMIN),
  rule('os_compute_api:os-quota-sets:show', READER_OR_ADMIN),
  rule('os_compute_api:os-quota-sets:update', ADMIN),
  // os-remote-consoles
  rule('os_compute_api:os-remote-consoles', MEMBER_OR_ADMIN),
  // os-rescue
  rule('os_compute_api:os-rescue', MEMBER_OR_ADMIN),
  // os-unrescue
  rule('os_compute_api:os-unrescue', MEMBER_OR_ADMIN),
  // os-security-groups
  rule('os_compute_api:os-security-groups:add', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:get', READER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:list', READER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:remove', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:rule:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:rule:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:show', READER_OR_ADMIN),
  rule('os_compute_api:os-security-groups:update', MEMBER_OR_ADMIN),
  // os-server-diagnostics
  rule('os_compute_api:os-server-diagnostics', ADMIN),
  // os-server-external-events
  rule('os_compute_api:os-server-external-events:create', SERVICE_OR_ADMIN),
  // os-server-groups
  rule('os_compute_api:os-server-groups:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-groups:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-groups:index', READER_OR_ADMIN),
  rule('os_compute_api:os-server-groups:index:all_projects', ADMIN),
  rule('os_compute_api:os-server-groups:show', READER_OR_ADMIN),
  // server-metadata
  rule('os_compute_api:server-metadata:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:server-metadata:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:server-metadata:index', READER_OR_ADMIN),
  rule('os_compute_api:server-metadata:show', READER_OR_ADMIN),
  rule('os_compute_api:server-metadata:update', MEMBER_OR_ADMIN),
  rule('os_compute_api:server-metadata:update_all', MEMBER_OR_ADMIN),
  // os-server-password
  rule('os_compute_api:os-server-password:clear', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-password:show', READER_OR_ADMIN),
  // os-server-shares
  rule('os_compute_api:os-server-shares:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-shares:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-shares:index', READER_OR_ADMIN),
  rule('os_compute_api:os-server-shares:show', READER_OR_ADMIN),
  // os-server-tags
  rule('os_compute_api:os-server-tags:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-tags:delete_all', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-tags:index', READER_OR_ADMIN),
  rule('os_compute_api:os-server-tags:show', READER_OR_ADMIN),
  rule('os_compute_api:os-server-tags:update', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-server-tags:update_all', MEMBER_OR_ADMIN),
  // compute:server
  rule('compute:server:topology:host:index', ADMIN),
  rule('compute:server:topology:index', READER_OR_ADMIN),
  // servers
  rule('os_compute_api:servers:allow_all_filters', ADMIN),
  rule('os_compute_api:servers:confirm_resize', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create:attach_network', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create:attach_volume', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create:forced_host', ADMIN),
  rule('os_compute_api:servers:create:trusted_certs', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create:zero_disk_flavor', ADMIN),
  rule('os_compute_api:servers:create_image', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:create_image:allow_volume_backed', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:detail', READER_OR_ADMIN),
  rule('os_compute_api:servers:detail:get_all_tenants', ADMIN),
  rule('os_compute_api:servers:index', READER_OR_ADMIN),
  rule('os_compute_api:servers:index:get_all_tenants', ADMIN),
  rule('os_compute_api:servers:migrations:delete', MANAGER_OR_ADMIN),
  rule('os_compute_api:servers:migrations:force_complete', MANAGER_OR_ADMIN),
  rule('os_compute_api:servers:migrations:index', MANAGER_OR_ADMIN),
  rule('os_compute_api:servers:migrations:index:host', ADMIN),
  rule('os_compute_api:servers:migrations:show', ADMIN),
  rule('os_compute_api:servers:reboot', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:rebuild', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:rebuild:trusted_certs', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:resize', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:revert_resize', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:show', READER_OR_ADMIN),
  rule('os_compute_api:servers:show:flavor-extra-specs', READER_OR_ADMIN),
  rule('os_compute_api:servers:show:host_status', ADMIN),
  rule('os_compute_api:servers:show:host_status:unknown-only', ADMIN),
  rule('os_compute_api:servers:start', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:stop', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:trigger_crash_dump', MEMBER_OR_ADMIN),
  rule('os_compute_api:servers:update', MEMBER_OR_ADMIN),
  // compute:servers
  rule('compute:servers:create:requested_destination', ADMIN),
  // Nova names this one without the os_compute_api prefix; the alias lets either spelling be used.
  rule('os_compute_api:servers:create:requested_destination', 'rule:compute:servers:create:requested_destination'),
  rule('compute:servers:resize:cross_cell', NOBODY),
  // network:attach_external_network
  rule('network:attach_external_network', ADMIN),
  // os-services
  rule('os_compute_api:os-services:delete', ADMIN),
  rule('os_compute_api:os-services:list', ADMIN),
  rule('os_compute_api:os-services:update', ADMIN),
  // os-shelve
  rule('os_compute_api:os-shelve:shelve', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-shelve:shelve_offload', ADMIN),
  rule('os_compute_api:os-shelve:unshelve', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-shelve:unshelve_to_host', ADMIN),
  // os-simple-tenant-usage
  rule('os_compute_api:os-simple-tenant-usage:list', ADMIN),
  rule('os_compute_api:os-simple-tenant-usage:show', READER_OR_ADMIN),
  // os-suspend-server
  rule('os_compute_api:os-suspend-server:resume', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-suspend-server:suspend', MEMBER_OR_ADMIN),
  // os-tenant-networks
  rule('os_compute_api:os-tenant-networks:list', READER_OR_ADMIN),
  rule('os_compute_api:os-tenant-networks:show', READER_OR_ADMIN),
  // os-volumes
  rule('os_compute_api:os-volumes:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes:detail', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes:list', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes:show', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes:snapshots:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes:snapshots:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes:snapshots:detail', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes:snapshots:list', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes:snapshots:show', READER_OR_ADMIN),
  // os-volumes-attachments
  rule('os_compute_api:os-volumes-attachments:create', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes-attachments:delete', MEMBER_OR_ADMIN),
  rule('os_compute_api:os-volumes-attachments:index', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes-attachments:show', READER_OR_ADMIN),
  rule('os_compute_api:os-volumes-attachments:swap', SERVICE_OR_ADMIN),
  rule('os_compute_api:os-volumes-attachments:update', MEMBER_OR_ADMIN),
];

export const computePolicyDefaults: PolicyRuleDefault[] = [...computeBaseRules, ...computeApiRules];
