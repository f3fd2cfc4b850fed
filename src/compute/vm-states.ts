/** Nova's instance state machine values (vm_state, task_state) and the API status they show as. */

export const VmState = {
  BUILDING: 'building',
  ACTIVE: 'active',
  STOPPED: 'stopped',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  ERROR: 'error',
  DELETED: 'deleted',
  SOFT_DELETED: 'soft-delete',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
  RESCUED: 'rescued',
  RESIZED: 'resized',
} as const;

export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  DELETING: 'deleting',
  REBOOTING: 'rebooting',
  REBOOTING_HARD: 'rebooting_hard',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  SOFT_DELETING: 'soft-deleting',
  RESTORING: 'restoring',
  UPDATING_PASSWORD: 'updating_password',
  REBUILDING: 'rebuilding',
  REBUILD_BLOCK_DEVICE_MAPPING: 'rebuild_block_device_mapping',
  REBUILD_SPAWNING: 'rebuild_spawning',
  RESCUING: 'rescuing',
  UNRESCUING: 'unrescuing',
  IMAGE_SNAPSHOT_PENDING: 'image_snapshot_pending',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_BACKUP: 'image_backup',
  IMAGE_PENDING_UPLOAD: 'image_pending_upload',
  IMAGE_UPLOADING: 'image_uploading',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  SHELVING: 'shelving',
  SHELVING_IMAGE_PENDING_UPLOAD: 'shelving_image_pending_upload',
  SHELVING_IMAGE_UPLOADING: 'shelving_image_uploading',
  SHELVING_OFFLOADING: 'shelving_offloading',
  UNSHELVING: 'unshelving',
  MIGRATING: 'migrating',
} as const;

const STATUS_BY_VM_STATE: Record<string, string> = {
  building: 'BUILD', active: 'ACTIVE', stopped: 'SHUTOFF', paused: 'PAUSED', suspended: 'SUSPENDED',
  error: 'ERROR', deleted: 'DELETED', 'soft-delete': 'SOFT_DELETED', shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED', rescued: 'RESCUE', resized: 'VERIFY_RESIZE',
};

const ACTIVE_TASK_STATUS: Record<string, string> = {
  rebooting: 'REBOOT', reboot_pending: 'REBOOT', reboot_started: 'REBOOT',
  rebooting_hard: 'HARD_REBOOT', reboot_pending_hard: 'HARD_REBOOT', reboot_started_hard: 'HARD_REBOOT',
  rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD',
  migrating: 'MIGRATING', resize_prep: 'RESIZE', resize_migrating: 'RESIZE', resize_migrated: 'RESIZE',
  resize_finish: 'RESIZE', updating_password: 'PASSWORD',
};

const REBUILD_TASKS = ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'];
const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'];

/** The `status` of GET /servers for a vm_state and task_state (Nova's _STATE_MAP). */
export function serverStatus(vmState: string, taskState: string | null): string {
  if (vmState === VmState.ACTIVE && taskState && ACTIVE_TASK_STATUS[taskState]) return ACTIVE_TASK_STATUS[taskState];
  if (taskState && REBUILD_TASKS.includes(taskState) && (vmState === VmState.STOPPED || vmState === VmState.ERROR)) return 'REBUILD';
  if (taskState && RESIZE_TASKS.includes(taskState) && vmState === VmState.STOPPED) return 'RESIZE';
  if (vmState === VmState.PAUSED && taskState === 'migrating') return 'MIGRATING';
  if (vmState === VmState.RESIZED && taskState === 'resize_reverting') return 'REVERT_RESIZE';
  if (vmState === VmState.STOPPED && (taskState === 'rebooting' || taskState === 'rebooting_hard')) return 'REBOOT';
  return STATUS_BY_VM_STATE[vmState] ?? 'UNKNOWN';
}

/** For each vm_state, the status a task shows it as ('default': any other task), as serverStatus decides. */
function statusTable(): Record<string, Record<string, string>> {
  const table: Record<string, Record<string, string>> = {};
  for (const [vm, status] of Object.entries(STATUS_BY_VM_STATE)) table[vm] = { default: status };
  Object.assign(table.active, ACTIVE_TASK_STATUS);
  for (const t of REBUILD_TASKS) table.stopped[t] = table.error[t] = 'REBUILD';
  for (const t of RESIZE_TASKS) table.stopped[t] = 'RESIZE';
  table.stopped.rebooting = table.stopped.rebooting_hard = 'REBOOT';
  table.paused.migrating = 'MIGRATING';
  table.resized.resize_reverting = 'REVERT_RESIZE';
  return table;
}

const STATUS_TABLE = statusTable();

/**
 * The vm_states and task_states that statuses name (GET /servers?status=...,
 * Nova's task_and_vm_state_from_status). taskStates is undefined when some
 * status is a vm_state's default, which any task shows as.
 */
export function statesForStatuses(statuses: string[]): { vmStates: string[]; taskStates?: string[] } {
  const wanted = new Set(statuses.map((s) => s.toUpperCase()));
  const vmStates = new Set<string>();
  const taskStates = new Set<string>();
  for (const [vm, tasks] of Object.entries(STATUS_TABLE)) {
    for (const [task, status] of Object.entries(tasks)) {
      if (!wanted.has(status)) continue;
      vmStates.add(vm);
      taskStates.add(task);
    }
  }
  return { vmStates: [...vmStates].sort(), ...(taskStates.has('default') ? {} : { taskStates: [...taskStates].sort() }) };
}
