/** Which vm_states each power action may start from, its task_state, its policy and its action name. */
import { InstanceAction } from './instance-actions.js';
import { TaskState, VmState } from './vm-states.js';

export type PowerActionName = 'stop' | 'start' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume';

interface Rule {
  policy: string;
  nova: string;
  action: string;
  fromVmStates: string[];
  taskState: string | ((extra: Record<string, unknown>) => string);
}

export const POWER_ACTION_RULES: Record<PowerActionName, Rule> = {
  stop: { policy: 'os_compute_api:servers:stop', nova: 'stop', action: InstanceAction.STOP, fromVmStates: [VmState.ACTIVE, VmState.ERROR], taskState: TaskState.POWERING_OFF },
  start: { policy: 'os_compute_api:servers:start', nova: 'start', action: InstanceAction.START, fromVmStates: [VmState.STOPPED], taskState: TaskState.POWERING_ON },
  reboot: {
    policy: 'os_compute_api:servers:reboot', nova: 'reboot', action: InstanceAction.REBOOT,
    fromVmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR],
    taskState: (extra) => (extra.reboot_type === 'HARD' ? TaskState.REBOOTING_HARD : TaskState.REBOOTING),
  },
  pause: { policy: 'os_compute_api:os-pause-server:pause', nova: 'pause', action: InstanceAction.PAUSE, fromVmStates: [VmState.ACTIVE], taskState: TaskState.PAUSING },
  unpause: { policy: 'os_compute_api:os-pause-server:unpause', nova: 'unpause', action: InstanceAction.UNPAUSE, fromVmStates: [VmState.PAUSED], taskState: TaskState.UNPAUSING },
  suspend: { policy: 'os_compute_api:os-suspend-server:suspend', nova: 'suspend', action: InstanceAction.SUSPEND, fromVmStates: [VmState.ACTIVE], taskState: TaskState.SUSPENDING },
  resume: { policy: 'os_compute_api:os-suspend-server:resume', nova: 'resume', action: InstanceAction.RESUME, fromVmStates: [VmState.SUSPENDED], taskState: TaskState.RESUMING },
};
