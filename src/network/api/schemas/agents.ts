/** Agent bodies (neutron-lib's agent attribute map): only the admin state and the description are writable. */
import { boolean, resource, string } from './common.js';

const AGENT_READ_ONLY = ['id', 'agent_type', 'binary', 'topic', 'host', 'created_at', 'started_at', 'heartbeat_timestamp', 'alive',
  'configurations', 'availability_zone', 'resources_synced', 'resource_versions'];

export const agentUpdate = resource('PUT', { admin_state_up: boolean, description: string() }, AGENT_READ_ONLY);
