/** The server group view per microversion: `policies` and `metadata` until 2.64, then `policy` and `rules`; owner from 2.13. */
import type { ServerGroup } from '../../server-groups.js';

export function serverGroupView(g: ServerGroup, atLeast: (v: string) => boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { id: g.uuid, name: g.name };
  if (atLeast('2.64')) {
    view.policy = g.policy;
    view.rules = g.rules;
  } else {
    view.policies = [g.policy];
  }
  view.members = g.members;
  if (!atLeast('2.64')) view.metadata = {};
  if (atLeast('2.13')) {
    view.project_id = g.project_id;
    view.user_id = g.user_id;
  }
  return view;
}
